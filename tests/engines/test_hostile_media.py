"""Hostile videos and SVG strokes (issue 12): refused with an EngineError naming the file, before any large work.

Each case was a finding of the fuzz suite (tests/engines/test_fuzz_loaders.py) or of probing it.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from engines.base import EngineError
from tests.conftest import require_assets


def _avi_declaring(tmp_path: Path, side: int) -> Path:
    """vtest.avi (768 x 576) with its avih and BITMAPINFOHEADER sizes set to side x side."""
    from engines import assets

    require_assets("vtest.avi")
    data = bytearray(assets.require("vtest.avi").read_bytes())
    avih, strf = data.find(b"avih"), data.find(b"strf")
    struct.pack_into("<II", data, avih + 8 + 32, side, side)  # dwWidth, dwHeight
    struct.pack_into("<ii", data, strf + 8 + 4, side, side)  # biWidth, biHeight
    path = tmp_path / f"declares{side}.avi"
    path.write_bytes(bytes(data))
    return path


def test_a_video_declaring_huge_frames_is_refused_before_decoding(tmp_path):
    """Before: FFmpeg decoded 16000 x 16000 frames from the 8 MB file (3.8 GB after three, 17 s)."""
    from engines.colorization.task import read_frames
    from engines.frame_sources import VideoFileSource
    from engines.frames import SourceLost, video_frames

    path = _avi_declaring(tmp_path, 16000)
    with pytest.raises(EngineError, match=r"declares16000\.avi declares 16000 x 16000 frames \(256 MP\)"):
        next(video_frames(path))
    with pytest.raises(EngineError, match="16000 x 16000"):
        read_frames(path)
    source = VideoFileSource(path)
    with pytest.raises(SourceLost, match="16000 x 16000"):
        source._open()


def test_the_demo_clip_still_opens(tmp_path):
    from engines import assets
    from engines.frames import video_frames

    require_assets("vtest.avi")
    frames = list(video_frames(assets.require("vtest.avi"), limit=2))
    assert [f[1].shape for f in frames] == [(576, 768, 3)] * 2


KANJI = ('<svg xmlns="http://www.w3.org/2000/svg" width="109" height="109" viewBox="0 0 109 109">'
         '<g><path d="M{d}"/><path d="M20,50 L90,50"/></g></svg>')


@pytest.mark.parametrize(("d", "match"), [
    ("30,20 c 3.62,1.47,8.62,%.38,10.25,8.34", "unreadable path"),  # InvalidPathError before
    ("30,20 a 4.6 4.6 0 0 7 10 10", "unreadable path"),  # svg.path's AssertionError on an arc flag
    ("30,20 c 1e30,0 0,1e30 1e30,1e30", "past 100000 units"),
    ("30,20 c 0,1e999 3,4 5,6", "non-finite"),
    ("30,20 c 20000,0 0,20000 90000,90000", "would need .* samples"),  # 90 000 units: 45 000+ samples
])
def test_a_damaged_kanjivg_path_is_an_engine_error_naming_the_file(d, match):
    from engines.sketch.data import read_kanji_svg

    with pytest.raises(EngineError, match=f"06f22.svg is not a usable KanjiVG drawing: .*{match}"):
        read_kanji_svg(KANJI.format(d=d).encode(), "06f22.svg")
    assert len(read_kanji_svg(KANJI.format(d="30,20 c 3,1 8,2 10,8").encode(), "ok.svg")) > 2


def test_a_kanjivg_file_that_is_not_text_is_an_engine_error():
    from engines.sketch.data import read_kanji_svg

    with pytest.raises(EngineError, match="x.svg is not a KanjiVG drawing .*UTF-8"):
        read_kanji_svg(b"<svg \xff\xfe>", "x.svg")


def test_a_huge_curve_is_refused_at_once_not_sampled_for_ever():
    """Before: a curve 1e15 units long was sampled every 2 units (a hang, then gigabytes)."""
    code = textwrap.dedent("""
        from engines.base import EngineError
        from engines.sketch.svgpaths import path_polylines
        try:
            path_polylines("M0,0 c 0,0 0,1e15 1e15,1e15")
        except EngineError as exc:
            print("refused:", exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "refused:" in out.stdout, out.stderr[-500:]


@pytest.mark.parametrize(("nodes", "match"), [
    ({"ring": [["circle", {"cx": "12", "cy": "12", "r": "1e9"}]]}, "r='1e9' is not a finite number"),
    ({"ring": [["circle", {"cx": "12", "cy": "12", "r": "90000"}]]}, "would need .* samples"),
    ({"bad": [["path", {"d": "M4 4 L n"}]]}, "unreadable path"),
    ({"bad": [["polyline", {"points": "1,2 3"}]]}, "points="),
    ({"bad": [["line", {"x1": "abc"}]]}, "x1='abc' is not a number"),
])
def test_a_damaged_tabler_icon_is_an_engine_error_naming_the_file_and_icon(tmp_path, nodes, match):
    """Before: ValueError/InvalidPathError, and r=1e9 asked numpy for a 3e9-point circle (25 GB)."""
    from engines.sketch.data import build_icons

    path = tmp_path / "tabler-nodes-outline.json"
    path.write_text(json.dumps(nodes))
    with pytest.raises(EngineError, match=f"tabler-nodes-outline.json: icon '.*' is not usable: .*{match}"):
        build_icons(path)


@pytest.mark.parametrize("text", ['{"a": [["path"', '["path", {}]', '{"a": [["path", "d"]]}', "\udcff"])
def test_a_tabler_file_that_is_not_one_is_an_engine_error(tmp_path, text):
    from engines.sketch.data import build_icons

    path = tmp_path / "tabler-nodes-outline.json"
    path.write_bytes(text.encode("utf-8", "surrogateescape"))
    with pytest.raises(EngineError, match="tabler-nodes-outline.json is not a tabler nodes file"):
        build_icons(path)

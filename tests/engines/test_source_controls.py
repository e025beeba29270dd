"""Still images sent once, folder stepping and pausing, video pause and seek, and the loop that idles on a still."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from engines.frame_sources import StillSource, VideoFileSource
from engines.frames import LatestSlot
from engines.pipeline import Commands, LiveResult, live_loop


def wait_for(cond, timeout: float = 5.0) -> None:
    end = time.perf_counter() + timeout
    while not cond():
        assert time.perf_counter() < end, "timed out"
        time.sleep(0.01)


@pytest.fixture
def folder(tmp_path) -> Path:
    for i in range(3):  # image i is filled with the value 10 + 100 * i
        cv2.imwrite(str(tmp_path / f"img{i}.png"), np.full((24, 32, 3), 10 + 100 * i, np.uint8))
    return tmp_path


def value(frame) -> int:
    return int(frame.image[0, 0, 0])


def test_a_still_image_is_sent_once_then_again_only_when_mirrored(folder):
    image = np.zeros((24, 32, 3), np.uint8)
    image[:, :4] = 255  # a white left edge
    cv2.imwrite(str(folder / "edge.png"), image)
    src, slot = StillSource([folder / "edge.png"], fps=30), LatestSlot()
    src.start(slot)
    try:
        first = slot.take(5)
        assert first is not None and first.image[0, 0, 0] == 255
        time.sleep(0.5)
        assert src.captured == 1 and slot.take(0) is None and slot.dropped == 0
        assert not src.can_pause and not src.can_step
        src.mirror = True
        mirrored = slot.take(5)
        assert mirrored is not None and mirrored.image[0, -1, 0] == 255 and mirrored.image[0, 0, 0] == 0
    finally:
        src.stop()


def test_folder_steps_both_ways_and_pauses_its_slideshow(folder):
    src = StillSource.from_path(folder, seconds_per_image=60)
    slot = LatestSlot()
    src.start(slot)
    try:
        assert src.can_pause and src.can_step
        assert value(slot.take(5)) == 10
        src.step(+1)
        assert value(slot.take(5)) == 110 and src.position() == 0.5 and src.position_text().startswith("2 / 3")
        src.step(-1)
        src.step(-1)  # wraps to the last image
        assert value(slot.take(5)) == 210 and src.index == 2
        src.seconds_per_image = 0.2
        src.pause()
        time.sleep(0.6)
        assert slot.take(0) is None and src.index == 2
        src.resume()
        assert value(slot.take(5)) == 10  # the slideshow goes on (and wraps)
    finally:
        src.stop()


@pytest.fixture
def video(tmp_path) -> Path:
    path = tmp_path / "count.avi"
    w = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (32, 24))
    for i in range(21):  # frame i has brightness 10 * i
        w.write(np.full((24, 32, 3), 10 * i, np.uint8))
    w.release()
    return path


def test_video_pauses_and_seeks_even_while_paused(video):
    src, slot = VideoFileSource(video, fps=100), LatestSlot()
    src.start(slot)
    try:
        assert slot.take(5) is not None
        assert src.can_pause and src.can_seek and src.frame_count == 21
        src.pause()
        time.sleep(0.1)
        slot.take(0)
        captured = src.captured
        time.sleep(0.3)
        assert src.captured == captured and slot.take(0) is None
        src.seek(0.5)
        shown = slot.take(5)
        assert shown is not None and abs(value(shown) - 100) <= 6  # frame 10 (MJPG is lossy)
        assert src.position() == pytest.approx(0.5) and src.position_text().endswith(" s")
        time.sleep(0.2)
        assert src.captured == captured + 1  # one frame for the seek, then idle again
        src.resume()
        wait_for(lambda: src.captured > captured + 3)
    finally:
        src.stop()


def test_live_loop_runs_a_still_once_and_again_after_a_command(folder):
    src, slot, commands = StillSource([folder / "img1.png"], fps=30), LatestSlot(), Commands()
    calls: list[int] = []
    stop = threading.Event()
    results: list[LiveResult] = []

    def consume():
        for item in live_loop(slot, lambda f: calls.append(value(f)) or len(calls), stop.is_set,
                              lambda: "cpu", commands, poll_s=0.05):
            if isinstance(item, LiveResult):
                results.append(item)

    src.start(slot)
    worker = threading.Thread(target=consume)
    worker.start()
    try:
        wait_for(lambda: len(calls) == 1)
        time.sleep(0.5)
        assert calls == [110] and results[-1].dropped == 0
        commands.submit(lambda: None)  # e.g. a threshold changed
        wait_for(lambda: len(calls) == 2)
        time.sleep(0.3)
        assert calls == [110, 110] and len(results) == 2
    finally:
        stop.set()
        worker.join(5)
        src.stop()

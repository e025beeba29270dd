"""The source bar: the current source's name, folder and video controls, and a still photo inferred once."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from desktop.sources import DEMO_CLIP, CameraList, SourceChoice
from engines.frame_sources import StillSource, SyntheticSource, VideoFileSource
from engines.frames import LatestSlot
from tests.conftest import require_assets
from tests.desktop.conftest import FakeChoice


@pytest.fixture
def folder(tmp_path) -> Path:
    for i in range(3):
        cv2.imwrite(str(tmp_path / f"img{i}.png"), np.full((24, 32, 3), 40 * i, np.uint8))
    return tmp_path


@pytest.fixture
def bar(qtbot):
    from desktop.widgets.source_bar import SourceBar

    widget = SourceBar(CameraList())
    qtbot.addWidget(widget)
    widget.show()
    return widget


def shown(bar) -> set[str]:
    names = ("prev_button", "next_button", "pause_button", "seek_slider", "position_label")
    return {n for n in names if not getattr(bar, n).isHidden()}


def test_combo_shows_the_newest_file(bar, folder):
    bar.show_choice(SourceChoice("file", path=folder / "img0.png"))
    assert bar.combo.currentText() == "File: img0.png"
    bar.show_choice(SourceChoice("file", path=folder / "img1.png"))
    assert bar.combo.currentText() == "File: img1.png"
    bar.show_choice(SourceChoice("demo"))
    bar.show_choice(SourceChoice("file", path=folder / "img2.png"))
    assert bar.combo.currentText() == "File: img2.png"
    assert [bar.combo.itemText(i) for i in range(bar.combo.count())].count("File: img2.png") == 1


def test_folder_controls_step_and_pause(qtbot, bar, folder):
    src = StillSource.from_path(folder, seconds_per_image=60)
    src.start(LatestSlot())
    try:
        bar.attach(src)
        assert shown(bar) == {"prev_button", "next_button", "pause_button", "position_label"}
        bar.next_button.click()
        assert src.index == 1 and bar.position_label.text() == "2 / 3" and "img1.png" in bar.position_label.toolTip()
        bar.prev_button.click()
        bar.prev_button.click()
        assert src.index == 2
        bar.pause_button.click()
        assert src.paused and bar.pause_button.toolTip() == "Play"
        bar.pause_button.click()
        assert not src.paused
    finally:
        src.stop()
    bar.attach(StillSource([folder / "img0.png"]))
    assert shown(bar) == set()  # one photo: nothing to step or pause


def test_video_controls_pause_and_seek(qtbot, bar):
    src = VideoFileSource(DEMO_CLIP)
    src.start(LatestSlot())
    try:
        qtbot.waitUntil(lambda: src.frame_count > 0, timeout=5000)
        bar.attach(src)
        assert shown(bar) == {"pause_button", "seek_slider", "position_label"}
        bar.pause_button.click()
        assert src.paused
        bar.seek_slider.setValue(500)
        qtbot.waitUntil(lambda: abs(src.position() - 0.5) < 0.02, timeout=3000)
        bar.refresh_position()
        assert abs(bar.seek_slider.value() - 500) <= 20 and bar.position_label.text().endswith(" s")
    finally:
        src.stop()
    bar.attach(SyntheticSource())
    assert shown(bar) == set()  # a camera has no playback controls


class CountingStill(StillSource):
    """A StillSource that counts its reads (each one a chance to send the photo again)."""

    reads = 0

    def _read(self):
        self.reads += 1
        return super()._read()


def test_still_photo_runs_once_and_folder_controls_appear(qtbot, make_window, folder):
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")
    window = make_window(choice=FakeChoice(factory=lambda: CountingStill([folder / "img1.png"], fps=15)))
    tab = window.tab_widget("detection")
    qtbot.waitUntil(lambda: tab.latest is not None, timeout=90_000)
    first, reads = tab.latest, tab.source.reads
    qtbot.waitUntil(lambda: tab.source.reads >= reads + 5, timeout=10_000)  # five more looks at the photo ...
    assert tab.latest is first and tab.source.captured == 1 and tab.slot.dropped == 0  # ... and none sent it again
    assert shown(tab.source_bar) == set()
    tab.conf_slider.setValue(60)  # a setting that needs the model again
    qtbot.waitUntil(lambda: tab.latest is not first, timeout=30_000)
    assert tab.latest.frame is first.frame
    tab.set_source(FakeChoice(factory=lambda: StillSource.from_path(folder, seconds_per_image=60)))
    assert {"prev_button", "next_button", "pause_button"} <= shown(tab.source_bar)
    tab.source_bar.next_button.click()
    qtbot.waitUntil(lambda: tab.latest.frame.image[0, 0, 0] == 40, timeout=30_000)

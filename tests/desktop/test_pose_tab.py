"""The pose tab with the real BlazePose file: skeleton + heatmaps on a person, the joint grid, no person."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from engines.frame_sources import FrozenSource
from tests.conftest import require_assets
from tests.desktop.conftest import FakeChoice

WAIT_MS = 90_000


@pytest.fixture(autouse=True)
def _assets():
    require_assets("pose_landmark_full.tflite", "yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names", "messi5.jpg")


def photo_choice():
    import cv2

    from engines import assets

    image = cv2.imread(str(assets.asset_path("messi5.jpg")))
    return FakeChoice(factory=lambda: FrozenSource(image))


def test_skeleton_heatmaps_and_joint_grid(qtbot, make_window):
    window = make_window("pose", photo_choice())
    tab = window.tab_widget("pose")
    qtbot.waitUntil(lambda: tab.latest is not None and tab.latest.result.found, timeout=WAIT_MS)
    r = tab.latest.result
    assert r.heatmaps.shape[1:] == (64, 64) and r.keypoints.shape == (39, 2)
    assert tab.grid._images and tab._shown.heat is not None
    # click the first cell (nose): the tab shows that joint alone
    cell = tab.grid.cell_rect(0).center().toPoint()
    with qtbot.waitSignal(tab.grid.selected) as sel:
        qtbot.mouseClick(tab.grid, Qt.MouseButton.LeftButton, pos=cell)
    assert sel.args == [0] and tab.joint == 0
    qtbot.mouseClick(tab.grid, Qt.MouseButton.LeftButton, pos=cell)
    assert tab.joint == -1


def test_mirror_swaps_left_and_right_labels(qtbot, make_window):
    window = make_window("pose", photo_choice())
    tab = window.tab_widget("pose")
    qtbot.waitUntil(lambda: tab.latest is not None and tab.latest.result.found, timeout=WAIT_MS)
    r = tab.latest.result
    i = r.joint_names.index("left_wrist")
    assert tab.names(r)[i] == "left_wrist"
    tab.source_bar.mirror_box.setChecked(True)
    assert tab.names(r)[i] == "right_wrist"


def test_frame_without_a_person_says_no_person(qtbot, make_window):
    empty = np.full((480, 640, 3), 90, np.uint8)
    window = make_window("pose", FakeChoice(factory=lambda: FrozenSource(empty)))
    tab = window.tab_widget("pose")
    qtbot.waitUntil(lambda: tab.latest is not None, timeout=WAIT_MS)
    assert not tab.latest.result.found
    assert "No person" in tab.status.text()
    assert not tab.banner.isVisible() or "error" not in tab.banner.text().lower()

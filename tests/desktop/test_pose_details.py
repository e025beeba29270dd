"""Pose tab details (issue 11): Skeleton box hides bones and dots, hover text follows a model switch,
the heatmap grid scrolls to all 33 BlazePose joints. Fed synthetic results (no model runs)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtGui import QColor, QImage, QPainter, QTransform
from PySide6.QtWidgets import QScrollArea

from engines.frames import Frame
from engines.pipeline import LiveResult
from engines.pose.joints import BLAZEPOSE_EDGES, BLAZEPOSE_NAMES, MPII_EDGES, MPII_NAMES
from engines.pose.result import PoseResult
from tests.desktop.conftest import FakeChoice


def live(names, edges, conf: float = 0.9, seed: int = 0) -> LiveResult:
    """A found person: K joints on a 640x480 frame, keypoint k at (60 + 15k mod 520, 80 + 9k)."""
    k = len(names)
    rng = np.random.default_rng(seed)
    pts = np.stack([60 + (15 * np.arange(k)) % 520, 80 + 9 * np.arange(k)], 1).astype(np.float32)
    result = PoseResult(pts, np.full(k, conf, np.float32), rng.random((k, 64, 64), dtype=np.float32),
                        np.array([40, 0, 600, 480], np.float32), np.array([60, 20, 580, 470], np.float32),
                        tuple(names), tuple(edges), (480, 640), model="fake")
    frame = Frame(np.zeros((480, 640, 3), np.uint8), time.perf_counter(), 0, "fake")
    return LiveResult(frame, result, time.perf_counter(), time.perf_counter(), 10.0, 0, "cpu")


def blaze(conf: float = 0.9) -> LiveResult:
    return live(BLAZEPOSE_NAMES, BLAZEPOSE_EDGES, conf)


@pytest.fixture
def tab(qtbot):
    from desktop.sources import CameraList
    from desktop.tabs.pose import PoseTab
    from engines.registry import default_registry

    t = PoseTab(default_registry()["pose"], {"cameras": CameraList(), "source_choice": FakeChoice(), "device": "cpu"})
    qtbot.addWidget(t)
    t.resize(900, 600)
    t.show()
    yield t
    t.shutdown()


def coloured_pixels(tab, r) -> int:
    """Pixels painted in the skeleton's green or the dots' red by paint_result on a black image."""
    img = QImage(640, 480, QImage.Format.Format_RGB32)
    img.fill(QColor(0, 0, 0))
    p = QPainter(img)
    tab.paint_result(p, QTransform(), r)
    p.end()
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(480, 640, 4)  # B, G, R, A
    return int(((arr[..., 1] > 120) | (arr[..., 2] > 120)).sum())


def test_unticked_skeleton_hides_bones_and_dots(tab):
    tab.alpha.setValue(0)
    item = blaze()
    tab._on_item(item)
    assert coloured_pixels(tab, item.result) > 500
    tab.skeleton_box.setChecked(False)
    assert coloured_pixels(tab, item.result) == 0


def test_hover_text_is_cleared_on_a_model_switch(qtbot, tab):
    from desktop.tabs.pose import STUDENT

    hint = "hover a joint"

    tab._on_item(blaze())
    nose = QPointF(60, 80)
    tab.view.hovered.emit(nose)
    assert tab.hover.text() == "nose: confidence 0.90"
    tab._on_item(blaze(conf=0.5))  # the text follows the live values while the mouse rests
    assert tab.hover.text() == "nose: confidence 0.50"
    tab.grid.current = tab.joint = 30  # a BlazePose-only joint
    index = tab.model_combo.findText(STUDENT)
    if index < 0:
        pytest.skip("no shipped Hourglass student")
    tab.model_combo.setCurrentIndex(index)
    tab._on_model()
    assert tab.hover.text() == hint and tab.joint == -1
    tab.view.hovered.emit(nose)  # the old model's result is still the latest one: no stale names
    assert tab.hover.text() == hint
    tab._on_item(live(MPII_NAMES, MPII_EDGES, conf=0.7))  # the student's first result
    tab.view.hovered.emit(nose)
    assert tab.hover.text() == f"{MPII_NAMES[0]}: confidence 0.70"


def test_heatmap_grid_scrolls_to_every_joint_at_900x600(qtbot, tab):
    tab._on_item(blaze())
    grid = tab.grid
    area = grid.parentWidget()
    while not isinstance(area, QScrollArea):  # the nearest scroll area holding the grid
        area = area.parentWidget()
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0, timeout=2000)
    # the scroll bar took some width: the cells settle with every row laid out, none cut off
    qtbot.waitUntil(lambda: grid.height() >= grid.cell_rect(32).bottom() - 1, timeout=2000)
    assert len(grid._images) == 33 and area.widget() is grid is tab.grid_scroll.widget()
    assert area.height() >= 200 and area.verticalScrollBar().maximum() > 0
    last = grid.cell_rect(32).center()
    area.ensureVisible(int(last.x()), int(last.y()))
    qtbot.waitUntil(lambda: area.viewport().rect().contains(grid.mapTo(area.viewport(), last.toPoint())),
                    timeout=2000)  # the last joint's cell scrolled into view

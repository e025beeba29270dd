"""Detection details (issue 11): the class filter as you type, snapshots of the clicked frame, .names files."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from engines.detection.decode import Detections, draw_detections
from engines.frames import Frame
from engines.pipeline import LiveResult
from tests.conftest import require_assets
from tests.desktop.conftest import FakeChoice


@pytest.fixture
def idle_tab(qtbot):
    """The detection tab shown but never activated: no source, no model, no worker."""
    from desktop.main_window import MainWindow
    from desktop.sources import CameraList

    window = MainWindow(options={"cameras": CameraList(), "source_choice": FakeChoice(), "device": "cpu"},
                        first_tab="detection")
    qtbot.addWidget(window)
    window.show()
    yield window.tab_widget("detection")
    window.close()


def fake_live(fill: int) -> LiveResult:
    image = np.full((60, 80, 3), fill, np.uint8)
    det = Detections(np.array([[10, 10, 50, 40]], np.float32), np.array([0.9], np.float32),
                     np.array([0], np.int32), ("person",), (60, 80))
    now = time.perf_counter()
    return LiveResult(Frame(image, now, 1, "t"), det, now, now, 1.0, 0, "cpu")


def test_class_filter_applies_while_typing_and_its_error_clears(qtbot, idle_tab):
    tab = idle_tab
    tab.names = ["person", "car", "dog"]
    qtbot.keyClicks(tab.class_edit, "car")  # no Enter, no focus change
    qtbot.waitUntil(lambda: tab.settings.classes == frozenset({"car"}), timeout=3000)
    qtbot.keyClicks(tab.class_edit, ", unicorn")
    qtbot.waitUntil(lambda: not tab.banner.isHidden() and "unicorn" in tab.banner.text(), timeout=3000)
    tab.class_edit.setText("car, dog")
    qtbot.waitUntil(lambda: tab.banner.isHidden(), timeout=3000)
    assert tab.settings.classes == frozenset({"car", "dog"})
    qtbot.keyClicks(tab.class_edit, ", unicorn")
    qtbot.waitUntil(lambda: not tab.banner.isHidden(), timeout=3000)
    tab.class_edit.clear()
    qtbot.waitUntil(lambda: tab.banner.isHidden() and tab.settings.classes is None, timeout=3000)


def test_snapshot_keeps_the_frame_of_the_click(qtbot, idle_tab, tmp_path, monkeypatch):
    tab = idle_tab
    clicked, later = fake_live(30), fake_live(220)
    tab.latest = clicked
    out = tmp_path / "shot.png"

    def dialog(*_args, **_kw):
        tab.latest = later  # frames keep arriving while the user picks a file name
        return str(out), ""

    monkeypatch.setattr("desktop.tabs.detection.QFileDialog.getSaveFileName", dialog)
    tab.snapshot_button.click()
    saved = cv2.imread(str(out))
    assert saved is not None
    assert np.array_equal(saved, draw_detections(clicked.frame.image, clicked.result))
    assert "Saved" in tab.banner.text()
    out = tmp_path / "plain"  # no suffix typed: saved as PNG
    tab.snapshot_button.click()
    assert cv2.imread(str(out.with_suffix(".png"))) is not None


def test_snapshot_with_nothing_on_screen_says_so(qtbot, idle_tab, monkeypatch):
    asked = []
    monkeypatch.setattr("desktop.tabs.detection.QFileDialog.getSaveFileName", lambda *a, **k: asked.append(1))
    idle_tab.snapshot_button.click()
    assert not asked and "Nothing on screen" in idle_tab.banner.text()


def test_names_file_found_beside_the_cfg(tmp_path):
    from engines.detection.engine import find_names

    cfg, weights = tmp_path / "my.cfg", tmp_path / "my.weights"
    cfg.write_text("[net]")
    weights.write_bytes(b"")
    assert find_names(cfg, weights) is None
    (tmp_path / "coco.names").write_text("person\nbicycle\ncar\n")
    assert find_names(cfg, weights) == tmp_path / "coco.names"
    (tmp_path / "obj.names").write_text("cat\ndog\n")
    assert find_names(cfg, weights) == tmp_path / "obj.names"
    assert find_names(cfg, weights, classes=3) == tmp_path / "coco.names"  # the one that fits the model wins
    (tmp_path / "my.names").write_text("a\nb\n")
    assert find_names(cfg, weights, classes=2) == tmp_path / "my.names"
    other = tmp_path / "w"
    other.mkdir()
    (other / "yolo.weights").write_bytes(b"")
    assert find_names(cfg, other / "yolo.weights", classes=2) == tmp_path / "my.names"  # beside the cfg


def test_user_opened_cfg_reads_coco_names_beside_it(tmp_path):
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")
    from engines import assets
    from engines.detection.engine import DarknetWeights, DetectionEngine

    cfg, weights = tmp_path / "mine.cfg", tmp_path / "mine.weights"
    shutil.copy(assets.asset_path("yolov3-tiny.cfg"), cfg)
    shutil.copy(assets.asset_path("yolov3-tiny.weights"), weights)
    shutil.copy(assets.asset_path("coco.names"), tmp_path / "coco.names")
    engine = DetectionEngine()
    engine.load(DarknetWeights(Path(cfg), Path(weights)), "cpu")
    assert engine.names[0] == "person" and len(engine.names) == 80

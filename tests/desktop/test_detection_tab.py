"""The detection tab driven by fake cameras and real media, with the real YOLOv3-tiny weights."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import pytest

from desktop.sources import DEMO_CLIP
from engines.frame_sources import StillSource, SyntheticSource, VideoFileSource
from tests.conftest import require_assets
from tests.desktop.conftest import FakeChoice

WAIT_MS = 90_000  # the first result includes importing torch and the model on a busy 2-core machine


@pytest.fixture(autouse=True)
def _weights():
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")


@pytest.fixture
def street_png(tmp_path) -> Path:
    cap = cv2.VideoCapture(str(DEMO_CLIP))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 100)
    ok, frame = cap.read()
    assert ok
    path = tmp_path / "street.png"
    cv2.imwrite(str(path), frame)
    return path


def still(path: Path) -> FakeChoice:
    return FakeChoice(factory=lambda: StillSource([path], fps=15))


def wait_result(qtbot, tab, check=lambda live: True, timeout=WAIT_MS):
    seen = []

    def ok():
        if tab.latest is not None and check(tab.latest):
            seen.append(tab.latest)
            return True
        return False

    qtbot.waitUntil(ok, timeout=timeout)
    return seen[-1]


def test_live_boxes_on_the_street(qtbot, make_window, street_png, tmp_path):
    window = make_window(choice=still(street_png))
    tab = window.tab_widget("detection")
    live = wait_result(qtbot, tab, lambda lv: len(lv.result) > 0)
    assert "person" in live.result.labels
    qtbot.waitUntil(lambda: "fps" in "".join(tab.view._hud), timeout=5000)
    shot = tab.snapshot(tmp_path / "snap.png")
    assert cv2.imread(str(shot)).shape == cv2.imread(str(street_png)).shape
    grab = tab.view.grab()
    assert not grab.isNull() and grab.width() > 100


def test_sliders_change_what_is_drawn(qtbot, make_window, street_png):
    window = make_window(choice=still(street_png))
    tab = window.tab_widget("detection")
    tab.conf_slider.setValue(10)
    many = len(wait_result(qtbot, tab, lambda lv: len(lv.result) > 0 and lv.result.scores.min() < 0.5).result)
    tab.conf_slider.setValue(80)
    few = wait_result(qtbot, tab, lambda lv: len(lv.result) == 0 or lv.result.scores.min() >= 0.8).result
    assert len(few) < many
    tab.class_edit.setText("car")
    tab.class_edit.editingFinished.emit()
    tab.conf_slider.setValue(10)
    only_cars = wait_result(qtbot, tab, lambda lv: len(lv.result) > 0 and set(lv.result.labels) == {"car"})
    assert set(only_cars.result.labels) == {"car"}


def test_device_switch_and_bad_weights_keep_running(qtbot, make_window, tmp_path):
    window = make_window()
    tab = window.tab_widget("detection")
    wait_result(qtbot, tab)
    with qtbot.waitSignal(tab.notice, check_params_cb=lambda text, err: "now runs on cpu" in text, timeout=30_000):
        tab.device_combo.setCurrentIndex(tab.device_combo.findData("cpu"))
        tab.device_combo.activated.emit(tab.device_combo.currentIndex())
    from engines import assets
    from engines.detection.engine import DarknetWeights

    cut = tmp_path / "cut.weights"
    cut.write_bytes(assets.asset_path("yolov3-tiny.weights").read_bytes()[:1000])
    with qtbot.waitSignal(tab.notice, check_params_cb=lambda text, err: err and "truncated" in text, timeout=30_000):
        tab.load_weights(DarknetWeights(assets.asset_path("yolov3-tiny.cfg"), cut))
    before = tab.latest
    wait_result(qtbot, tab, lambda lv: lv is not before)  # the old model still runs


def test_camera_that_vanishes_gives_a_message(qtbot, make_window):
    window = make_window(choice=FakeChoice(factory=lambda: SyntheticSource(fps=30, vanish_after=20)))
    tab = window.tab_widget("detection")
    with qtbot.waitSignal(tab.notice, check_params_cb=lambda text, err: err and "unplugged" in text, timeout=WAIT_MS):
        pass
    assert window.isVisible()


def test_non_image_drop_is_refused_and_source_kept(qtbot, make_window, tmp_path):
    window = make_window()
    tab = window.tab_widget("detection")
    before = tab.choice
    junk = tmp_path / "notes.txt"
    junk.write_text("not a picture")
    with qtbot.waitSignal(tab.notice, check_params_cb=lambda text, err: err and "notes.txt" in text):
        tab.open_path(junk)
    assert tab.choice is before


def test_corrupt_video_gives_a_message(qtbot, make_window, tmp_path):
    window = make_window()
    tab = window.tab_widget("detection")
    bad = tmp_path / "broken.avi"
    bad.write_bytes(b"RIFF" + bytes(range(256)) * 20)
    with qtbot.waitSignal(tab.notice, check_params_cb=lambda text, err: err and "broken.avi" in text, timeout=20_000):
        tab.open_path(bad)
    assert window.isVisible()


def test_close_stops_every_thread(qtbot, make_window):
    window = make_window(choice=FakeChoice(factory=lambda: VideoFileSource(DEMO_CLIP)))
    tab = window.tab_widget("detection")
    wait_result(qtbot, tab)
    window.close()
    assert not tab.workers.running()
    assert not [t for t in threading.enumerate() if t.name.startswith("capture:")]


def test_cpu_backend_switch_shows_in_hud_and_a_refusal_in_the_banner(qtbot, make_window, street_png):
    window = make_window(choice=still(street_png))
    tab = window.tab_widget("detection")
    wait_result(qtbot, tab)
    assert tab.device_combo.findData("onnxruntime-f32") >= 0 and tab.device_combo.findData("openvino-int8") >= 0
    with qtbot.waitSignal(tab.notice, check_params_cb=lambda text, err: "now runs on onnxruntime-f32" in text,
                          timeout=WAIT_MS):
        tab.device_combo.setCurrentIndex(tab.device_combo.findData("onnxruntime-f32"))
        tab.device_combo.activated.emit(tab.device_combo.currentIndex())
    wait_result(qtbot, tab, lambda lv: lv.device == "onnxruntime-f32")
    qtbot.waitUntil(lambda: "onnxruntime-f32" in " ".join(tab.view._hud), timeout=5_000)
    assert "boxes matched" in tab.device_combo.itemData(tab.device_combo.currentIndex(), 3)  # ToolTipRole
    # a backend the gate refused: the engine stays where it was, the banner says why, the list marks it
    tab._engine.refused["openvino-int8"] = "3/10 reference boxes matched (30.0% < 98%)"
    with qtbot.waitSignal(tab.notice, check_params_cb=lambda text, err: err and "30.0% < 98%" in text,
                          timeout=30_000):
        tab.device_combo.setCurrentIndex(tab.device_combo.findData("openvino-int8"))
        tab.device_combo.activated.emit(tab.device_combo.currentIndex())
    assert tab.banner.isVisible() and "refused" in tab.banner.text()
    assert tab.device_combo.currentData() == "onnxruntime-f32"
    assert tab.device_combo.itemText(tab.device_combo.findData("openvino-int8")).endswith("refused")


def test_the_source_shows_while_the_model_loads(qtbot, make_window, monkeypatch):
    """A first start can spend 10-20 s exporting and timing the CPU backends: the user sees the video meanwhile
    (peeked from the slot, labelled 'Loading the model'), and the model still gets the frames."""
    import time

    from desktop.tabs.detection import DetectionTab

    real = DetectionTab.create_engine

    def slow(self, weights, device):
        time.sleep(3.0)
        return real(self, weights, device)

    monkeypatch.setattr(DetectionTab, "create_engine", slow)
    window = make_window(choice=FakeChoice(factory=lambda: VideoFileSource(DEMO_CLIP)))
    tab = window.tab_widget("detection")
    qtbot.waitUntil(lambda: tab.preview.shown >= 5, timeout=20_000)
    assert tab.latest is None and tab.view.image is not None and "Loading" in tab.preview.text
    wait_result(qtbot, tab)
    assert not tab.preview.active

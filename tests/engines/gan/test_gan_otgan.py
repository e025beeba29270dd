"""OT-GAN on the 2-D sets: the Sinkhorn plan's marginals and convergence, the energy distance tells a shifted
batch from the data, both nets get gradients, and the lab trains it (with its 3 G updates per critic update)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.gan.config import GANConfig
from engines.gan.data import sample_toy
from engines.gan.otgan import EmbeddingCritic, cosine_cost, energy_distance, sinkhorn_plan, transport_cost
from engines.gan.task import GANTrainTask


def test_the_sinkhorn_plan_has_uniform_marginals_and_its_cost_converges():
    torch.manual_seed(0)
    c = cosine_cost(torch.randn(64, 16), torch.randn(48, 16))
    plan = sinkhorn_plan(c, iters=500)
    assert plan.sum(0) * 48 == pytest.approx(torch.ones(48), abs=1e-4)  # columns: exact after the last update
    assert plan.sum(1) * 64 == pytest.approx(torch.ones(64), abs=0.02)
    w50, w500 = float((sinkhorn_plan(c) * c).sum()), float((plan * c).sum())
    assert w50 == pytest.approx(w500, rel=1e-3)  # SINKHORN_ITERS = 50 is enough for the cost


def test_the_energy_distance_tells_shifted_points_from_the_data():
    torch.manual_seed(0)
    critic = EmbeddingCritic(32)
    rng = np.random.default_rng(0)
    x, x2, y, y2 = (torch.from_numpy(sample_toy("ring8", 128, rng)) for _ in range(4))
    with torch.no_grad():
        same = float(energy_distance(critic, x, x2, y, y2))
        shifted = float(energy_distance(critic, x, x2, y + 3.0, y2 + 3.0))
    assert shifted > same + 0.1 and abs(same) < 0.1


def test_the_cost_gradient_reaches_the_points_and_the_critic():
    critic = EmbeddingCritic(8)
    a = torch.randn(16, 2, requires_grad=True)
    transport_cost(critic(a)["embedding"], critic(torch.randn(16, 2))["embedding"]).backward()
    assert a.grad is not None and float(a.grad.abs().sum()) > 0
    assert all(p.grad is not None for p in critic.parameters())


def test_an_otgan_step_is_one_critic_and_three_generator_updates():
    cfg = GANConfig.tiny("otgan", image=False)
    assert (cfg.n_critic, cfg.n_gen, cfg.lr_g, cfg.beta1) == (1, 3, 3e-4, 0.5)
    task = GANTrainTask(cfg, "ring8")
    calls = []
    g_step = task.g_step
    task.g_step = lambda *a: calls.append(a) or g_step(*a)
    out = task.train_step(1)
    assert len(calls) == 3 and np.isfinite(out["d_loss"]) and np.isfinite(out["g_loss"])
    with pytest.raises(ValueError, match="2-D"):
        GANConfig.for_variant("otgan", image=True)

"""BEGAN trains (it gave blank, all-alike pictures: DCGAN's N(0, 0.02) init on a net without BN left G(z) nearly
independent of z): G varies with z from the start, and on a small real batch M falls while samples stay varied."""

from __future__ import annotations

import numpy as np
import torch

from engines.gan.config import GANConfig
from engines.gan.task import GANTrainTask


def _pictures(n: int = 32) -> np.ndarray:
    """Garment-like pictures: a bright rectangle of random size and place on a black background, [-1, 1]."""
    rng = np.random.default_rng(0)
    x = np.full((n, 1, 32, 32), -1.0, np.float32)
    for pic in x:
        h, w = rng.integers(8, 24, 2)
        top, left = rng.integers(2, 30 - h), rng.integers(2, 30 - w)
        pic[0, top: top + h, left: left + w] = rng.uniform(0.2, 1.0)
    return x


def _spread(task: GANTrainTask) -> float:
    """Mean over pixels of the std across the 64 fixed-z samples (0: every sample the same picture)."""
    return float(task.generate(task.fixed_z).std(0).mean())


def test_the_began_generator_varies_with_z_from_the_start():
    task = GANTrainTask(GANConfig.for_variant("began", width=16, latent_dim=32), _pictures())
    assert _spread(task) > 0.1  # 0.004 with DCGAN's init


def test_began_on_a_small_real_set_lowers_m_and_keeps_samples_varied():
    torch.set_num_threads(1)
    cfg = GANConfig.for_variant("began", width=8, latent_dim=16, batch_size=16, began_lambda_k=0.01)
    task = GANTrainTask(cfg, _pictures())
    m = [task.train_step(step)["M"] for step in range(1, 101)]
    assert np.mean(m[-20:]) < 0.8 * np.mean(m[:20])
    assert _spread(task) > 0.05
    assert 0.0 <= task.k_t <= 1.0

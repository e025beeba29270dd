"""BEGAN trains (it gave blank, all-alike pictures: DCGAN's N(0, 0.02) init on a net without BN left G(z) nearly
independent of z): G varies with z from the start, and on a small real batch M falls while samples stay varied.
The paper's schedule: the learning rate halves when M stalls (began_lr_stall), down to a floor, and resumes kept."""

from __future__ import annotations

import copy

import numpy as np
import pytest
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


def _decay_task(**changes) -> GANTrainTask:
    cfg = GANConfig.tiny("began").with_(began_lr_stall=4, **changes)  # windows of 2 steps
    return GANTrainTask(cfg, _pictures())


def test_the_learning_rate_halves_when_m_stalls_and_stops_at_the_floor():
    task = _decay_task(began_lr_floor=2e-5)
    lrs = []
    for step, m in enumerate([1.0, 1.0, 0.5, 0.5, 0.6, 0.6, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.4, 0.4] + [0.9] * 8, 1):
        task.step = step
        task._decay_on_stall(m)
        lrs.append(task.lr())
    # the best window ends at step 4; steps 5-8 set no new best -> halve at 8; again at 12; 0.4 is a new best at
    # 14; 4 steps later (18) halving would give 1.25e-5: the floor 2e-5 holds, and holds at 22
    assert [lrs[i] for i in (6, 7, 10, 11, 16, 17, 20, 21)] == pytest.approx(
        [1e-4, 5e-5, 5e-5, 2.5e-5, 2.5e-5, 2e-5, 2e-5, 2e-5])
    assert task.opt_d.param_groups[0]["lr"] == pytest.approx(2e-5)


def test_a_floor_above_the_rate_does_not_raise_it():
    task = _decay_task(began_lr_floor=5e-4)  # e.g. a resumed run whose rate already fell below a new floor
    task.m_stall[2] = -1.0
    for step in range(1, 5):
        task.step = step
        task._decay_on_stall(1.0)
    assert task.lr() == 1e-4


def test_training_decays_a_stalled_m_and_a_resumed_run_keeps_the_rate():
    torch.set_num_threads(1)
    task = _decay_task()
    task.m_stall[2] = -1.0  # no window can beat this best: M "stalls" from the start
    for step in range(1, 9):
        task.train_step(step)
    assert task.lr() == pytest.approx(2.5e-5)  # halved at steps 4 and 8
    state = copy.deepcopy(task.state_dict())
    fresh = _decay_task()
    fresh.load_state_dict(state)
    assert fresh.lr() == pytest.approx(2.5e-5) and fresh.m_stall == task.m_stall
    assert fresh.train_step(9) == pytest.approx(task.train_step(9), rel=1e-5, abs=1e-6)


def test_no_decay_unless_asked_and_the_flag_reaches_the_config():
    from engines.gan.config import GANTrainSettings

    task = GANTrainTask(GANConfig.tiny("began"), _pictures())
    task.m_stall[2] = -1.0
    for step in range(1, 9):
        task.train_step(step)
    assert task.lr() == 1e-4
    settings = GANTrainSettings(variant="began", began_lr_stall=500, began_lr_floor=1e-5)
    assert settings.model_config().began_lr_stall == 500 and settings.model_config().began_lr_floor == 1e-5
    with pytest.raises(ValueError):
        GANTrainSettings(variant="began", began_lr_stall=-1)


def test_skip_connections_change_the_nets_and_older_files_load_without_them():
    from engines.gan.model import build_discriminator, build_generator

    plain = GANConfig.for_variant("began", width=8, latent_dim=16)
    skip = plain.with_(began_skip=True)
    z = torch.randn(3, 16)
    assert build_generator(skip)(z).shape == build_generator(plain)(z).shape == (3, 1, 32, 32)
    assert build_discriminator(skip)(torch.zeros(2, 1, 32, 32))["recon"].shape == (2, 1, 32, 32)
    with pytest.raises(RuntimeError):  # the skip net's convs take twice the channels
        build_generator(plain).load_state_dict(build_generator(skip).state_dict())
    old = {k: v for k, v in skip.to_dict().items() if k != "began_skip"}  # a config written before the option
    assert GANConfig.from_dict(old).began_skip is False

"""sketch-rnn model: the mixture NLL against hand-computed values, shapes, gradients, resume, config."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

from engines.sketch.config import SketchRNNConfig
from engines.sketch.data import StrokeSet
from engines.sketch.model import SketchRNN, kl_weight_at, reconstruction_loss, total_loss
from engines.sketch.task import SketchTrainTask, make_batch


def _y(pi_hat, mu_x, mu_y, log_sx, log_sy, rho, q):
    """Pack per-mixture lists into one decoder output vector (1, 1, 6M + 3)."""
    vals = [*pi_hat, *mu_x, *mu_y, *log_sx, *log_sy, *[math.atanh(r) for r in rho], *q]
    return torch.tensor(vals, dtype=torch.float64).view(1, 1, -1)


def _nll(y, dx, dy, m):
    target = torch.tensor([[[dx, dy, 1.0, 0.0, 0.0]]], dtype=torch.float64)
    l_s, l_p = reconstruction_loss(y, target, torch.tensor([1]), m)
    return float(l_s), float(l_p)


def test_gmm_nll_hand_computed():
    # One standard normal, point at its mean: -log N = log(2 pi) = 1.837877.
    l_s, l_p = _nll(_y([0], [0], [0], [0], [0], [0], [0, 0, 0]), 0.0, 0.0, 1)
    assert l_s == pytest.approx(1.837877, abs=1e-6)
    assert l_p == pytest.approx(math.log(3), abs=1e-9)  # uniform pen logits
    # rho = 0.5, point (1, 0): Z = 1, 1 - rho^2 = 0.75;
    # -log N = log(2 pi) + 0.5 log 0.75 + 1 / 1.5 = 1.837877 - 0.143841 + 0.666667 = 2.360703.
    l_s, _ = _nll(_y([0], [0], [0], [0], [0], [0.5], [0, 0, 0]), 1.0, 0.0, 1)
    assert l_s == pytest.approx(2.360703, abs=1e-6)
    # Same component at weight 1/2 plus a far-away one (density ~0): + log 2 = 3.053850.
    l_s, _ = _nll(_y([0, 0], [0, 50], [0, 50], [0, 0], [0, 0], [0.5, 0], [0, 0, 0]), 1.0, 0.0, 2)
    assert l_s == pytest.approx(3.053850, abs=1e-6)
    # sigma_x = e: zx = 1/e; -log N = log(2 pi) + 1 + 1/(2 e^2) = 2.905545.
    l_s, _ = _nll(_y([0], [0], [0], [1], [0], [0], [0, 0, 0]), 1.0, 0.0, 1)
    assert l_s == pytest.approx(1.837877 + 1 + 0.5 / math.e**2, abs=1e-6)


def _toy_set(n: int = 12) -> StrokeSet:
    rng = np.random.default_rng(0)
    draws = []
    for _ in range(n):
        k = int(rng.integers(3, 10))
        s = np.column_stack([rng.normal(0, 5, (k, 2)), np.zeros(k)]).astype(np.float32)
        s[k // 2, 2] = s[-1, 2] = 1
        draws.append(s)
    return StrokeSet(
        "toy",
        {"train": draws, "valid": draws[:4], "test": draws[:2]},
        {"train": [str(i) for i in range(n)], "valid": list("abcd"), "test": list("ab")},
    )


@pytest.mark.parametrize("conditional", [True, False])
def test_tiny_forward_shapes_and_loss_terms(conditional):
    torch.manual_seed(0)
    cfg = SketchRNNConfig.tiny().with_(conditional=conditional)
    model = SketchRNN(cfg)
    batch, lengths = make_batch(_toy_set().drawings["train"][:4], 5.0, cfg.max_seq_len)
    assert batch.shape == (4, cfg.max_seq_len + 1, 5) and batch[0, 0].tolist() == [0, 0, 1, 0, 0]
    losses = model(torch.from_numpy(batch), torch.from_numpy(lengths))
    assert set(losses) == {"L_s", "L_p", "L_R", "L_KL"}
    assert all(torch.isfinite(v) and v.dim() == 0 for v in losses.values())
    y, _ = model.decode(torch.from_numpy(batch[:, :-1]), torch.zeros(4, cfg.z_size) if conditional else None)
    assert y.shape == (4, cfg.max_seq_len, 6 * cfg.num_mixture + 3)
    # every parameter getting a gradient: tests/engines/test_paper_contracts.py (model.tiny_cases)


def test_train_step_resume_is_exact():
    cfg = SketchRNNConfig.tiny()
    a = SketchTrainTask(cfg, _toy_set())
    for step in range(1, 4):
        a.train_step(step)
    state = copy.deepcopy(a.state_dict())  # the live dict aliases the parameters
    expected = a.train_step(4)
    b = SketchTrainTask(cfg, _toy_set())
    b.load_state_dict(state)
    assert b.train_step(4) == pytest.approx(expected)
    ev = b.evaluate()
    assert set(ev) == {"valid_L_s", "valid_L_p", "valid_L_R", "valid_L_KL"} and all(map(math.isfinite, ev.values()))


def test_kl_annealing_and_floor():
    cfg = SketchRNNConfig(kl_weight=0.5, kl_weight_start=0.01, kl_decay_rate=0.99)
    assert kl_weight_at(cfg, 0) == pytest.approx(0.005)
    assert kl_weight_at(cfg, 10_000) == pytest.approx(0.5)
    losses = {"L_R": torch.tensor(1.0), "L_KL": torch.tensor(0.05)}
    assert float(total_loss(losses, cfg, 10_000)) == pytest.approx(1.0 + 0.5 * cfg.kl_tolerance)


@pytest.mark.parametrize(
    "bad",
    [
        {"dec_size": 0},
        {"kl_decay_rate": 1.5},
        {"recurrent_dropout": 1.0},
        {"grad_clip": 0.0},
        {"num_mixture": -1},
    ],
)
def test_config_validation(bad):
    with pytest.raises(ValueError):
        SketchRNNConfig(**bad)


def test_train_iter_yields_steps_preview_and_loadable_weights(tmp_path):
    from engines.sketch.engine import SketchEngine
    from engines.sketch.task import train_iter

    steps = list(
        train_iter(
            _toy_set(),
            SketchRNNConfig.tiny(),
            lambda: False,
            total_steps=4,
            eval_every=2,
            checkpoint_every=0,
            run_dir=tmp_path / "run",
            preview_every=2,
        )
    )
    assert [s.step for s in steps] == [1, 2, 3, 4]
    assert {"L_R", "L_KL", "kl_weight", "loss"} <= set(steps[0].losses)
    assert steps[1].evaluated and "valid_L_R" in steps[1].metrics
    assert steps[1].preview is not None and steps[1].preview.dtype == np.uint8 and steps[1].preview.ndim == 3
    eng = SketchEngine()
    eng.load(steps[-1].checkpoint)
    assert eng.info["step"] == 4 and len(eng.sample(2, 0.5, 10, seed=0)) == 2

"""Drawing one point at a time: temperature sampling from the mixture, a fast CPU decoder step, slerp.

All in normalised offset units (canvas offsets / scale factor).
"""

from __future__ import annotations

import math

import numpy as np


def _probs(logits: np.ndarray, tau: float) -> np.ndarray:
    """Softmax of logits / tau along the last axis (B, K)."""
    a = logits * (1.0 / tau)
    a = np.exp(a - a.max(axis=-1, keepdims=True))
    return a / a.sum(axis=-1, keepdims=True)


def _pick(p: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One index per row of p (B, K) by inverse CDF with uniforms u (B,); exact argmax as tau -> 0."""
    c = np.cumsum(p, axis=-1)
    c[:, -1] = np.inf
    return (c > u[:, None]).argmax(axis=-1)


def sample_step(y: np.ndarray, num_mixture: int, tau: float, rng: np.random.Generator) -> np.ndarray:
    """Draw one stroke-5 point per row from decoder outputs y (B, 6M + 3), normalised units.

    Temperature as in the paper: mixture and pen logits are divided by tau, and sigma_x^2,
    sigma_y^2 are multiplied by tau. Returns float32[B, 5] with one-hot pen state.
    """
    m, b = num_mixture, len(y)
    if b == 1:
        return _sample_one(y[0].tolist(), m, tau, rng)
    u = rng.random((2, b))
    n1, n2 = rng.standard_normal((2, b))
    rows = np.arange(b)
    j = _pick(_probs(y[:, :m], tau), u[0])
    mu_x, mu_y, log_sx, log_sy, rho_hat = y[:, m : 6 * m].reshape(b, 5, m)[rows, :, j].T
    root = np.sqrt(tau)
    rho = np.tanh(rho_hat)
    out = np.zeros((b, 5), dtype=np.float32)
    out[:, 0] = mu_x + np.exp(log_sx) * root * n1
    out[:, 1] = mu_y + np.exp(log_sy) * root * (rho * n1 + np.sqrt(np.maximum(1 - rho * rho, 0.0)) * n2)
    out[rows, 2 + _pick(_probs(y[:, 6 * m :], tau), u[1])] = 1.0
    return out


def _pick_one(logits: list[float], tau: float, u: float) -> int:
    top = max(logits)
    w = [math.exp((v - top) / tau) for v in logits]
    target, acc = u * sum(w), 0.0
    for i, v in enumerate(w):
        acc += v
        if acc > target:
            return i
    return len(w) - 1


def _sample_one(y: list[float], m: int, tau: float, rng: np.random.Generator) -> np.ndarray:
    """sample_step for one row in plain Python floats (~10x fewer dispatches than the numpy path)."""
    u1, u2 = rng.random(2).tolist()
    n1, n2 = rng.standard_normal(2).tolist()
    j = _pick_one(y[:m], tau, u1)
    mu_x, mu_y, log_sx, log_sy, rho_hat = (y[m * k + j] for k in range(1, 6))
    root, rho = math.sqrt(tau), math.tanh(rho_hat)
    out = np.zeros((1, 5), dtype=np.float32)
    out[0, 0] = mu_x + math.exp(log_sx) * root * n1
    out[0, 1] = mu_y + math.exp(log_sy) * root * (rho * n1 + math.sqrt(max(1 - rho * rho, 0.0)) * n2)
    out[0, 2 + _pick_one(y[6 * m :], tau, u2)] = 1.0
    return out


class NumpyDecoder:
    """The decoder LSTM + output layer stepped by hand on the CPU for sampling.

    Gate arithmetic runs in numpy (no per-op dispatch cost). Matrix products: numpy for one row
    (a gemv, ~2x faster than torch's call), torch for several rows (it honours
    torch.set_num_threads; numpy's OpenBLAS gemm starts its own threads, ~30x slower for these
    tiny products on a busy machine). The z part of the input projection and both biases are
    folded into one constant per row.
    """

    def __init__(self, model, z: np.ndarray | None, state: tuple) -> None:  # noqa: ANN001
        import torch

        lstm = model.decoder.lstm
        w_ih = lstm.weight_ih_l0.detach().cpu()  # (4H, 5 + Nz), gates i, f, g, o
        self.w = torch.cat([lstm.weight_hh_l0.detach().cpu().T, w_ih[:, :5].T]).contiguous()  # (H + 5, 4H)
        bias = (lstm.bias_ih_l0 + lstm.bias_hh_l0).detach().cpu().numpy()
        self.const = bias[None] + (z @ w_ih[:, 5:].numpy().T if z is not None else 0.0)  # (B, 4H)
        self.w_out = model.fc_out.weight.detach().cpu().T.contiguous()  # (H, 6M + 3)
        self.b_out = model.fc_out.bias.detach().cpu()
        self.h = state[0][0].detach().cpu().numpy()  # (B, H)
        self.c = state[1][0].detach().cpu().numpy()
        self.hid = self.h.shape[1]
        if len(self.h) == 1:
            w, w_out, b_out = self.w.numpy(), self.w_out.numpy(), self.b_out.numpy()
            self.mm = lambda a: a @ w
            self.out = lambda a: a @ w_out + b_out
        else:
            self.mm = lambda a: torch.mm(torch.from_numpy(a), self.w).numpy()
            self.out = lambda a: torch.addmm(self.b_out, torch.from_numpy(a), self.w_out).numpy()

    def step(self, point: np.ndarray) -> np.ndarray:
        """point (B, 5) -> y (B, 6M + 3) for the next point."""
        g = self.mm(np.concatenate([self.h, point], axis=1)) + self.const
        hh = self.hid
        sig = 0.5 * np.tanh(0.5 * g[:, : 2 * hh]) + 0.5  # i, f
        o = 0.5 * np.tanh(0.5 * g[:, 3 * hh :]) + 0.5
        self.c = sig[:, hh:] * self.c + sig[:, :hh] * np.tanh(g[:, 2 * hh : 3 * hh])
        self.h = (o * np.tanh(self.c)).astype(np.float32)
        return self.out(self.h)


def slerp(z1: np.ndarray, z2: np.ndarray, k: int) -> np.ndarray:
    """k points float32[k, Nz] on the great circle from z1 to z2 (linear when they are parallel)."""
    t = np.linspace(0.0, 1.0, k, dtype=np.float64)[:, None]
    a, b = z1.astype(np.float64), z2.astype(np.float64)
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(np.float32)

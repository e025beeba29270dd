"""Heatmaps <-> keypoints: Gaussian targets (Stacked Hourglass) and argmax + sub-pixel decoding.

Coordinate frames: heatmap pixel (u, v) covers input pixels with the pixel-centre convention
x = (u + 0.5) * stride - 0.5, where stride = input size / heatmap size (256 / 64 = 4).
"""

from __future__ import annotations

import numpy as np

_EPS = 1e-10


def to_heatmap_px(points: np.ndarray, stride: float) -> np.ndarray:
    """Input pixels (..., 2) -> heatmap pixels (..., 2)."""
    return (np.asarray(points, np.float32) + 0.5) / stride - 0.5


def to_input_px(points: np.ndarray, stride: float) -> np.ndarray:
    """Heatmap pixels (..., 2) -> input pixels (..., 2)."""
    return (np.asarray(points, np.float32) + 0.5) * stride - 0.5


def gaussian_heatmaps(
    points: np.ndarray, visible: np.ndarray, size: tuple[int, int], sigma: float = 1.0
) -> np.ndarray:
    """Stacked Hourglass targets: a Gaussian peak (max 1) per joint, all zeros where not visible.

    points: float (..., K, 2) (x, y) in heatmap pixels; visible: bool (..., K); size: (H, W).
    Returns float32 (..., K, H, W).
    """
    pts = np.asarray(points, np.float32)
    h, w = size
    ys = np.arange(h, dtype=np.float32)[:, None]
    xs = np.arange(w, dtype=np.float32)[None, :]
    dx = xs - pts[..., 0, None, None]  # (..., K, 1, W)
    dy = ys - pts[..., 1, None, None]  # (..., K, H, 1)
    maps = np.exp(-(dx * dx + dy * dy) / (2.0 * sigma * sigma))
    return (maps * np.asarray(visible, np.float32)[..., None, None]).astype(np.float32)


def _vertex(left: np.ndarray, centre: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Offset in (-0.5, 0.5) of the parabola through (-1, l), (0, c), (1, r) (log values)."""
    denom = left - 2.0 * centre + right
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(denom < -_EPS, 0.5 * (left - right) / denom, 0.0)
    return np.clip(off, -0.5, 0.5)


def decode_heatmaps(heatmaps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Argmax with a sub-pixel refinement per joint.

    heatmaps: float (..., K, H, W), non-negative scores (apply a sigmoid to logits first).
    The refinement fits a parabola to log(score) around the peak along x and along y; for an
    exact Gaussian this recovers the centre exactly. Peaks on the border keep the integer position.
    Returns (points float32 (..., K, 2) (x, y) in heatmap pixels, peak float32 (..., K)).
    """
    hm = np.asarray(heatmaps, np.float32)
    *lead, h, w = hm.shape
    flat = hm.reshape(-1, h * w)
    idx = flat.argmax(axis=1)
    peak = flat[np.arange(flat.shape[0]), idx]
    ys, xs = np.divmod(idx, w)
    logs = np.log(np.maximum(hm.reshape(-1, h, w), _EPS))
    n = np.arange(flat.shape[0])
    inner_x = (xs > 0) & (xs < w - 1)
    inner_y = (ys > 0) & (ys < h - 1)
    xl, xr = np.clip(xs - 1, 0, w - 1), np.clip(xs + 1, 0, w - 1)
    yu, yd = np.clip(ys - 1, 0, h - 1), np.clip(ys + 1, 0, h - 1)
    c = logs[n, ys, xs]
    ox = np.where(inner_x, _vertex(logs[n, ys, xl], c, logs[n, ys, xr]), 0.0)
    oy = np.where(inner_y, _vertex(logs[n, yu, xs], c, logs[n, yd, xs]), 0.0)
    pts = np.stack([xs + ox, ys + oy], axis=1).astype(np.float32)
    return pts.reshape(*lead, 2), peak.astype(np.float32).reshape(lead)


def pck(
    pred: np.ndarray, target: np.ndarray, visible: np.ndarray, norm: np.ndarray, alpha: float = 0.2
) -> tuple[float, np.ndarray]:
    """PCK@alpha: share of visible joints whose error is within alpha x a per-sample length.

    pred/target: (N, K, 2) same pixels; visible: bool (N, K); norm: (N,) reference lengths
    (torso diameter for FLIC-style PCK@0.2). Returns (overall fraction, per-joint fraction (K,),
    NaN for a joint never visible).
    """
    err = np.linalg.norm(np.asarray(pred) - np.asarray(target), axis=-1)  # (N, K)
    ok = (err <= alpha * np.asarray(norm)[:, None]) & visible
    counts = visible.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        per_joint = np.where(counts > 0, ok.sum(axis=0) / np.maximum(counts, 1), np.nan)
    total = float(ok.sum() / max(int(visible.sum()), 1))
    return total, per_joint.astype(np.float32)

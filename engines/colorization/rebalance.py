"""A class-rebalanced colour loss, the option beside the paper's MSE (after Zhang, Isola and Efros 2016,
"Colorful Image Colorization": quantised a*b* classification, rebalancing and annealed-mean decoding).

MSE on a*b* predicts the mean of the plausible colours, which for an ambiguous object (a shirt, a car) is
a muted brown. Here the colorization net predicts a distribution over a*b* bins instead:
  bins       the centres of a 10-unit a*b* grid (-110 .. 110, 23 x 23 cells) that sRGB colours reach
             (Zhang et al. report 313; our gamut test gives a similar count, see ab_bins)
  target     each true a*b* spread over the 4 surrounding grid cells with bilinear weights (a soft encoding)
  weight     w(q) = 1 / ((1 - lambda) p~(q) + lambda / Q), normalised so that E_p~[w] = 1, where p~ is the
             training photos' bin frequency smoothed by a Gaussian (sigma 5 Lab units); lambda = 0.5 (paper)
  loss       mean over pixels of w(bin of the truth) * cross-entropy(soft target, softmax(logits))
  decoding   annealed mean: ab = sum_q softmax(logits / T)_q centre_q, T = 0.38 (paper); T = 1 is the mean,
             T -> 0 the mode
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

GRID_STEP = 10.0
GRID_MIN = -110.0
GRID_CELLS = 23  # centres -110, -100, ..., 110


def ab_bins() -> np.ndarray:
    """float32 (Q, 2) a*b* centres (Lab units) of the grid cells that some sRGB colour falls in."""
    import cv2

    v = np.linspace(0.0, 1.0, 48, dtype=np.float32)
    rgb = np.stack(np.meshgrid(v, v, v, indexing="ij"), -1).reshape(-1, 1, 3)
    lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2Lab).reshape(-1, 3)
    cells = np.clip(np.round((lab[:, 1:] - GRID_MIN) / GRID_STEP), 0, GRID_CELLS - 1).astype(np.int64)
    used = np.unique(cells[:, 0] * GRID_CELLS + cells[:, 1])
    return np.stack([used // GRID_CELLS, used % GRID_CELLS], 1).astype(np.float32) * GRID_STEP + GRID_MIN


def cell_lookup(bins: torch.Tensor) -> torch.Tensor:
    """int64 (23 * 23,) grid cell -> bin index, or -1 for a cell outside the gamut."""
    cells = torch.round((bins - GRID_MIN) / GRID_STEP).long()
    lut = torch.full((GRID_CELLS * GRID_CELLS,), -1, dtype=torch.long, device=bins.device)
    lut[cells[:, 0] * GRID_CELLS + cells[:, 1]] = torch.arange(len(bins), device=bins.device)
    return lut


def soft_encode(ab: torch.Tensor, lut: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """ab: (N, 2) Lab units -> (index (N, 4) bin of each surrounding cell, weight (N, 4) summing to 1).

    Bilinear weights on the grid; a corner outside the gamut gets weight 0 (and index 0) and the rest are
    renormalised. When all four are outside (not seen for colours of sRGB photos) the target falls back to
    bin 0 with weight 1.
    """
    g = ((ab - GRID_MIN) / GRID_STEP).clamp(0, GRID_CELLS - 1 - 1e-4)  # (N, 2) grid coordinates
    i0 = g.floor().long()
    f = g - i0
    idx, wts = [], []
    for da in (0, 1):
        for db in (0, 1):
            cell = (i0[:, 0] + da) * GRID_CELLS + (i0[:, 1] + db)
            w = (f[:, 0] if da else 1 - f[:, 0]) * (f[:, 1] if db else 1 - f[:, 1])
            b = lut[cell]
            idx.append(b.clamp_min(0))
            wts.append(torch.where(b >= 0, w, torch.zeros_like(w)))
    index, weight = torch.stack(idx, 1), torch.stack(wts, 1)  # (N, 4) each
    total = weight.sum(1, keepdim=True)
    nearest = F.one_hot(weight.argmax(1), 4).to(weight.dtype)  # degenerate case: all corners out of gamut
    weight = torch.where(total > 1e-6, weight / total.clamp_min(1e-6), nearest)
    return index, weight


def rebalance_weights(counts: np.ndarray, bins: np.ndarray, lam: float = 0.5, sigma: float = 5.0) -> np.ndarray:
    """Per-bin loss weights (Q,) from bin counts (Q,) of training pixels (Zhang et al. eq. 3-4)."""
    p = counts / max(1.0, counts.sum())
    d2 = ((bins[:, None, :] - bins[None, :, :]) ** 2).sum(-1)  # (Q, Q) squared distance of centres
    kernel = np.exp(-d2 / (2 * sigma**2))
    p_smooth = kernel @ p
    p_smooth /= p_smooth.sum()
    w = 1.0 / ((1 - lam) * p_smooth + lam / len(bins))
    w /= (p_smooth * w).sum()
    return w.astype(np.float32)


def bin_counts(ab: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Counts (Q,) of pixels ab (N, 2) Lab units by nearest bin."""
    lut = cell_lookup(torch.from_numpy(bins))
    index, weight = soft_encode(torch.from_numpy(np.asarray(ab, np.float32)), lut)
    nearest = index.gather(1, weight.argmax(1, keepdim=True))[:, 0]
    return np.bincount(nearest.numpy(), minlength=len(bins)).astype(np.float64)


def rebalanced_loss(logits: torch.Tensor, ab_unit: torch.Tensor, lut: torch.Tensor,
                    bin_weight: torch.Tensor) -> torch.Tensor:
    """logits (B, Q, h, w); ab_unit (B, 2, H, W) true a*b* in the net's [0, 1] units (area-resized to h x w)
    -> scalar: mean over pixels of w(truth's bin) * CE(soft target, softmax(logits))."""
    from engines.colorization.lab import AB_OFFSET, AB_SCALE

    if ab_unit.shape[2:] != logits.shape[2:]:
        ab_unit = F.adaptive_avg_pool2d(ab_unit, logits.shape[2:])
    ab = (ab_unit * AB_SCALE - AB_OFFSET).permute(0, 2, 3, 1).reshape(-1, 2)  # (N, 2) Lab units
    index, weight = soft_encode(ab, lut)
    logp = F.log_softmax(logits.float(), 1).permute(0, 2, 3, 1).reshape(-1, logits.shape[1])  # (N, Q)
    ce = -(logp.gather(1, index) * weight).sum(1)  # (N,)
    w = (bin_weight[index] * weight).sum(1)  # (N,) the weight of the truth's colour
    return (w * ce).mean()


def annealed_mean(logits: torch.Tensor, bins: torch.Tensor, temperature: float) -> torch.Tensor:
    """(B, Q, h, w) logits -> (B, 2, h, w) a*b* in Lab units: sum_q softmax(logits / T)_q bins_q."""
    p = torch.softmax(logits / temperature, dim=1)
    return torch.einsum("bqhw,qc->bchw", p, bins)

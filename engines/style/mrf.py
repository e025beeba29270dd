"""MRF (patch nearest-neighbour) style loss of Li & Wand (CNNMRF), with Neural Doodle's semantic maps.

Li & Wand replace Gatys et al.'s Gram matrices with a Markov random field prior on feature patches: every
k x k patch of the synthesised image's feature map is matched to the style patch with the highest normalised
cross-correlation, and the loss is the sum of squared distances to those matches. Champandard's Neural Doodle
appends a user-painted semantic map (one channel per colour, scaled by gamma) to the features before the
patches are taken, so patches are matched within the same class: "paint this blob with those trees".

Shapes: features (1, C, h, w); maps (1, M, H, W) in {0, 1}, resized to each layer; patches (N, D), D = C k k.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MRF_LAYERS = ("Relu6__15:0", "Relu6__25:0")
"""The predictor's expansion ReLU6 outputs at strides 4 and 8 (144 and 192 channels): the analogues of VGG19's
relu3_1 and relu4_1, the two layers the CNNMRF paper matches patches on."""


def patches(f: torch.Tensor, k: int, stride: int = 1) -> torch.Tensor:
    """(1, C, h, w) -> (N, C k k): every k x k patch (N = ((h-k)//stride+1) ((w-k)//stride+1))."""
    return F.unfold(f, k, stride=stride)[0].t()


def semantic_channels(content_map: np.ndarray, style_map: np.ndarray, levels: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Two doodles (H, W, 3) uint8 (any sizes) -> one-hot maps (M, H, W) float32 each, one channel per colour
    that occurs in both (colours quantised to `levels` steps per channel, so a painted blob's edge pixels join
    their blob). Colours present in only one map get no channel (nothing to match them with)."""
    def quantise(m: np.ndarray) -> np.ndarray:
        q = (m.astype(np.int32) * levels // 256).reshape(-1, 3)
        return (q[:, 0] * levels + q[:, 1]) * levels + q[:, 2]

    qc, qs = quantise(content_map), quantise(style_map)
    common = np.intersect1d(np.unique(qc), np.unique(qs))
    if common.size == 0:
        raise ValueError("the two semantic maps share no colour: paint the same colours on both")

    def one_hot(q: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        return np.stack([(q == c).reshape(shape[:2]) for c in common]).astype(np.float32)

    return one_hot(qc, content_map.shape), one_hot(qs, style_map.shape)


class MRFStyleLoss(nn.Module):
    """forward(features {layer: (1, C, h, w)}) -> mean over layers of the mean squared distance between each
    k x k patch and its nearest style patch (nearest by normalised cross-correlation, Li & Wand).

    style_features: the style image's features; style_map / target_map: Neural Doodle maps (1, M, H, W) or
    None; gamma: the maps' weight, in units of the layer's RMS activation; max_style_patches: per layer, the
    style patches are taken at the smallest stride that keeps at most this many (the search costs
    style patches x target patches x C k k multiply-adds). Matches are found without gradient, every
    `match_every` forwards (in between, the last matches are reused: they move slowly); the loss pulls each
    patch towards its match.
    """

    def __init__(self, style_features: Mapping[str, torch.Tensor], layers: tuple[str, ...], k: int = 3,
                 max_style_patches: int = 1024, style_map: torch.Tensor | None = None,
                 target_map: torch.Tensor | None = None, gamma: float = 10.0, match_every: int = 1) -> None:
        super().__init__()
        self.layers, self.k, self.match_every = tuple(layers), k, match_every
        self._forwards = 0
        self.style_patches: dict[str, torch.Tensor] = {}
        self.kernels: dict[str, torch.Tensor] = {}  # normalised style patches as conv filters (N, C', k, k)
        self.target_maps: dict[str, torch.Tensor | None] = {}
        for name in self.layers:
            f = style_features[name].detach()
            scale = gamma * f.pow(2).mean().sqrt()
            if style_map is not None:
                f = torch.cat([f, scale * _resize(style_map, f.shape[-2:])], 1)
            self.target_maps[name] = None if target_map is None else scale * target_map
            h, w = f.shape[-2:]
            stride = next(s for s in range(1, max(h, w) + 1)
                          if ((h - k) // s + 1) * ((w - k) // s + 1) <= max_style_patches)
            p = patches(f, k, stride)
            self.style_patches[name] = p
            self.kernels[name] = (p / p.norm(dim=1, keepdim=True).clamp_min(1e-8)).reshape(-1, f.shape[1], k, k)
        self.last_matches: dict[str, torch.Tensor] = {}  # style patch index per target patch (N,), last search
        self._targets: dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]] = {}  # _fold_matches

    def augmented(self, name: str, f: torch.Tensor) -> torch.Tensor:
        """The layer's features with the target's semantic map appended (1, C + M, h, w)."""
        target_map = self.target_maps[name]
        if target_map is None:
            return f
        return torch.cat([f, _resize(target_map, f.shape[-2:]).to(f.dtype)], 1)

    def forward(self, features: Mapping[str, torch.Tensor]) -> torch.Tensor:
        total = features[self.layers[0]].new_zeros(())
        search = self._forwards % self.match_every == 0 or not self._targets
        self._forwards += 1
        for name in self.layers:
            f = self.augmented(name, features[name])
            if search:
                with torch.no_grad():  # NCC: style side normalised; a target patch's own norm does not change argmax
                    self.last_matches[name] = F.conv2d(f, self.kernels[name]).flatten(2)[0].argmax(0)  # (N,)
                    self._targets[name] = self._fold_matches(name, f.shape)
            mean, count, constant, n = self._targets[name]
            # sum over patches of |patch - match|^2 = sum over positions of count |f - mean of the matched values|^2
            # + a constant (their spread): the same loss and gradient as the patch form, without unfolding f
            total = total + (torch.sum(count * (f - mean) ** 2) + constant) / n
        return total / len(self.layers)

    def _fold_matches(self, name: str, shape: torch.Size) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, int]:
        """Per feature position: the mean of the matched style values covering it (1, C', h, w), how many patches
        cover it (1, 1, h, w), the loss's constant term, and the number of patch elements (N D)."""
        chosen = self.style_patches[name][self.last_matches[name]]  # (N, D)
        size, k = tuple(shape[-2:]), self.k
        summed = F.fold(chosen.t()[None], size, k)  # (1, C', h, w)
        squares = F.fold((chosen ** 2).t()[None], size, k)
        count = F.fold(torch.ones_like(chosen[:1]).t()[None].expand(1, -1, chosen.shape[0]), size, k)[:, :1]
        mean = summed / count.clamp_min(1)
        constant = squares.sum() - (count * mean ** 2).sum()
        return mean, count, constant, chosen.numel()


def _resize(m: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(1, M, H, W) map -> (1, M, h, w), area-averaged (soft at class borders)."""
    return F.interpolate(m, size=tuple(size), mode="area")

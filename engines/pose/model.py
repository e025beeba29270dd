"""Stacked Hourglass Networks for Human Pose Estimation (Newell, Yang, Deng 2016), in torch.

Shape walk-through for the paper's setting (input 256, features 256, 2 stacks, K = 16):
  stem   (B, 3, 256, 256) -7x7 s2-> (B, 64, 128, 128) -res-> 128 ch -maxpool-> (B, 128, 64, 64)
         -res, res-> (B, 256, 64, 64)
  hourglass: 4 max-pool steps 64 -> 4 px, a skip branch before each pool, nearest x2 up and add
  head   two 1x1 convs -> heatmaps (B, K, 64, 64); all but the last stack feed heatmaps and
         features back (1x1 each) into the next stack's input (intermediate supervision).
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engines.base import EngineError
from engines.pose.config import HourglassConfig


class Residual(nn.Module):
    """Bottleneck residual module (pre-activation): BN-ReLU-1x1 (C -> C/2), BN-ReLU-3x3, BN-ReLU-1x1
    (C/2 -> C_out), plus the input (1x1 projection when C != C_out). Paper: 256 -> 128 -> 256."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        mid = c_out // 2
        self.bn1, self.conv1 = nn.BatchNorm2d(c_in), nn.Conv2d(c_in, mid, 1)
        self.bn2, self.conv2 = nn.BatchNorm2d(mid), nn.Conv2d(mid, mid, 3, padding=1)
        self.bn3, self.conv3 = nn.BatchNorm2d(mid), nn.Conv2d(mid, c_out, 1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C_in, H, W) -> (B, C_out, H, W)
        y = self.conv1(F.relu(self.bn1(x)))
        y = self.conv2(F.relu(self.bn2(y)))
        y = self.conv3(F.relu(self.bn3(y)))
        return y + self.skip(x)


def _blocks(c: int, n: int) -> nn.Sequential:
    return nn.Sequential(*(Residual(c, c) for _ in range(n)))


class Hourglass(nn.Module):
    """One hourglass of `depth` levels: (B, C, H, W) -> (B, C, H, W), H divisible by 2**depth."""

    def __init__(self, depth: int, c: int, blocks: int) -> None:
        super().__init__()
        self.skip = _blocks(c, blocks)  # branch kept at this resolution
        self.down = _blocks(c, blocks)  # after the 2x2 max pool
        self.inner = Hourglass(depth - 1, c, blocks) if depth > 1 else _blocks(c, blocks)
        self.up = _blocks(c, blocks)  # before nearest-neighbour x2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skip = self.skip(x)  # (B, C, H, W)
        low = self.down(F.max_pool2d(x, 2, 2))  # (B, C, H/2, W/2)
        low = self.up(self.inner(low))
        return skip + F.interpolate(low, scale_factor=2, mode="nearest")


class StackedHourglassNet(nn.Module):
    """forward(x: (B, 3, S, S) RGB in [0, 1]) -> heatmaps per stack (B, stacks, K, S/4, S/4)."""

    def __init__(self, config: HourglassConfig) -> None:
        super().__init__()
        self.config = config
        f = config.features
        self.stem = nn.Sequential(
            nn.Conv2d(3, f // 4, 7, stride=2, padding=3),
            nn.BatchNorm2d(f // 4),
            nn.ReLU(inplace=True),
            Residual(f // 4, f // 2),
            nn.MaxPool2d(2, 2),
            Residual(f // 2, f // 2),
            Residual(f // 2, f),
        )
        self.hourglasses = nn.ModuleList(
            Hourglass(config.depth, f, config.blocks) for _ in range(config.stacks)
        )
        self.features = nn.ModuleList(
            nn.Sequential(
                _blocks(f, config.blocks), nn.Conv2d(f, f, 1), nn.BatchNorm2d(f), nn.ReLU(inplace=True)
            )
            for _ in range(config.stacks)
        )
        self.heads = nn.ModuleList(nn.Conv2d(f, config.joints, 1) for _ in range(config.stacks))
        self.merge_features = nn.ModuleList(nn.Conv2d(f, f, 1) for _ in range(config.stacks - 1))
        self.merge_heatmaps = nn.ModuleList(nn.Conv2d(config.joints, f, 1) for _ in range(config.stacks - 1))
        self.register_buffer("mean", torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem((x - self.mean) / self.std)  # (B, F, S/4, S/4)
        outs = []
        for s in range(self.config.stacks):
            y = self.features[s](self.hourglasses[s](x))  # (B, F, S/4, S/4)
            heat = self.heads[s](y)  # (B, K, S/4, S/4)
            outs.append(heat)
            if s < self.config.stacks - 1:
                x = x + self.merge_features[s](y) + self.merge_heatmaps[s](heat)
        return torch.stack(outs, dim=1)  # (B, stacks, K, S/4, S/4)


# ---------------------------------------------------------------- the weights format
WEIGHTS_FORMAT = "paperzoo-hourglass-1"
"""The `kind` of a student weights file: {kind, config (HourglassConfig fields), model (fp32 state dict),
joint_names, meta}."""


def save_student(
    path: str | Path,
    model: StackedHourglassNet,
    joint_names: tuple[str, ...],
    meta: dict[str, Any] | None = None,
) -> Path:
    """Write config + fp32 state dict + joint names (+ plain-value meta) atomically."""
    from engines.training import save_checkpoint

    state = {k: v.detach().float().cpu().clone() for k, v in model.state_dict().items()}
    return save_checkpoint(
        Path(path),
        {
            "kind": WEIGHTS_FORMAT,
            "config": asdict(model.config),
            "model": state,
            "joint_names": list(joint_names),
            "meta": meta or {},
        },
    )


def load_student(path: str | Path) -> tuple[StackedHourglassNet, tuple[str, ...], dict[str, Any]]:
    """Read a student file (or a training checkpoint's exported student) into an eval-mode CPU model."""
    from engines.training import load_checkpoint

    payload = load_checkpoint(path)
    if payload.get("kind") != WEIGHTS_FORMAT:
        raise EngineError(f"{Path(path).name} is not a Stacked Hourglass student file")
    from engines.runtime import require_finite

    name = Path(path).name
    try:  # the config is validated (with upper bounds) before the network is built
        config = HourglassConfig(**payload["config"])
        require_finite(payload["model"], name)
        model = StackedHourglassNet(config)
        model.load_state_dict(payload["model"])
        joint_names = tuple(str(n) for n in payload["joint_names"])
        meta = dict(payload.get("meta", {}))
    except (KeyError, TypeError, ValueError, RuntimeError, AttributeError) as exc:
        raise EngineError(f"{name} does not fit the Stacked Hourglass student ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:160] if str(exc) else ''})") from exc
    if len(joint_names) != config.joints:
        raise EngineError(f"{name} names {len(joint_names)} joints for a {config.joints}-joint model")
    return model.eval(), joint_names, meta


def stack_losses(pred: torch.Tensor, target: torch.Tensor) -> list[torch.Tensor]:
    """Intermediate supervision: the MSE of every stack's heatmaps against the same Gaussian targets.

    pred (B, stacks, K, H, W), target (B, K, H, W) -> one scalar per stack; the training loss is their sum.
    """
    return [F.mse_loss(pred[:, s], target) for s in range(pred.shape[1])]


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def tiny_cases() -> list:
    """The contract tests' tiny Stacked Hourglass: HourglassConfig.tiny() on a (2, 3, 64, 64) batch."""
    from engines.base import ModelCase

    config = HourglassConfig.tiny()

    def forward(model: StackedHourglassNet, inputs: tuple) -> dict[str, torch.Tensor]:
        out = model(inputs[0])
        stacked = torch.stack(list(out), 1) if isinstance(out, (list, tuple)) else out
        return {"heatmaps": stacked}  # (B, stacks, K, H/4, W/4)

    side = config.heatmap_size
    return [ModelCase(
        name="hourglass-tiny",
        build=lambda: StackedHourglassNet(config),
        example=lambda: (torch.rand(2, 3, config.input_size, config.input_size),),
        forward=forward,
        shapes={"heatmaps": (2, config.stacks, config.joints, side, side)},
    )]

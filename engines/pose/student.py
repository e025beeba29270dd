"""Saving, loading and running a Stacked Hourglass student (`.pt`, weights_only-safe)."""

from __future__ import annotations

import threading
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from engines.base import EngineError
from engines.pose.config import HourglassConfig
from engines.pose.decode import decode_heatmaps, to_input_px
from engines.pose.model import StackedHourglassNet

STUDENT_FORMAT = "paperzoo-hourglass-1"


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
            "kind": STUDENT_FORMAT,
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
    if payload.get("kind") != STUDENT_FORMAT:
        raise EngineError(f"{Path(path).name} is not a Stacked Hourglass student file")
    config = HourglassConfig(**payload["config"])
    model = StackedHourglassNet(config)
    model.load_state_dict(payload["model"])
    return model.eval(), tuple(payload["joint_names"]), dict(payload.get("meta", {}))


class StudentRunner:
    """run(RGB uint8 (S, S, 3)) -> (points float32 (K, 2) crop px, confidence (K,), heatmaps (K, h, w)).

    Heatmaps are the last stack's, clipped to [0, 1]; keypoints are their argmax + sub-pixel peaks.
    """

    name = "torch"

    def __init__(self, path: Path, device: str = "cpu") -> None:
        self._master, self.joint_names, self.meta = load_student(path)
        self.config = self._master.config
        self._lock = threading.Lock()
        self.set_device(device)

    def set_device(self, device: str) -> None:
        from engines.runtime import Precision

        # fp32 everywhere, like the BlazePose port: a small model, and fp16 costs landmark accuracy
        model = Precision(half=False, channels_last=Precision.for_device(device).channels_last).place(
            self._master, device)
        with self._lock:
            self._model, self.device = model, device

    def run(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import torch

        with self._lock:
            model, device = self._model, self.device
        x = (
            torch.from_numpy(np.ascontiguousarray(rgb))
            .to(device)[None]
            .permute(0, 3, 1, 2)
            .float()
            .div_(255.0)
        )
        with torch.inference_mode():
            heat = model(x)[0, -1].float().clamp_(0, 1).cpu().numpy()  # last stack (K, S/4, S/4)
        pts, peak = decode_heatmaps(heat)
        return to_input_px(pts, 4.0), peak, heat

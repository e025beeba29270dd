"""Running a Stacked Hourglass student file (the format: engines.pose.model.save_student/load_student)."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from engines.pose.decode import decode_heatmaps, to_input_px
from engines.pose.model import load_student


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

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
        self._backend = None  # pose.cpu_backend.HeatmapBackend while a CPU backend runs the network
        self.gate = None
        self.set_device(device)

    def set_device(self, device: str) -> None:
        """torch "cpu"/"cuda"/"mps", or a CPU backend ("openvino-bf16" ...) that must pass the heatmap gate
        (engines.pose.cpu_backend); a refused one raises EngineError and the runner stays where it was."""
        from engines.backends import is_backend_device
        from engines.runtime import Precision

        if is_backend_device(device):
            backend = self._build_backend(device)
            with self._lock:
                self._backend, self.device = backend, device
            return
        # fp32 everywhere, like the BlazePose port: a small model, and fp16 costs landmark accuracy
        model = Precision(half=False, channels_last=Precision.for_device(device).channels_last).place(
            self._master, device)
        if device == "cpu":
            model = traced_for_cpu(model, self.config.input_size)
        with self._lock:
            self._model, self.device, self._backend = model, device, None

    def _build_backend(self, device: str):
        from engines.backends import parse_device
        from engines.backends.frames import demo_frames
        from engines.base import EngineError
        from engines.pose import cpu_backend

        try:
            choice = parse_device(device)
        except ValueError as exc:
            raise EngineError(str(exc)) from exc
        built = cpu_backend.build_backend(self._master.float().eval(), self.config.input_size, choice,
                                          demo_frames(16, step=15))
        if not built.gate.passed:
            raise EngineError(f"{device} refused: {built.gate.reason} (needs <= {cpu_backend.HEAT_LIMIT})")
        self.gate = built.gate
        return built

    def run(self, rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        import torch

        with self._lock:
            model, device, backend = getattr(self, "_model", None), self.device, self._backend
        if backend is not None:
            x = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
            heat = backend.heatmaps(x)
            pts, peak = decode_heatmaps(heat)
            return to_input_px(pts, 4.0), peak, heat
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


def traced_for_cpu(model, size: int):
    """The network as a frozen TorchScript graph for 1 x 3 x size x size inputs (batch norm folded): on the CPU
    it runs without the interpreter's per-module overhead and releases the interpreter lock while it runs.
    Measured (1 thread, 128 px, alternated): 5.9 vs 10.9 ms eager; beside a pure-Python thread 17 ms vs 1,282 ms,
    which is what the compare view's second model meets. Outputs within 1e-6 of the eager model's. torch marks
    tracing deprecated (2.13, our pin still has it): where it fails, the eager model runs as before."""
    import warnings

    import torch

    example = torch.zeros(1, 3, size, size).contiguous(memory_format=torch.channels_last)
    try:
        with warnings.catch_warnings(), torch.inference_mode():
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.freeze(torch.jit.trace(model.eval(), example, check_trace=False))
    except Exception:  # noqa: BLE001 - a torch without tracing: eager is correct, only slower
        return model


"""The pose student (Stacked Hourglass) on a CPU backend, gated on its heatmaps.

The exported graph is StackedHourglassNet(x (1, 3, S, S) RGB in [0, 1]) -> (1, stacks, K, S/4, S/4); the
gate compares the last stack's heatmaps (clipped to [0, 1], as StudentRunner uses them) with torch's on
held-out demo-clip frames: max |error| <= HEAT_LIMIT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engines.backends.choice import BackendChoice
from engines.backends.gate import GateResult, error_gate
from engines.backends.onnx_cache import export_onnx
from engines.backends.quantize import quantize_int8
from engines.backends.runners import Runner, open_runner

STUDENT = Path(__file__).resolve().parents[2] / "assets" / "weights" / "pose_hourglass.pt"
HEAT_LIMIT = 0.05  # heatmap units in [0, 1]; a peak of a visible joint is ~0.5-1
INPUT = "image"


def to_input(image: np.ndarray, size: int) -> np.ndarray:
    """BGR uint8 (H, W, 3) -> float32 (1, 3, S, S) RGB in [0, 1] (the whole frame as the crop)."""
    rgb = cv2.cvtColor(cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0


def last_heatmaps(out: np.ndarray) -> np.ndarray:
    """(1, stacks, K, h, w) -> the last stack's (K, h, w), clipped to [0, 1]."""
    return np.clip(out[0, -1], 0.0, 1.0)


def torch_heatmaps(model, x: np.ndarray) -> np.ndarray:
    import torch

    with torch.inference_mode():
        return last_heatmaps(model(torch.from_numpy(x)).numpy())


@dataclass
class HeatmapBackend:
    runner: Runner
    choice: BackendChoice
    gate: GateResult
    path: Path

    def heatmaps(self, x: np.ndarray) -> np.ndarray:
        """x (1, 3, S, S) -> (K, S/4, S/4) in [0, 1]."""
        return last_heatmaps(self.runner.run({INPUT: x})[0])


def build_backend(model, size: int, choice: BackendChoice, frames: Sequence[np.ndarray],
                  directory: Path | None = None, limit: float = HEAT_LIMIT) -> HeatmapBackend:
    """Export the hourglass (fp32 CPU) at `size`, build `choice`'s runner (int8: calibrated on the even
    frames) and gate it on the odd frames (BGR uint8)."""
    import torch

    path = export_onnx(model, torch.zeros(1, 3, size, size), "hourglass", directory, (INPUT,), ("heatmaps",))
    calib, held_out = list(frames[0::2]), list(frames[1::2])
    if choice.precision == "int8":
        path = quantize_int8(path, INPUT, [to_input(f, size) for f in calib])
    runner = open_runner(path, choice)
    refs = [torch_heatmaps(model, to_input(f, size)) for f in held_out]
    outs = [last_heatmaps(runner.run({INPUT: to_input(f, size)})[0]) for f in held_out]
    return HeatmapBackend(runner, choice, error_gate(refs, outs, limit, "max |heatmap error|"), path)


def backend_records(threads: Sequence[int] = (1, 2), rounds: int = 20) -> list[dict]:
    """The shipped student at its input size on every CPU backend, alternated with torch: one record per
    (backend, precision, threads); agreement = max |heatmap error| on held-out demo-clip frames."""
    import statistics

    import torch

    from engines.backends import backend_devices, parse_device
    from engines.backends.frames import demo_frames
    from engines.backends.records import load_avg, make_record
    from engines.pose.model import load_student
    from engines.timing import alternate

    model = load_student(STUDENT)[0].float().eval()
    size = model.config.input_size
    frames = demo_frames(16, step=15)
    x = to_input(frames[1], size)
    gates: dict = {}
    out = []
    for t in threads:
        torch.set_num_threads(t)
        fns = {"torch-f32": lambda: torch_heatmaps(model, x)}
        for device in backend_devices():
            built = build_backend(model, size, parse_device(device, t), frames)
            gates.setdefault(device, built.gate)
            fns[device] = (lambda b=built: b.heatmaps(x))
        before = load_avg()
        times = alternate(fns, rounds, warmup=3)
        loads = (before, load_avg())
        ref = {"opencv": None, "torch": statistics.median(times["torch-f32"])}
        for key, ts in times.items():
            backend, precision = key.split("-")
            gate = gates.get(key)
            extra = {"device": "cpu", "input": f"{size}x{size}", "agreement_measure": "max |heatmap error|"}
            if gate is not None:
                extra.update(gate_passed=gate.passed, gate_reason=gate.reason, gate_frames=gate.frames)
            out.append(make_record("pose.student", backend, precision, t, ts, ref,
                                   0.0 if backend == "torch" else gate.agreement, loads, **extra))
    return out

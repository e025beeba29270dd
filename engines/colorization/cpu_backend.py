"""The colorization network on a CPU backend (OpenVINO / onnxruntime, f32 / bf16 / int8), gated on colour.

The exported graph is LetThereBeColorNet.forward(l_local (1, 1, S, S), l_global (1, 1, G, G)) ->
(ab (1, 2, S, S) in [0, 1], class logits (1, C)); L inputs are L/100. The gate: mean |a*b* - torch's a*b*|
in Lab units over held-out demo-clip frames <= COLOUR_LIMIT (a just-noticeable difference is ~2.3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.backends.choice import BackendChoice
from engines.backends.gate import GateResult, error_gate
from engines.backends.onnx_cache import export_onnx
from engines.backends.quantize import quantize_int8
from engines.backends.runners import Runner, open_runner
from engines.colorization.fullres import small_lightness
from engines.colorization.lab import AB_SCALE

COLOUR_LIMIT = 1.0  # Lab units, mean over pixels and frames
INPUTS = ("l_local", "l_global")


def net_inputs(image: np.ndarray, size: int | tuple[int, int], global_size: int) -> dict[str, np.ndarray]:
    """BGR uint8 -> {"l_local": (1, 1, h, w), "l_global": (1, 1, G, G)} float32 L/100; size: S or (w, h)."""
    wh = (size, size) if isinstance(size, int) else tuple(size)
    return {"l_local": (small_lightness(image, wh) / 100.0)[None, None].astype(np.float32),
            "l_global": (small_lightness(image, (global_size, global_size)) / 100.0)[None, None].astype(np.float32)}


def torch_ab(model, inputs: dict[str, np.ndarray]) -> np.ndarray:
    """The torch reference: (1, 2, S, S) a*b* in [0, 1]."""
    import torch

    with torch.inference_mode():
        ab, _ = model(torch.from_numpy(inputs["l_local"]), torch.from_numpy(inputs["l_global"]))
    return ab.numpy()


@dataclass
class ColourBackend:
    """A gated runner: ab(inputs) -> (1, 2, S, S) a*b* in [0, 1]."""

    runner: Runner
    choice: BackendChoice
    gate: GateResult
    path: Path

    def ab(self, inputs: dict[str, np.ndarray]) -> np.ndarray:
        return self.runner.run(inputs)[0]


def require_global_branch(model) -> None:
    """EngineError for the paper's ablation (no global branch): its graph has no export, it runs on torch only."""
    from engines.base import EngineError

    if model.glob is None:
        raise EngineError("the ablation model (no global branch) runs on torch only")


def build_backend(model, size: int | tuple[int, int], global_size: int, choice: BackendChoice,
                  frames: Sequence[np.ndarray], directory: Path | None = None,
                  limit: float = COLOUR_LIMIT) -> ColourBackend:
    """Export `model` (LetThereBeColorNet with its global branch, fp32 CPU) at `size` (S or (w, h)), build
    `choice`'s runner (int8: calibrated on the even frames) and gate it on the odd frames (BGR uint8)."""
    import torch

    require_global_branch(model)
    w, h = (size, size) if isinstance(size, int) else size
    example = (torch.zeros(1, 1, h, w), torch.zeros(1, 1, global_size, global_size))
    path = export_onnx(model, example, "colorization", directory, INPUTS, ("ab", "logits"))
    calib, held_out = list(frames[0::2]), list(frames[1::2])
    if choice.precision == "int8":
        path = quantize_int8(path, INPUTS[0], [net_inputs(f, size, global_size) for f in calib])
    runner = open_runner(path, choice)
    refs, outs = [], []
    for image in held_out:
        x = net_inputs(image, size, global_size)
        refs.append(torch_ab(model, x) * AB_SCALE)
        outs.append(runner.run(x)[0] * AB_SCALE)
    gate = error_gate(refs, outs, limit, "mean |a*b* error| (Lab units)", reduce="mean")
    return ColourBackend(runner, choice, gate, path)


class BackendColorizer:
    """The network on a CPU backend for any net input size: one gated ColourBackend per (h, w), built on
    first use (the first frame of a new shape waits for export + gate). run(l_local (1, 1, h, w) L/100,
    l_global (1, 1, G, G) L/100) -> (ab (1, 2, h, w) in [0, 1], class logits (1, C)).
    Raises EngineError when the gate refuses the backend at a shape (the reason says why)."""

    def __init__(self, model, global_size: int, device: str, square: int) -> None:
        from engines.backends import parse_device
        from engines.backends.frames import demo_frames

        require_global_branch(model)  # before reading the gate's frames: the ablation is refused at once
        self.model, self.global_size, self.device = model.float().eval(), global_size, device
        self.choice = parse_device(device)
        self._frames = demo_frames(16, step=15)
        self._nets: dict[tuple[int, int], ColourBackend] = {}
        self.gate = self._net((square, square)).gate  # gate now at the usual size: refuse early

    def _net(self, hw: tuple[int, int]) -> ColourBackend:
        from engines.base import EngineError

        if hw not in self._nets:
            built = build_backend(self.model, (hw[1], hw[0]), self.global_size, self.choice, self._frames,
                                  limit=COLOUR_LIMIT)
            if not built.gate.passed:
                raise EngineError(f"{self.device} refused: {built.gate.reason} (needs <= {COLOUR_LIMIT})")
            self._nets[hw] = built
        return self._nets[hw]

    def run(self, l_local: np.ndarray, l_global: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        net = self._net(tuple(l_local.shape[2:]))
        ab, logits = net.runner.run({"l_local": l_local, "l_global": l_global})
        return ab, logits


def fastest_colorizer(model, global_size: int, square: int, rounds: int = 3,
                      refused: dict[str, str] | None = None) -> BackendColorizer | None:
    """The fastest f32/bf16 backend here whose colour gate passes, timed on a blank square input; None if
    none passes (int8 needs a calibration and stays a manual choice). refused: filled with device -> why it
    is not a candidate (its gate refused it, or the export / runtime failed)."""
    from engines.backends.choice import float_backend_devices
    from engines.timing import alternate

    built: dict[str, BackendColorizer] = {}
    for device in float_backend_devices():
        try:
            require_global_branch(model)
            built[device] = BackendColorizer(model, global_size, device, square)
        except Exception as exc:  # noqa: BLE001 - refused by its gate, or the export / runtime fails: not a candidate
            if refused is not None:
                refused[device] = str(exc) or type(exc).__name__
            continue
    if not built:
        return None
    local = np.zeros((1, 1, square, square), np.float32)
    glob = np.zeros((1, 1, global_size, global_size), np.float32)
    times = alternate({d: (lambda b=b: b.run(local, glob)) for d, b in built.items()}, rounds, warmup=1)
    return built[min(times, key=lambda d: float(np.median(times[d])))]

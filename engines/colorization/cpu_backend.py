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


def net_inputs(image: np.ndarray, size: int, global_size: int) -> dict[str, np.ndarray]:
    """BGR uint8 -> {"l_local": (1, 1, size, size), "l_global": (1, 1, G, G)} float32 L/100."""
    return {"l_local": (small_lightness(image, (size, size)) / 100.0)[None, None].astype(np.float32),
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


def build_backend(model, size: int, global_size: int, choice: BackendChoice, frames: Sequence[np.ndarray],
                  directory: Path | None = None, limit: float = COLOUR_LIMIT) -> ColourBackend:
    """Export `model` (LetThereBeColorNet with its global branch, fp32 CPU) at `size`, build `choice`'s runner
    (int8: calibrated on the even frames) and gate it on the odd frames (BGR uint8)."""
    import torch

    if model.glob is None:
        raise ValueError("the ablation model (no global branch) has no CPU backend export")
    example = (torch.zeros(1, 1, size, size), torch.zeros(1, 1, global_size, global_size))
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

"""The GAN lab's generator on a CPU backend (OpenVINO / onnxruntime, f32 / bf16), gated against torch.

The exported graph is G(z (64, Z)) -> x (64, 1, 32, 32) in [-1, 1] (pictures; 2-D generators give (64, 2)), a
fixed batch of 64: the tab's grid. Other batch sizes run as padded chunks of 64. The gate: max |grey-level
difference| of to_pictures(x) against torch over held-out latents <= PIXEL_LIMIT (2-D points: max |difference|
in data units <= POINT_LIMIT).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.backends.choice import BackendChoice
from engines.backends.gate import GateResult, error_gate
from engines.backends.onnx_cache import export_onnx
from engines.backends.runners import Runner, open_runner

BATCH = 64  # the grid
PIXEL_LIMIT = 2.0  # grey levels of 255
POINT_LIMIT = 1e-2  # data units (the ring's modes have sigma 0.05)
GATE_SEEDS = (1001, 1002, 1003, 1004)  # held-out latents: 4 x 64


@dataclass
class GeneratorBackend:
    """A gated runner: generate(z float32[N, Z]) -> float32[N, 1, 32, 32] (or [N, 2]), as torch's G(z)."""

    runner: Runner
    choice: BackendChoice
    gate: GateResult
    path: Path

    def generate(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, np.float32)
        outs = []
        for a in range(0, len(z), BATCH):
            chunk = z[a: a + BATCH]
            padded = np.concatenate([chunk, np.zeros((BATCH - len(chunk), z.shape[1]), np.float32)])
            outs.append(self.runner.run({"z": padded})[0][: len(chunk)])
        return np.concatenate(outs)


def _judged(x: np.ndarray, image: bool) -> np.ndarray:
    from engines.gan.data import to_pictures

    return to_pictures(x).astype(np.float64) if image else np.asarray(x, np.float64)


def build_generator_backend(G, z_dim: int, image: bool, choice: BackendChoice, latent,
                            directory: Path | None = None) -> GeneratorBackend:
    """Export G (eval, fp32) for z (64, z_dim), open `choice`'s runner and gate it on GATE_SEEDS' latents
    (`latent(n, seed)` -> float32[n, z_dim], the engine's prior). int8 is not offered (no calibration set)."""
    import torch

    if choice.precision == "int8":
        raise ValueError("the GAN generator runs in f32 or bf16 on the CPU backends (int8: no calibration set)")
    path = export_onnx(G, torch.zeros(BATCH, z_dim), "gan-generator", directory, ("z",), ("x",))
    runner = open_runner(path, choice)
    refs, outs = [], []
    for seed in GATE_SEEDS:
        z = latent(BATCH, seed)
        with torch.no_grad():
            refs.append(_judged(G(torch.from_numpy(z)).numpy(), image))
        outs.append(_judged(runner.run({"z": z})[0], image))
    limit, unit = (PIXEL_LIMIT, "grey levels") if image else (POINT_LIMIT, "data units")
    gate = error_gate(refs, outs, limit, f"max |difference| from torch ({unit})")
    return GeneratorBackend(runner, choice, gate, path)

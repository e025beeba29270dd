"""Run an ONNX file with OpenVINO or onnxruntime on the CPU: one interface, numpy in and out.

Measured on this project's machines (BACKENDS.md): onnxruntime needs graph optimisation ALL; OpenVINO's
default precision is bf16 where the CPU has it, so f32 is asked for explicitly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from engines.backends.choice import BackendChoice


class Runner(Protocol):
    """runs one inference: inputs (name -> float32 array) -> outputs in the model's output order."""

    choice: BackendChoice

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]: ...


class OpenVINORunner:
    """OpenVINO CPU plugin, latency mode, one stream; precision hint f32 or bf16 (an int8 QDQ file keeps its
    int8 layers; its float layers follow the hint, f32 here)."""

    def __init__(self, path: Path, choice: BackendChoice, pin: bool = False) -> None:
        import openvino as ov

        core = ov.Core()
        hint = "bf16" if choice.precision == "bf16" else "f32"
        config = {"INFERENCE_PRECISION_HINT": hint, "INFERENCE_NUM_THREADS": choice.n_threads,
                  "NUM_STREAMS": 1, "PERFORMANCE_HINT": "LATENCY", "ENABLE_CPU_PINNING": pin}
        self.choice = choice
        self._compiled = core.compile_model(str(path), "CPU", config)
        self._request = self._compiled.create_infer_request()
        self._names = [p.get_any_name() for p in self._compiled.inputs]

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        res = self._request.infer({k: np.ascontiguousarray(v) for k, v in inputs.items()})
        return [np.asarray(res[o]) for o in self._compiled.outputs]


class OrtRunner:
    """onnxruntime CPU execution provider, graph optimisation ALL, no thread spinning (spinning threads
    steal the core from capture/GUI and collapse under load)."""

    def __init__(self, path: Path, choice: BackendChoice, spin: bool = False) -> None:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.intra_op_num_threads = choice.n_threads
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
        so.log_severity_level = 3
        self.choice = choice
        self._session = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])

    def run(self, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
        return list(self._session.run(None, {k: np.ascontiguousarray(v) for k, v in inputs.items()}))


def open_runner(path: Path, choice: BackendChoice) -> Runner:
    """A runner for `path` (f32/bf16: the float export; int8: a QDQ file from quantize.quantize_int8)."""
    if choice.backend == "openvino":
        return OpenVINORunner(path, choice)
    return OrtRunner(path, choice)

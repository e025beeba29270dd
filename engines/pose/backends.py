"""Three runtimes for the same BlazePose landmark file, one interface.

Every backend maps an RGB uint8 crop (256, 256, 3) to a BlazeOutput: raw landmarks (39, 5) in
crop px (x, y, z, visibility logit, presence logit), presence in [0, 1] and raw heatmaps
(39, 64, 64) (logits; the engine applies the sigmoid).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engines.base import EngineError

OUTPUTS = ("Identity", "Identity_1", "Identity_3")  # landmarks, presence, heatmaps
BACKENDS = ("torch", "litert", "opencv")


@dataclass(frozen=True)
class BlazeOutput:
    landmarks: np.ndarray  # float32 (39, 5) crop px + logits
    presence: float
    heatmaps: np.ndarray  # float32 (39, 64, 64) logits


def litert_available() -> bool:
    try:
        import ai_edge_litert.interpreter  # noqa: F401
    except ImportError:
        return False
    return True


class TorchBlaze:
    """Our importer (engines.importers.tflite): GPU-capable; fp32, channels_last on CPU and CUDA."""

    name = "torch"

    def __init__(self, path: Path, device: str = "cpu") -> None:
        from engines.importers.tflite import load_tflite

        self._master = load_tflite(path, outputs=OUTPUTS)  # the segmentation branch is pruned
        self._lock = threading.Lock()
        self.set_device(device)

    def set_device(self, device: str) -> None:
        from engines.runtime import Precision

        # fp32 everywhere: the model is small (3.2 M parameters) and fp16 costs ~0.1 px on landmarks near 256
        prec = Precision(half=False, channels_last=Precision.for_device(device).channels_last)
        model = prec.place(self._master, device)
        with self._lock:
            self._model, self.device, self._prec = model, device, prec

    def run(self, rgb: np.ndarray) -> BlazeOutput:
        import torch

        with self._lock:
            model, device, prec = self._model, self.device, self._prec
        x = torch.from_numpy(np.ascontiguousarray(rgb)).to(device)[None].permute(0, 3, 1, 2)  # (1, 3, 256, 256)
        x = x.half() if prec.half else x.float()
        with torch.inference_mode():
            out = model(x.div_(255.0))
        return BlazeOutput(
            out["Identity"].float().reshape(-1, 5).cpu().numpy(),
            float(out["Identity_1"].float().reshape(-1)[0]),
            out["Identity_3"][0].float().cpu().numpy(),
        )


class LiteRTBlaze:
    """The reference TFLite runtime (ai-edge-litert) with its XNNPACK CPU delegate."""

    name = "litert"
    device = "cpu"

    def __init__(self, path: Path, threads: int | None = None) -> None:
        if not litert_available():
            raise EngineError("the litert backend needs `pip install ai-edge-litert` (Linux/macOS)")
        from ai_edge_litert.interpreter import Interpreter

        from engines.runtime import set_cpu_threads

        self._it = Interpreter(model_path=str(path), num_threads=threads or set_cpu_threads())
        self._it.allocate_tensors()
        self._input = self._it.get_input_details()[0]["index"]
        self._outs = {d["name"]: d["index"] for d in self._it.get_output_details()}
        missing = [n for n in OUTPUTS if n not in self._outs]
        if missing:
            raise EngineError(f"{Path(path).name} lacks outputs {missing}; is it a BlazePose landmark model?")

    def run(self, rgb: np.ndarray) -> BlazeOutput:
        self._it.set_tensor(self._input, (rgb.astype(np.float32) / 255.0)[None])
        self._it.invoke()
        get = self._it.get_tensor
        return BlazeOutput(
            get(self._outs["Identity"]).reshape(-1, 5).astype(np.float32),
            float(get(self._outs["Identity_1"]).reshape(-1)[0]),
            np.ascontiguousarray(get(self._outs["Identity_3"])[0].transpose(2, 0, 1)),
        )


class OpenCVBlaze:
    """cv2.dnn's TFLite importer (the reference our importer is checked against)."""

    name = "opencv"
    device = "cpu"

    def __init__(self, path: Path) -> None:
        self._net = cv2.dnn.readNetFromTFLite(str(path))
        self._names = list(self._net.getUnconnectedOutLayersNames())

    def run(self, rgb: np.ndarray) -> BlazeOutput:
        blob = (rgb.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
        self._net.setInput(np.ascontiguousarray(blob))
        out = dict(zip(self._names, self._net.forward(self._names), strict=True))
        return BlazeOutput(
            out["Identity"].reshape(-1, 5).astype(np.float32),
            float(out["Identity_1"].reshape(-1)[0]),
            out["Identity_3"][0].astype(np.float32),
        )


def make_backend(name: str, path: Path, device: str = "cpu") -> TorchBlaze | LiteRTBlaze | OpenCVBlaze:
    """Build a backend by name ("torch", "litert", "opencv"); only torch runs off the CPU."""
    if name == "torch":
        return TorchBlaze(path, device)
    if device != "cpu":
        raise EngineError(f"the {name} backend runs on the CPU only; choose torch for {device}")
    if name == "litert":
        return LiteRTBlaze(path)
    if name == "opencv":
        return OpenCVBlaze(path)
    raise EngineError(f"unknown pose backend {name!r}; choose one of {', '.join(BACKENDS)}")


def auto_backend(device: str) -> str:
    """torch on a GPU; on the CPU the reference runtime when installed (fastest measured), else torch."""
    if device != "cpu":
        return "torch"
    return "litert" if litert_available() else "torch"

"""The detection network on a CPU backend (OpenVINO / onnxruntime, f32 / bf16 / int8), gated against torch.

build_backend exports the fused torch model to ONNX (cached), quantises it for int8 on calibration frames,
opens the runner and runs the box gate on held-out frames (never those used for calibration).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engines.backends.choice import BackendChoice
from engines.backends.frames import demo_frames, demo_frames_signature  # noqa: F401 (the gate's frames)
from engines.backends.gate import BOX_IOU, BOX_NEED, GateResult, box_gate
from engines.backends.onnx_cache import export_onnx
from engines.backends.quantize import quantize_int8
from engines.backends.runners import Runner, open_runner
from engines.detection.decode import decode_rows

INPUT = "images"


def to_input(image: np.ndarray, size: int) -> np.ndarray:
    """BGR uint8 (H, W, 3) -> float32 (1, 3, S, S) RGB in [0, 1], as the engine feeds torch."""
    rgb = cv2.cvtColor(cv2.resize(image, (size, size), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)
    return np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0


def head_scopes(net, first: int = 2, before_head: int = 3) -> list[str]:
    """ONNX node-name prefixes kept in float by int8: the detection heads, the first `first` convs, and up to
    `before_head` convs feeding each head (walking back to the previous route/head).

    Chosen on vtest.avi frames (not the gate's): 98.1% of 161 boxes kept, where heads + their linear conv
    alone kept 96.3%."""
    scopes = ["/Concat"]
    convs = [i for i, k in enumerate(net.kinds) if k == "convolutional"]
    scopes += [f"/layers.{i}/" for i in convs[:first]]
    for i, kind in enumerate(net.kinds):
        if kind in ("region", "yolo"):
            scopes.append(f"/layers.{i}/")
            j, kept = i - 1, 0
            while j >= 0 and net.kinds[j] == "convolutional" and kept < before_head:
                scopes.append(f"/layers.{j}/")
                j, kept = j - 1, kept + 1
    return scopes


@dataclass
class BackendNet:
    """A gated runner: rows(x float32 (1, 3, S, S)) -> float32 (N, 5+C) head rows (see importers.darknet)."""

    runner: Runner
    choice: BackendChoice
    gate: GateResult
    path: Path

    def rows(self, x: np.ndarray) -> np.ndarray:
        return self.runner.run({INPUT: x})[0][0]


def torch_rows(net, x: np.ndarray) -> np.ndarray:
    """The torch reference: fused fp32 CPU model on x (1, 3, S, S) -> (N, 5+C)."""
    import torch

    with torch.inference_mode():
        return net(torch.from_numpy(x)).numpy()[0]


def split_frames(frames: Sequence[np.ndarray]) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Calibration frames (even positions) and held-out gate frames (odd positions): disjoint."""
    return list(frames[0::2]), list(frames[1::2])


def reference_detections(net, names: list[str], size: int, images: Sequence[np.ndarray], conf: float = 0.25,
                         nms: float = 0.45) -> list:
    """The torch reference's Detections on each BGR image (the gate compares a backend with these)."""
    return [decode_rows(torch_rows(net, to_input(im, size)), im.shape[:2], names, conf, nms) for im in images]


def build_backend(net, names: list[str], choice: BackendChoice, size: int,
                  frames: Sequence[np.ndarray] | Callable[[], Sequence[np.ndarray]],
                  directory: Path | None = None, calibration: Sequence[np.ndarray] | None = None,
                  references: list | Callable[[], list] | None = None, conf: float = 0.25, nms: float = 0.45,
                  frames_signature: str = "") -> BackendNet:
    """Export `net` (fused DarknetNet, fp32 CPU), build `choice`'s runner and gate it on held-out frames.

    frames: BGR uint8 images (or a callable giving them, called only when needed); the even ones calibrate
    int8 (unless `calibration` (BGR images) is given), the odd ones are the gate's. references:
    reference_detections of the odd frames (or a callable), if already computed. frames_signature: names the
    frames for the gate memo (engines.backends.gate_memo): given, a verdict judged before on this machine is
    reused and a new one stored; "" always judges. The returned BackendNet carries the GateResult; the caller
    refuses a failed one.
    """
    import torch

    from engines.backends import gate_memo

    get_frames = frames if callable(frames) else (lambda: frames)
    path = export_onnx(net, torch.zeros(1, 3, size, size), "darknet", directory, (INPUT,), ("rows",))
    if choice.precision == "int8":
        calib = list(calibration) if calibration is not None else split_frames(get_frames())[0]
        path = quantize_int8(path, INPUT, [to_input(f, size) for f in calib], head_scopes(net))
    runner = open_runner(path, choice)
    key = gate_memo.gate_key(path, f"{choice.backend}-{choice.precision}", f"boxes conf {conf} nms {nms} "
                             f"iou {BOX_IOU} need {BOX_NEED}", frames_signature) if frames_signature else ""
    gate = gate_memo.recalled(key) if key else None
    if gate is None:
        held_out = split_frames(get_frames())[1]
        refs = references() if callable(references) else references
        if refs is None:
            refs = reference_detections(net, names, size, held_out, conf, nms)
        got = [decode_rows(runner.run({INPUT: to_input(im, size)})[0][0], im.shape[:2], names, conf, nms)
               for im in held_out]
        gate = box_gate(zip(refs, got))
        if key:
            gate_memo.store(key, gate)
    return BackendNet(runner, choice, gate, path)

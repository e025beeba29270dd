"""The live detection engine: a Darknet model in torch, BN folded, channels_last, fp16 on GPU."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engines import assets
from engines.base import EngineError
from engines.detection.decode import Detections, decode_rows

CFG_DIR = Path(__file__).parent / "cfg"


@dataclass(frozen=True)
class DarknetWeights:
    """A Darknet model on disk: cfg + weights (+ class names, one per line)."""

    cfg: Path
    weights: Path
    names: Path | None = None

    @property
    def label(self) -> str:
        return self.weights.stem

    @staticmethod
    def default() -> DarknetWeights:
        """The pretrained YOLOv3-tiny COCO files fetched by the set-up step."""
        return DarknetWeights(assets.require("yolov3-tiny.cfg"), assets.require("yolov3-tiny.weights"),
                              assets.require("coco.names"))


def find_names(cfg: Path, weights: Path | None = None, classes: int | None = None) -> Path | None:
    """The class-names file beside a Darknet model: <weights stem>.names, <cfg stem>.names, obj.names,
    coco.names, voc.names, then any other *.names there; one with `classes` names wins over that order."""
    dirs = list(dict.fromkeys(Path(p).parent for p in (weights, cfg) if p is not None))
    stems = [Path(p).stem for p in (weights, cfg) if p is not None]
    found = [d / f"{n}.names" for d in dirs for n in (*stems, "obj", "coco", "voc")]
    found += [n for d in dirs for n in sorted(d.glob("*.names"))]
    found = [p for p in dict.fromkeys(found) if p.is_file()]
    if classes is not None:
        fitting = [p for p in found if _count_names(p) == classes]
        found = fitting or found
    return found[0] if found else None


def _count_names(path: Path) -> int:
    return sum(1 for n in path.read_text(encoding="utf-8", errors="replace").splitlines() if n.strip())


def read_names(path: Path | None, classes: int) -> list[str]:
    if path is None or not Path(path).is_file():
        return [f"class {i}" for i in range(classes)]
    names = [n.strip() for n in Path(path).read_text(encoding="utf-8").splitlines() if n.strip()]
    return names + [f"class {i}" for i in range(len(names), classes)]


class DetectionEngine:
    """YOLO detector. infer(BGR uint8 (H, W, 3)) -> Detections in source pixels.

    Not thread-safe by design: one worker calls infer(); set_device() may be called from any
    thread and takes effect at the next infer().
    """

    def __init__(self, input_size: int | None = None) -> None:
        self.input_size = input_size
        self._fixed_size = input_size  # asked for at construction: every model runs at it
        self.device = "cpu"
        self.names: list[str] = []
        self.weights: DarknetWeights | None = None
        self.notice = ""  # last fallback message (e.g. GPU out of memory)
        self._master = None  # fused fp32 CPU model
        self._model = None
        self._half = False
        self._lock = threading.Lock()

    def load(self, weights: DarknetWeights | None = None, device: str | None = "cpu") -> None:
        """Import a Darknet cfg + weights (default: YOLOv3-tiny COCO); raise EngineError on bad files."""
        from engines.importers.darknet import load_darknet
        from engines.runtime import resolve_device, set_cpu_threads

        weights = weights or DarknetWeights.default()
        set_cpu_threads()
        net = load_darknet(weights.cfg, weights.weights).fuse()
        names = read_names(weights.names or find_names(weights.cfg, weights.weights, net.classes), net.classes)
        _test_forward(net, weights.cfg.name)  # a model that loads but cannot run never replaces the current one
        with self._lock:
            self._master, self.weights, self.names = net, weights, names
            # each model runs at its own size (not the previous model's), unless one was fixed at construction
            self.input_size = self._fixed_size or net.input_hw[0]
        self.set_device(resolve_device(device))

    def set_device(self, device: str) -> None:
        """Move the model to `device` ("cpu", "cuda", "mps"): fp16 + channels_last on GPU."""
        from engines.runtime import Precision

        if self._master is None:
            raise EngineError("load a model first")
        prec = Precision.for_device(device)
        model = prec.place(self._master, device)
        with self._lock:
            self._model, self.device, self._half = model, device, prec.half

    def blob(self, image: np.ndarray) -> np.ndarray:
        """BGR uint8 (H, W, 3) -> RGB uint8 (S, S, 3) resized to the network input."""
        s = int(self.input_size or 416)
        return cv2.cvtColor(cv2.resize(image, (s, s), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)

    def forward_rows(self, rgb: np.ndarray) -> np.ndarray:
        """RGB uint8 (S, S, 3) -> head rows float32 (N, 5+C); see importers.darknet."""
        import torch

        with self._lock:
            model, device, half = self._model, self.device, self._half
        if model is None:
            raise EngineError("no detection model is loaded")
        x = torch.from_numpy(rgb).to(device)[None].permute(0, 3, 1, 2)  # (1, 3, S, S), channels_last strides
        x = x.half() if half else x.float()
        with torch.inference_mode():
            rows = model(x.div_(255.0))
        return rows[0].float().cpu().numpy()

    def infer(self, image: np.ndarray, conf: float = 0.25, nms: float = 0.45,
              classes: frozenset[int] | None = None) -> Detections:
        """Detect objects in a BGR uint8 image (H, W, 3); boxes come back in its pixels."""
        from engines.runtime import is_out_of_memory

        if image is None or image.ndim != 3 or image.shape[2] != 3:
            raise EngineError("expected a colour image (H, W, 3)")
        t0 = time.perf_counter()
        try:
            rows = self.forward_rows(self.blob(image))
        except RuntimeError as exc:
            if self.device == "cpu" or not is_out_of_memory(exc):
                raise
            self.set_device("cpu")
            self.notice = f"GPU ran out of memory; detection moved to the CPU ({exc.__class__.__name__})"
            rows = self.forward_rows(self.blob(image))
        det = decode_rows(rows, image.shape[:2], self.names, conf, nms, classes)
        return Detections(det.boxes, det.scores, det.class_ids, det.labels, det.image_hw,
                          (time.perf_counter() - t0) * 1000)


def _test_forward(net, name: str) -> None:
    """Run `net` once on a small blank input (64x64, a multiple of every stride); EngineError if it fails."""
    import torch

    try:
        with torch.inference_mode():
            net.eval()(torch.zeros(1, 3, 64, 64))
    except Exception as exc:  # shapes that do not fit show up only here (e.g. head filters vs classes)
        first = str(exc).splitlines()[0][:160] if str(exc) else ""
        raise EngineError(f"{name} loads but cannot run ({type(exc).__name__}: {first})") from exc

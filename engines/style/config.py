"""Configs of the style tab: the live networks (StyleConfig) and iterative Gatys optimisation (GatysConfig)."""

from __future__ import annotations

from dataclasses import dataclass, replace

NUM_STYLES = 26
INIT_CHOICES = ("content", "noise")
STYLE_LOSSES = ("gram", "mrf")


@dataclass(frozen=True)
class StyleConfig:
    """Live inference. size: short side (px) the 26-style net runs at; arbitrary_size: the same for the
    arbitrary-style transformer (its file declares 384x384; our import runs any multiple of 4);
    predictor_size: side (px) of the square the style predictor sees (its file: 256); snapshot_size:
    short-side cap (px) of a full-resolution snapshot."""

    size: int = 256
    arbitrary_size: int = 384
    predictor_size: int = 256
    snapshot_size: int = 1080

    def __post_init__(self) -> None:
        for name in ("size", "arbitrary_size", "predictor_size", "snapshot_size"):
            value = getattr(self, name)
            if not 32 <= value <= 4096:
                raise ValueError(f"{name} must be in 32..4096 px, got {value}")

    @classmethod
    def tiny(cls, **overrides) -> StyleConfig:
        return replace(cls(size=64, arbitrary_size=64, predictor_size=64, snapshot_size=128), **overrides)


@dataclass(frozen=True)
class GatysConfig:
    """Iterative style transfer (Gatys et al.): optimise the pixels of an image (the training panel's form).

    content_image / style_image: paths ("" = the demo photo messi5.jpg / basketball1.png rendered in
    built-in style `style_index`: no painting ships offline). size: side (px) of the square image
    optimised. init: "content" starts from the photo, "noise" from uniform noise (texture synthesis when
    content_weight is 0). Weights scale the loss terms: content (feature MSE, paper eq. 1), style (Gram
    MSE summed over layers, eq. 4-5), total variation (smoothness). lr: Adam step on [0, 1] pixels.
    spectrum: after each step, impose the style image's Fourier magnitude on the image (Liu et al.'s
    spectrum constraint). preview_every: steps between preview images.
    style_loss: "gram" (Gatys et al.) or "mrf" (Li & Wand's patch nearest-neighbour loss, weighted by
    mrf_weight; mrf_patch: patch side in feature pixels; mrf_search_every: steps between nearest-neighbour
    searches, the matches being kept in between: a search costs ~2x a step on the CPU).
    content_map_path / style_map_path: Neural Doodle's semantic maps (doodles painted with the same few colours
    over the content and the style image; both or neither; "mrf" only); map_weight: gamma, the maps' weight in
    units of a layer's RMS activation. jitter ("mrf" only): each step the image, and the content photo its target
    comes from, are shifted by the same random -jitter..jitter px (border reflected) before the feature net, so
    a pattern tied to the net's stride-2 grid (a fine green/purple speckle under the MRF loss) no longer lowers
    the loss. (With the Gram loss it drew a bright 1-2 px frame, so the Gram mode is left as it was.)
    """

    steps: int = 200
    size: int = 256
    content_image: str = ""
    style_image: str = ""
    style_index: int = 19
    init: str = "content"
    content_weight: float = 1.0
    style_weight: float = 10000.0
    tv_weight: float = 0.5
    lr: float = 0.05
    spectrum: bool = False
    preview_every: int = 5
    seed: int = 0
    style_loss: str = "gram"
    mrf_weight: float = 60.0
    mrf_patch: int = 3
    mrf_search_every: int = 5
    content_map_path: str = ""
    style_map_path: str = ""
    map_weight: float = 10.0
    jitter: int = 3

    def __post_init__(self) -> None:
        if not 1 <= self.steps <= 100_000:
            raise ValueError("steps must be in 1..100000")
        if not 32 <= self.size <= 1024:
            raise ValueError("size must be in 32..1024 px")
        if not 0 <= self.style_index < NUM_STYLES:
            raise ValueError(f"style_index must be in 0..{NUM_STYLES - 1}")
        if self.init not in INIT_CHOICES:
            raise ValueError(f"init must be one of {INIT_CHOICES}")
        if min(self.content_weight, self.style_weight, self.tv_weight) < 0:
            raise ValueError("loss weights must be >= 0")
        if self.content_weight == 0 and self.style_weight == 0:
            raise ValueError("content_weight and style_weight cannot both be 0")
        if not 0 < self.lr <= 1:
            raise ValueError("lr must be in (0, 1]")
        if self.preview_every < 1:
            raise ValueError("preview_every must be >= 1")
        if self.style_loss not in STYLE_LOSSES:
            raise ValueError(f"style_loss must be one of {STYLE_LOSSES}")
        if not 1 <= self.mrf_patch <= 7:
            raise ValueError("mrf_patch must be in 1..7")
        if not 0 <= self.jitter <= 16:
            raise ValueError("jitter must be in 0..16 px")
        if not 1 <= self.mrf_search_every <= 1000:
            raise ValueError("mrf_search_every must be in 1..1000")
        if min(self.mrf_weight, self.map_weight) < 0:
            raise ValueError("mrf_weight and map_weight must be >= 0")
        if bool(self.content_map_path) != bool(self.style_map_path):
            raise ValueError("semantic maps come in pairs: give content_map_path and style_map_path, or neither")
        if self.content_map_path and self.style_loss != "mrf":
            raise ValueError("semantic maps (Neural Doodle) need style_loss mrf")

    @classmethod
    def tiny(cls, **overrides) -> GatysConfig:
        return replace(cls(steps=2, size=64, preview_every=1), **overrides)

"""Paper registry: the one list of papers. Each entry names its tab, engine, recipe, sources, bench, cli and model
modules lazily; the asset manifest, the benchmark, the command line and the contract tests are built from it."""

from __future__ import annotations

import importlib

from engines.base import PaperInfo

_BUILTIN: tuple[PaperInfo, ...] = (
    PaperInfo.from_folder(
        "detection", "Detection (YOLO)",
        ("You Only Look Once (YOLO v1)", "YOLO9000: Better, Faster, Stronger (YOLOv2)"),
        "DetectionTab", "DetectionEngine",
        summary="Grid cells predict boxes from anchors; one network pass per frame.",
    ),
    PaperInfo.from_folder(
        "pose", "Pose (Stacked Hourglass)",
        ("Stacked Hourglass Networks for Human Pose Estimation", "Convolutional Pose Machines"),
        "PoseTab", "PoseEngine",
        summary="Per-joint heatmaps; the peak of each map is the joint.",
        uses=("detection",),  # the person box that the pose crop is cut around
    ),
    PaperInfo.from_folder(
        "colorization", "Colorization (Let there be Color!)",
        ("Let there be Color! (Iizuka, Simo-Serra, Ishikawa)",),
        "ColorizationTab", "ColorizationEngine",
        summary="Local features fused with a global scene feature predict a*b* chroma from L.",
    ),
    PaperInfo.from_folder(
        "sketch", "Sketch (sketch-rnn)",
        ("A Neural Representation of Sketch Drawings (sketch-rnn)",),
        "SketchTab", "SketchEngine",
        summary="A sequence-to-sequence VAE over pen strokes; the decoder draws with a mixture of Gaussians.",
        live=False,
    ),
    PaperInfo.from_folder(
        "style", "Style transfer",
        ("A Neural Algorithm of Artistic Style (Gatys et al.)", "A Learned Representation for Artistic Style "
         "(Dumoulin et al.)", "Exploring the structure of a real-time, arbitrary neural artistic stylization "
         "network (Ghiasi et al.)", "Instance Normalization (Ulyanov et al.)"),
        "StyleTab", "StyleEngine",
        summary="Conditional instance norm: one network, 26 styles that blend; any image's style through a "
                "predicted style vector; or the image itself optimised against Gram-matrix losses.",
    ),
    PaperInfo.from_folder(
        "gan", "GAN lab",
        ("Generative Adversarial Networks", "DCGAN (Radford et al.)", "Wasserstein GAN", "WGAN-GP",
         "Spectral Normalization for GANs", "BEGAN", "InfoGAN", "AmbientGAN"),
        "GANTab", "GANEngine",
        summary="A generator and a discriminator trained against each other; watch the samples and curves evolve.",
        live=False,
    ),
)
"""Adding a paper: one engines/<key>/ folder, one desktop/tabs/<key>.py, one entry here (docs/adding-a-paper.md)."""


class PaperRegistry:
    """An ordered set of PaperInfo keyed by `key`; registering a key twice raises."""

    def __init__(self, entries: tuple[PaperInfo, ...] = ()) -> None:
        self._entries: dict[str, PaperInfo] = {}
        for info in entries:
            self.register(info)

    def register(self, info: PaperInfo) -> None:
        if info.key in self._entries:
            raise ValueError(f"paper {info.key!r} is already registered")
        self._entries[info.key] = info

    def __iter__(self):
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, key: str) -> PaperInfo:
        try:
            return self._entries[key]
        except KeyError:
            raise KeyError(f"no paper {key!r}; known: {', '.join(self._entries)}") from None

    def keys(self) -> list[str]:
        return list(self._entries)


def default_registry() -> PaperRegistry:
    """A fresh registry holding the built-in papers (no shared module state)."""
    return PaperRegistry(_BUILTIN)


def load_object(path: str) -> type:
    """Import "package.module:Name" and return Name."""
    module, _, name = path.partition(":")
    if not module or not name:
        raise ValueError(f"expected 'module:Name', got {path!r}")
    return getattr(importlib.import_module(module), name)

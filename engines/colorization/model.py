"""The network of Iizuka, Simo-Serra and Ishikawa (2016), "Let there be Color!".

Four parts share one forward pass (channel counts are the paper's, times config.width = w):
  low-level   6 convs 3x3, strides 2,1,2,1,2,1, 64-128-128-256-256-512 ch  -> (B, 512w, H/8, W/8)
              (shared weights: run once on the local image, once on the 224x224 global image)
  mid-level   2 convs 3x3, 512-256 ch                                       -> (B, 256w, H/8, W/8)
  global      4 convs 3x3 (strides 2,1,2,1, 512 ch) + FC 1024, 512, 256     -> (B, 256w)
  class head  FC 256 -> num_classes on the 512-d global feature             -> (B, C) logits
  fusion      y = ReLU(b + W [y_global ; y_mid]) at every pixel, 1x1 conv   -> (B, 256w, H/8, W/8)
  colorize    conv 128, up x2, conv 64, conv 64, up x2, conv 32, conv 2, sigmoid, up to (H, W)
Every conv is followed by batch norm and ReLU (except the sigmoid output). The ablation
(use_global=False) drops the global net and the class head; its fusion layer sees y_mid only.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from engines.base import EngineError, ModelCase
from engines.colorization.config import ColorizationConfig

WEIGHTS_FORMAT = "paperzoo-colorization-1"
"""The name of this weights layout. Files are written with engines.training.save_checkpoint (so their
"format" field is the shared checkpoint format) holding {"config", "state_dict", "categories", "meta"}."""


def conv_bn(cin: int, cout: int, stride: int = 1, k: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class LowLevelNet(nn.Sequential):
    """(B, 1, H, W) L in [0, 1] -> (B, 512w, ceil(H/8), ceil(W/8))."""

    def __init__(self, c: ColorizationConfig) -> None:
        chans = [1, c.ch(64), c.ch(128), c.ch(128), c.ch(256), c.ch(256), c.ch(512)]
        strides = [2, 1, 2, 1, 2, 1]
        super().__init__(*(conv_bn(a, b, s) for a, b, s in zip(chans[:-1], chans[1:], strides, strict=True)))


class MidLevelNet(nn.Sequential):
    """(B, 512w, h, w) -> (B, 256w, h, w)."""

    def __init__(self, c: ColorizationConfig) -> None:
        super().__init__(conv_bn(c.ch(512), c.ch(512)), conv_bn(c.ch(512), c.ch(256)))


class GlobalNet(nn.Module):
    """(B, 512w, G/8, G/8) low-level features of the global image
    -> ((B, 256w) feature for the fusion layer, (B, 512w) feature for the class head)."""

    def __init__(self, c: ColorizationConfig) -> None:
        super().__init__()
        w = c.ch(512)
        self.convs = nn.Sequential(conv_bn(w, w, 2), conv_bn(w, w), conv_bn(w, w, 2), conv_bn(w, w))
        side = c.global_size // 32
        self.fc1 = nn.Sequential(
            nn.Linear(w * side * side, c.ch(1024)), nn.BatchNorm1d(c.ch(1024)), nn.ReLU(True)
        )
        self.fc2 = nn.Sequential(nn.Linear(c.ch(1024), c.ch(512)), nn.BatchNorm1d(c.ch(512)), nn.ReLU(True))
        self.fc3 = nn.Sequential(nn.Linear(c.ch(512), c.ch(256)), nn.BatchNorm1d(c.ch(256)), nn.ReLU(True))

    def forward(self, low: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.convs(low).flatten(1)  # (B, 512w * G/32 * G/32)
        mid = self.fc2(self.fc1(x))  # (B, 512w): also feeds the classification net
        return self.fc3(mid), mid  # (B, 256w), (B, 512w)


class ClassificationNet(nn.Sequential):
    """(B, 512w) -> (B, num_classes) logits."""

    def __init__(self, c: ColorizationConfig) -> None:
        super().__init__(
            nn.Linear(c.ch(512), c.ch(256)),
            nn.BatchNorm1d(c.ch(256)),
            nn.ReLU(True),
            nn.Linear(c.ch(256), c.num_classes),
        )


class FusionLayer(nn.Module):
    """Concatenate the global vector at every mid-level pixel, then a 1x1 conv (Eq. 1 of the paper).

    mid: (B, 256w, h, w); glob: (B, 256w) or None (ablation) -> (B, 256w, h, w).
    """

    def __init__(self, c: ColorizationConfig) -> None:
        super().__init__()
        cin = c.ch(256) * (2 if c.use_global else 1)
        self.conv = nn.Sequential(nn.Conv2d(cin, c.ch(256), 1), nn.ReLU(inplace=True))
        self.use_global = c.use_global

    def forward(self, mid: torch.Tensor, glob: torch.Tensor | None) -> torch.Tensor:
        if self.use_global:
            if glob is None:
                raise ValueError("this network needs global features")
            tiled = glob[:, :, None, None].expand(-1, -1, mid.shape[2], mid.shape[3])  # (B, 256w, h, w)
            mid = torch.cat([mid, tiled], dim=1)  # (B, 512w, h, w)
        return self.conv(mid)


class ColorizationNet(nn.Sequential):
    """(B, 256w, h, w) fused features -> (B, 2, 4h, 4w) a*b* in [0, 1] (sigmoid)."""

    def __init__(self, c: ColorizationConfig) -> None:
        up = nn.Upsample(scale_factor=2, mode="nearest")
        super().__init__(
            conv_bn(c.ch(256), c.ch(128)),
            up,
            conv_bn(c.ch(128), c.ch(64)),
            conv_bn(c.ch(64), c.ch(64)),
            nn.Upsample(scale_factor=2, mode="nearest"),
            conv_bn(c.ch(64), c.ch(32)),
            nn.Conv2d(c.ch(32), 2, 3, 1, 1),
            nn.Sigmoid(),
        )


class BinColorizationNet(nn.Sequential):
    """colour_loss "rebalanced": the colorization net up to its 64w convs, then a 1x1 conv to a*b* bin logits.
    (B, 256w, h, w) -> (B, Q, 2h, 2w); decoded by the annealed mean (rebalance.py), as Zhang et al. do at H/4."""

    def __init__(self, c: ColorizationConfig) -> None:
        super().__init__(
            conv_bn(c.ch(256), c.ch(128)),
            nn.Upsample(scale_factor=2, mode="nearest"),
            conv_bn(c.ch(128), c.ch(64)),
            conv_bn(c.ch(64), c.ch(64)),
            nn.Conv2d(c.ch(64), c.num_bins, 1),
        )


class LetThereBeColorNet(nn.Module):
    """The whole model.

    forward(l_local (B, 1, H, W), l_global (B, 1, G, G)) -> (ab (B, 2, H, W), logits (B, C) or None).
    With config.encoder the low-level net and the global net's convs are a frozen pretrained encoder
    (encoder.py), kept outside the module tree: state_dict() holds the trained parts only. Pass `encoder`
    to use one already loaded (tests); otherwise it is loaded from the user's verified copy.
    """

    def __init__(self, config: ColorizationConfig, encoder: nn.Module | None = None) -> None:
        super().__init__()
        c = self.config = config
        if c.colour_loss == "rebalanced" and c.num_bins < 2:
            raise ValueError("colour_loss 'rebalanced' needs num_bins (see with_bins)")
        if c.encoder:
            from engines.colorization.encoder import EncoderGlobalNet, EncoderMidLevelNet, load_encoder

            enc = encoder if encoder is not None else load_encoder(c.encoder)
            object.__setattr__(self, "encoder", enc)  # not a submodule: not trained, not saved
            self.low = None
            self.mid = EncoderMidLevelNet(enc.spec.low_channels, c.ch(512), c.ch(256))
            self.glob = (EncoderGlobalNet(enc.spec.global_channels, c.ch(1024), c.ch(512), c.ch(256))
                         if c.use_global else None)
        else:
            object.__setattr__(self, "encoder", None)
            self.low = LowLevelNet(c)
            self.mid = MidLevelNet(c)
            self.glob = GlobalNet(c) if c.use_global else None
        self.classify = ClassificationNet(c) if c.use_global else None
        self.fusion = FusionLayer(c)
        if c.colour_loss == "rebalanced":
            from engines.colorization.rebalance import ab_bins, cell_lookup

            bins = torch.from_numpy(ab_bins())
            if len(bins) != c.num_bins:
                raise ValueError(f"the a*b* gamut gives {len(bins)} bins, the config says {c.num_bins}")
            self.register_buffer("bins", bins)  # (Q, 2) Lab units
            self.register_buffer("bin_weight", torch.ones(len(bins)))  # (Q,) rebalancing weights (training)
            self.register_buffer("cell_lut", cell_lookup(bins), persistent=False)
            self.colorize: nn.Module = BinColorizationNet(c)
        else:
            self.colorize = ColorizationNet(c)

    def _apply(self, fn, *args, **kwargs):  # .to() / .float() also move the unregistered encoder
        if self.encoder is not None:
            self.encoder._apply(fn, *args, **kwargs)
        return super()._apply(fn, *args, **kwargs)

    def _encode(self, l_img: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 1, H, W) -> (low-level features (B, C, ceil(H/8), ceil(W/8)), the global net's input)."""
        if self.encoder is not None:
            return self.encoder(l_img)  # (B, C_low, h, w), pooled (B, C_g)
        low = self.low(l_img)
        return low, low

    def global_features(self, l_global: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 1, G, G) -> ((B, 256w) global feature for fusion, (B, C) class logits)."""
        if self.glob is None or self.classify is None:
            raise ValueError("the ablation model has no global branch")
        feat, class_feat = self.glob(self._encode(l_global)[1])
        return feat, self.classify(class_feat)

    def colorize_with(self, l_local: torch.Tensor, glob: torch.Tensor | None) -> torch.Tensor:
        """(B, 1, H, W) L + (B, 256w) global feature (or None) -> (B, 2, H, W) a*b* in [0, 1]."""
        return self._decode(self._encode(l_local)[0], glob, l_local.shape[2:])[0]

    def _decode(self, low: torch.Tensor, glob: torch.Tensor | None,
                size: torch.Size) -> tuple[torch.Tensor, torch.Tensor | None]:
        """-> (ab (B, 2, H, W) in [0, 1], bin logits (B, Q, h', w') or None for MSE)."""
        mid = self.mid(low)  # (B, 256w, ceil(H/8), ceil(W/8))
        out = self.colorize(self.fusion(mid, glob))
        bin_logits = None
        if self.config.colour_loss == "rebalanced":
            from engines.colorization.lab import AB_OFFSET, AB_SCALE
            from engines.colorization.rebalance import annealed_mean

            bin_logits = out  # (B, Q, H/4, W/4)
            if self.config.debias > 0:  # undo the rebalancing (see ColorizationConfig.debias)
                out = out - self.config.debias * torch.log(self.bin_weight)[None, :, None, None]
            out = (annealed_mean(out, self.bins, self.config.anneal_t) + AB_OFFSET) / AB_SCALE  # [0, 1] units
        # out: (B, 2, H/2 or H/4, ...): upsampled onto the input's size
        return F.interpolate(out, size=size, mode="bilinear", align_corners=False), bin_logits

    def outputs(self, l_local: torch.Tensor, l_global: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
        """{"ab": (B, 2, H, W), "logits": (B, C) (with the global branch), "bin_logits": (B, Q, H/4, W/4)
        (rebalanced)}. l_global None: the global net sees l_local resized to global_size (computed once when
        the local input already has that size, as in the paper's training)."""
        low, glob_in = self._encode(l_local)
        out: dict[str, torch.Tensor] = {}
        feat = None
        if self.glob is not None and self.classify is not None:
            g = self.config.global_size
            if l_global is not None or tuple(l_local.shape[2:]) != (g, g):
                if l_global is None:
                    l_global = F.interpolate(l_local, size=(g, g), mode="area")
                glob_in = self._encode(l_global)[1]
            feat, class_feat = self.glob(glob_in)
            out["logits"] = self.classify(class_feat)
        out["ab"], bin_logits = self._decode(low, feat, l_local.shape[2:])
        if bin_logits is not None:
            out["bin_logits"] = bin_logits
        return out

    def forward(
        self, l_local: torch.Tensor, l_global: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        out = self.outputs(l_local, l_global)
        return out["ab"], out.get("logits")


def colorization_loss(
    ab: torch.Tensor,
    ab_true: torch.Tensor,
    logits: torch.Tensor | None,
    labels: torch.Tensor | None,
    class_weight: float,
    bins: tuple[torch.Tensor, torch.Tensor, torch.Tensor] | None = None,
) -> dict[str, torch.Tensor]:
    """Paper Eq. 2: L = ||y_color - y*||^2 + alpha * CE(class); MSE over (B, 2, H, W) in [0, 1] units.

    bins: (bin logits (B, Q, h, w), cell lookup, bin weights (Q,)) for colour_loss "rebalanced": the colour
    term is then rebalance.rebalanced_loss instead of the MSE (which is still returned, as a figure).
    Returns {"loss": total, "mse": chroma MSE, "ce": class cross-entropy (0 for the ablation)} (+ "colour").
    """
    mse = F.mse_loss(ab, ab_true)
    if logits is None or labels is None or class_weight == 0:
        ce = mse.new_zeros(())
    else:
        ce = F.cross_entropy(logits, labels)
    if bins is None:
        return {"loss": mse + class_weight * ce, "mse": mse, "ce": ce}
    from engines.colorization.rebalance import rebalanced_loss

    colour = rebalanced_loss(bins[0], ab_true, bins[1], bins[2])
    return {"loss": colour + class_weight * ce, "mse": mse.detach(), "ce": ce, "colour": colour}


def write_weights(
    path: str | Path,
    model: nn.Module,
    config: ColorizationConfig,
    categories: list[str] | None = None,
    meta: dict[str, Any] | None = None,
    half: bool = False,
) -> Path:
    """Write the inference weights file that ColorizationEngine.load (read_weights) reads (weights_only).

    half: store floating tensors as float16 (loading converts them back). A model with a pretrained encoder
    records the encoder's file and sha256 under "encoder" (its tensors are not stored)."""
    from engines.training import save_checkpoint

    def keep(v: torch.Tensor) -> torch.Tensor:
        v = v.detach().cpu()
        return v.half() if half and v.is_floating_point() else v

    payload = {
        "config": asdict(config),
        "categories": list(categories or []),
        "state_dict": {k: keep(v) for k, v in model.state_dict().items()},
        "meta": meta or {},
    }
    if config.encoder:
        from engines.colorization.encoder import encoder_spec

        spec = encoder_spec(config.encoder)
        payload["encoder"] = {"name": config.encoder, "file": spec.asset, "sha256": spec.sha256}
    save_checkpoint(Path(path), payload)
    return Path(path)


def read_weights(path: str | Path) -> dict[str, Any]:
    """Read a colorization weights file (exported, or a training run's last.pt) with weights_only.

    Returns {"config": dict, "state_dict": {name: tensor}, "categories": [...], "meta": {...}}.
    Raises EngineError for a missing, damaged or foreign file, or one made for an encoder we do not know.
    """
    from engines.training import load_checkpoint

    payload = load_checkpoint(Path(path))  # EngineError when missing / damaged / not ours
    if "task" in payload:  # a training checkpoint: the task's state holds model + config
        task = payload["task"]
        payload = {
            "config": task.get("config"),
            "state_dict": task.get("model"),
            "categories": task.get("categories", []),
            "meta": {"step": payload.get("step")},
        }
    if not isinstance(payload.get("config"), dict) or not isinstance(payload.get("state_dict"), dict):
        raise EngineError(f"{Path(path).name} is a PaperZoo file but not colorization weights")
    encoder = payload["config"].get("encoder") or ""
    record = payload.get("encoder")
    if encoder and isinstance(record, dict):
        from engines.colorization.encoder import ENCODERS

        spec = ENCODERS.get(encoder)
        if spec is None or record.get("sha256") != spec.sha256:
            raise EngineError(f"{Path(path).name} was trained on an encoder this version does not know "
                              f"({record.get('file')}, sha256 {str(record.get('sha256'))[:12]}...)")
    return payload


def load_matching_weights(model: nn.Module, path: str | Path) -> None:
    """Copy the tensors of a weights file whose names and shapes match `model` (fine-tuning start)."""
    payload = read_weights(path)
    own = model.state_dict()
    model.load_state_dict(
        {k: v for k, v in payload["state_dict"].items() if k in own and own[k].shape == v.shape}, strict=False
    )


def tiny_cases() -> list[ModelCase]:
    """The tiny net with and without the global branch (the paper's ablation), for the contract tests."""
    cases = []
    for name, use_global in (("colorization", True), ("colorization_no_global", False)):
        c = ColorizationConfig.tiny(use_global=use_global)

        def build(c: ColorizationConfig = c) -> nn.Module:
            return LetThereBeColorNet(c).eval()  # eval: batch norm uses its running statistics

        def example(c: ColorizationConfig = c) -> tuple:
            return (torch.rand(2, 1, c.local_size, c.local_size), torch.rand(2, 1, c.global_size, c.global_size))

        def forward(m: nn.Module, x: tuple) -> dict[str, torch.Tensor]:
            ab, logits = m(*x)
            return {"ab": ab} if logits is None else {"ab": ab, "logits": logits}

        shapes = {"ab": (2, 2, c.local_size, c.local_size)}
        if use_global:
            shapes["logits"] = (2, c.num_classes)
        cases.append(ModelCase(name, build, example, forward, shapes))
    return cases

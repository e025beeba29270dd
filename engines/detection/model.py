"""YOLOv2 (YOLO9000, Redmon & Farhadi 2016): Darknet-19-style backbone, passthrough/reorg, 5 k-means anchors.

Every layer maps one-to-one onto a Darknet cfg section, so a trained net exports as a `.cfg` +
`.weights` pair that engines.importers.darknet (and so the live DetectionEngine) loads unchanged:
    conv = [convolutional] (BN, leaky 0.1), pool = [maxpool], passthrough = [route] + 1x1 conv + [reorg],
    concat = [route] (reorg output first, as in Darknet's yolov2.cfg), head = [region].
Decoding (the paper's eq. 3-ish): b_x = sigma(t_x) + c_x, b_y = sigma(t_y) + c_y, b_w = p_w e^{t_w},
b_h = p_h e^{t_h}, objectness sigma(t_o); anchors (p_w, p_h) are in grid cells (1 cell = 32 input px).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from engines.importers.darknet import DetectionHead, MaxPoolDarknet, Reorg

BN_EPS = 1e-6  # what engines.importers.darknet (and Darknet) use, so exported weights match exactly


@dataclass(frozen=True)
class YoloV2Layout:
    """Channel plan. stages[i]: the (filters, kernel) convs between max-pools (5 pools: stride 32).

    The passthrough taps the end of stage 5 (stride 16); head: convs after the backbone (the paper's
    two 3x3x1024); passthrough: 1x1 conv width before reorg (paper: 64); final: the 3x3 conv after the
    concat (paper: 1024).
    """

    stages: tuple[tuple[tuple[int, int], ...], ...]
    head: tuple[tuple[int, int], ...]
    passthrough: int
    final: int

    @staticmethod
    def darknet19(width: float = 1.0) -> YoloV2Layout:
        """The paper's detector: Darknet-19 without its classifier, + 3 convs, passthrough 64."""
        w = lambda c: max(8, int(round(c * width)))  # noqa: E731
        s = lambda *cs: tuple((w(c), k) for c, k in cs)  # noqa: E731
        return YoloV2Layout(
            stages=(s((32, 3)), s((64, 3)), s((128, 3), (64, 1), (128, 3)), s((256, 3), (128, 1), (256, 3)),
                    s((512, 3), (256, 1), (512, 3), (256, 1), (512, 3)),
                    s((1024, 3), (512, 1), (1024, 3), (512, 1), (1024, 3))),
            head=s((1024, 3), (1024, 3)), passthrough=w(64), final=w(1024))

    @staticmethod
    def tiny(width: float = 1.0) -> YoloV2Layout:
        """A small variant for 2 CPU cores: one 3x3 conv per stage (16..512 x width, as YOLOv2-tiny and the
        first six convs of YOLOv3-tiny, so those weights can seed it), one 256w head conv, passthrough 32w."""
        w = lambda c: max(8, int(round(c * width)))  # noqa: E731
        return YoloV2Layout(stages=tuple(((w(c), 3),) for c in (16, 32, 64, 128, 256, 512)),
                            head=((w(256), 3),), passthrough=w(32), final=w(256))


class Conv(nn.Module):
    """conv (no bias) + BN + leaky 0.1, or conv + bias, linear (the output layer)."""

    def __init__(self, c_in: int, c_out: int, k: int, bn: bool = True) -> None:
        super().__init__()
        self.conv = nn.Conv2d(c_in, c_out, k, 1, k // 2, bias=not bn)
        self.bn = nn.BatchNorm2d(c_out, eps=BN_EPS) if bn else None
        self.act = nn.LeakyReLU(0.1) if bn else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        return self.act(self.bn(x) if self.bn is not None else x)


class YoloV2Net(nn.Module):
    """YOLOv2. forward(x: (B, 3, S, S) RGB in [0, 1], S a multiple of 32):

    training mode -> raw map t (B, A*(5+C), S/32, S/32) for the loss; eval mode -> rows
    (B, (S/32)^2 * A, 5+C) = (cx, cy, w, h) normalised, objectness, objectness x class softmax,
    ordered (y, x, anchor): what engines.detection.decode.decode_rows expects.
    """

    def __init__(self, classes: int, anchors: np.ndarray, layout: YoloV2Layout) -> None:
        super().__init__()
        self.classes, self.layout = classes, layout
        self.anchors = np.asarray(anchors, np.float32).reshape(-1, 2)  # (A, 2) grid cells
        self.num_anchors = len(self.anchors)
        c = 3
        stages = []
        for i, convs in enumerate(layout.stages):
            mods: list[nn.Module] = [MaxPoolDarknet(2, 2)] if i else []
            for filters, k in convs:
                mods.append(Conv(c, filters, k))
                c = filters
            stages.append(nn.Sequential(*mods))
        self.stage1_16 = nn.Sequential(*stages[:5])  # stride 16: the passthrough's fine features
        c16 = layout.stages[4][-1][0]
        self.stage32 = nn.Sequential(*stages[5:])  # stride 32
        head = []
        for filters, k in layout.head:
            head.append(Conv(c, filters, k))
            c = filters
        self.head = nn.Sequential(*head)
        self.passthrough = Conv(c16, layout.passthrough, 1)
        self.reorg = Reorg(2)  # (B, P, 2H, 2W) -> (B, 4P, H, W), Darknet's element order
        self.final = Conv(layout.passthrough * 4 + c, layout.final, 3)
        self.detector = Conv(layout.final, self.num_anchors * (5 + classes), 1, bn=False)
        self.region = DetectionHead(self.anchors, classes, softmax=True)

    def raw(self, x: torch.Tensor) -> torch.Tensor:
        """(B, 3, S, S) -> t (B, A*(5+C), S/32, S/32), channel = anchor*(5+C) + (tx, ty, tw, th, to, classes)."""
        fine = self.stage1_16(x)  # (B, C16, S/16, S/16)
        coarse = self.head(self.stage32(fine))  # (B, Ch, S/32, S/32)
        pt = self.reorg(self.passthrough(fine))  # (B, 4P, S/32, S/32)
        return self.detector(self.final(torch.cat([pt, coarse], 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        t = self.raw(x)
        return t if self.training else self.region(t)

    def conv_layers(self) -> list[Conv]:
        """Every conv in Darknet cfg order (the order of the exported weights)."""
        return [m for m in (*self.stage1_16.modules(), *self.stage32.modules(), *self.head.modules())
                if isinstance(m, Conv)] + [self.passthrough, self.final, self.detector]

    def init_detector_bias(self, prior_obj: float = 0.01) -> None:
        """Start objectness near `prior_obj` so the many empty cells do not swamp the first steps."""
        with torch.no_grad():
            b = self.detector.conv.bias.view(self.num_anchors, 5 + self.classes)
            b.zero_()
            b[:, 4] = float(np.log(prior_obj / (1 - prior_obj)))


def seed_from_darknet(model: YoloV2Net, donor: nn.Module) -> int:
    """Fine-tuning start: copy a Darknet net's conv layers into `model`'s, in order, while shapes match.

    donor: an engines.importers.darknet.DarknetNet (not fused). Returns how many convs were copied.
    """
    from engines.importers.darknet import ConvBN

    theirs = [m for m in donor.modules() if isinstance(m, ConvBN)]
    copied = 0
    for mine, other in zip(model.conv_layers(), theirs):
        if mine.conv.weight.shape != other.conv.weight.shape or (mine.bn is None) != (other.bn is None):
            break
        with torch.no_grad():
            mine.conv.weight.copy_(other.conv.weight)
            if mine.bn is not None:
                for name in ("weight", "bias", "running_mean", "running_var"):
                    getattr(mine.bn, name).copy_(getattr(other.bn, name))
            else:
                mine.conv.bias.copy_(other.conv.bias)
        copied += 1
    return copied


def tiny_cases() -> list:
    """The contract tests' tiny YOLOv2: width 0.25, 2 classes, 5 anchors, a (2, 3, 64, 64) batch."""
    from engines.base import ModelCase

    anchors = np.array([[1, 1], [2, 1], [1, 2], [2, 2], [3, 3]], np.float32)

    def forward(model: YoloV2Net, inputs: tuple) -> dict[str, torch.Tensor]:
        t = model.raw(inputs[0])  # (B, A*(5+C), S/32, S/32)
        return {"raw": t, "rows": model.region(t)}  # rows: (B, (S/32)^2 * A, 5+C)

    return [ModelCase(
        name="yolov2-tiny",
        build=lambda: YoloV2Net(2, anchors, YoloV2Layout.tiny(0.25)),
        example=lambda: (torch.rand(2, 3, 64, 64),),
        forward=forward,
        shapes={"raw": (2, 5 * 7, 2, 2), "rows": (2, 2 * 2 * 5, 7)},
    )]

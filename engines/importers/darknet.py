"""Darknet importer: a `.cfg` becomes a torch module, a `.weights` file fills it, byte for byte.

Supported sections: convolutional (+BN, leaky/linear/relu/logistic/mish), maxpool, route, shortcut,
upsample, reorg (YOLOv2 passthrough), region (YOLOv2 head) and yolo (YOLOv3 head).
The network returns one (B, N, 5 + C) tensor: rows (cx, cy, w, h, objectness, class scores), box
coordinates normalised to [0, 1] of the network input, class score = objectness x class probability.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engines.base import EngineError
from engines.importers.darknet_budget import check_budget


@dataclass
class Section:
    kind: str
    options: dict[str, str] = field(default_factory=dict)
    line: int = 0

    def int(self, key: str, default: int | None = None) -> int:
        return self._number(int, key, self._get(key, default))

    def float(self, key: str, default: float | None = None) -> float:
        return self._number(float, key, self._get(key, default))

    def _number(self, kind, key: str, value):
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise EngineError(f"cfg line {self.line}: [{self.kind}] {key}={value!r} is not a number") from None

    def str(self, key: str, default: str | None = None) -> str:
        return str(self._get(key, default)).strip()

    def ints(self, key: str) -> list[int]:
        return [self._number(int, key, v) for v in self.str(key).split(",") if v.strip()]

    def floats(self, key: str) -> list[float]:
        return [self._number(float, key, v) for v in self.str(key).split(",") if v.strip()]

    def _get(self, key: str, default):
        if key in self.options:
            return self.options[key]
        if default is None:
            raise EngineError(f"cfg line {self.line}: [{self.kind}] needs '{key}'")
        return default


def parse_cfg(text: str) -> list[Section]:
    """Parse Darknet cfg text into sections (the first is [net])."""
    sections: list[Section] = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].split(";", 1)[0].strip()
        if not line:
            continue
        if line.startswith("["):
            if not line.endswith("]"):
                raise EngineError(f"cfg line {n}: malformed section header {line!r}")
            sections.append(Section(line[1:-1].strip().lower(), line=n))
        elif not sections:
            raise EngineError("not a Darknet cfg: it must start with a [net] section")
        elif "=" in line:
            key, value = line.split("=", 1)
            sections[-1].options[key.strip()] = value.strip()
        else:
            raise EngineError(f"cfg line {n}: expected 'key=value' inside a section, got {line!r}")
    if not sections or sections[0].kind not in ("net", "network"):
        raise EngineError("not a Darknet cfg: it must start with a [net] section")
    return sections


def _activation(name: str) -> nn.Module:
    table = {"leaky": lambda: nn.LeakyReLU(0.1, inplace=True), "linear": nn.Identity,
             "relu": lambda: nn.ReLU(inplace=True),
             "logistic": nn.Sigmoid, "mish": nn.Mish, "swish": nn.SiLU}
    if name not in table:
        raise EngineError(f"unsupported activation {name!r}")
    return table[name]()


class ConvBN(nn.Module):
    """Convolution, optional batch norm, activation. `fuse()` folds BN into the conv weights."""

    def __init__(self, c_in: int, sec: Section) -> None:
        super().__init__()
        size, self.filters = sec.int("size", 1), sec.int("filters")
        pad = size // 2 if sec.int("pad", 0) else sec.int("padding", 0)
        bn = bool(sec.int("batch_normalize", 0))
        groups = sec.int("groups", 1)
        self.conv = nn.Conv2d(c_in, self.filters, size, sec.int("stride", 1), pad, groups=groups, bias=not bn)
        self.bn = nn.BatchNorm2d(self.filters, eps=1e-6) if bn else None  # Darknet and OpenCV use eps 1e-6
        self.act = _activation(sec.str("activation", "linear"))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return self.act(x)

    def fuse(self) -> None:
        if self.bn is None:
            return
        bn, conv = self.bn, self.conv
        scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        fused = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride,
                          conv.padding, groups=conv.groups, bias=True).to(conv.weight.device)
        with torch.no_grad():
            fused.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
            fused.bias.copy_(bn.bias - bn.running_mean * scale)
        self.conv, self.bn = fused, None

    def load_darknet(self, floats: np.ndarray, pos: int) -> int:
        """Read this layer's parameters from the flat weights array at `pos`; return the new position."""
        def take(t: torch.Tensor, pos: int) -> int:
            n = t.numel()
            if pos + n > floats.size:
                raise EngineError("the .weights file ends early: it is truncated or was made for another cfg")
            t.data.copy_(torch.from_numpy(floats[pos:pos + n].copy()).view_as(t))
            return pos + n

        if self.bn is not None:
            for t in (self.bn.bias, self.bn.weight, self.bn.running_mean, self.bn.running_var):
                pos = take(t, pos)
        else:
            pos = take(self.conv.bias, pos)
        return take(self.conv.weight, pos)


class MaxPoolDarknet(nn.Module):
    """Darknet max-pool: total padding size-1, split left/top = (size-1)//2, the rest right/bottom."""

    def __init__(self, size: int, stride: int) -> None:
        super().__init__()
        self.size, self.stride = size, stride
        total = size - 1
        self.pad = (total // 2, total - total // 2, total // 2, total - total // 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if any(self.pad):
            x = F.pad(x, self.pad, mode="replicate")
        return F.max_pool2d(x, self.size, self.stride)


class Reorg(nn.Module):
    """Darknet's passthrough reorg (stride s): (B, C, H, W) -> (B, C*s*s, H/s, W/s).

    Darknet reads its input buffer as if it were (C/s^2, H*s, W*s); the result is a fixed
    permutation of the elements, computed once per shape and applied as a gather.
    """

    def __init__(self, stride: int) -> None:
        super().__init__()
        self.stride = stride
        self._index: dict[tuple[int, int, int], torch.Tensor] = {}

    def _gather_index(self, c: int, h: int, w: int, device: torch.device) -> torch.Tensor:
        key = (c, h, w)
        if key not in self._index:
            s = self.stride
            out_c = c // (s * s)
            k, j, i = np.meshgrid(np.arange(c), np.arange(h), np.arange(w), indexing="ij")
            c2, offset = k % out_c, k // out_c
            w2, h2 = i * s + offset % s, j * s + offset // s
            src = w2 + w * s * (h2 + h * s * c2)  # where darknet reads from, per output slot
            self._index[key] = torch.from_numpy(src.reshape(-1).astype(np.int64))
        return self._index[key].to(device)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # plain ints: under ONNX tracing the shape entries are tensors, and the index is a per-shape constant
        c, h, w = (int(v) for v in x.shape[1:])
        s = self.stride
        flat = x.reshape(x.shape[0], -1)
        out = flat[:, self._gather_index(c, h, w, x.device)]
        return out.reshape(x.shape[0], c * s * s, h // s, w // s)


class DetectionHead(nn.Module):
    """Decodes a head's raw map (B, A*(5+C), H, W) into rows (B, H*W*A, 5+C) ordered (y, x, anchor).

    anchors: (A, 2) in grid cells (region) or input pixels (yolo, divided by the input size here).
    """

    def __init__(self, anchors: np.ndarray, classes: int, softmax: bool, scale_xy: float = 1.0) -> None:
        super().__init__()
        self.classes, self.softmax, self.scale_xy = classes, softmax, scale_xy
        self.register_buffer("anchors", torch.tensor(anchors, dtype=torch.float32), persistent=False)

    def forward(self, x: torch.Tensor, in_hw: tuple[int, int] | None = None) -> torch.Tensor:
        b, _, h, w = x.shape
        a = self.anchors.shape[0]
        p = x.float().reshape(b, a, 5 + self.classes, h, w).permute(0, 3, 4, 1, 2)  # (B, H, W, A, 5+C)
        gy, gx = torch.meshgrid(torch.arange(h, device=x.device), torch.arange(w, device=x.device), indexing="ij")
        s = self.scale_xy
        cx = (torch.sigmoid(p[..., 0]) * s - (s - 1) / 2 + gx[..., None]) / w
        cy = (torch.sigmoid(p[..., 1]) * s - (s - 1) / 2 + gy[..., None]) / h
        if in_hw is None:  # region: anchors in grid cells
            bw, bh = torch.exp(p[..., 2]) * self.anchors[:, 0] / w, torch.exp(p[..., 3]) * self.anchors[:, 1] / h
        else:  # yolo: anchors in input pixels
            bw = torch.exp(p[..., 2]) * self.anchors[:, 0] / in_hw[1]
            bh = torch.exp(p[..., 3]) * self.anchors[:, 1] / in_hw[0]
        obj = torch.sigmoid(p[..., 4])
        cls = torch.softmax(p[..., 5:], dim=-1) if self.softmax else torch.sigmoid(p[..., 5:])
        rows = torch.cat([torch.stack([cx, cy, bw, bh, obj], -1), cls * obj[..., None]], -1)
        return rows.reshape(b, h * w * a, 5 + self.classes)


def _head(sec: Section) -> tuple[DetectionHead, bool]:
    """Build a head from a [region] or [yolo] section; returns (head, anchors_in_pixels)."""
    anchors = np.array(sec.floats("anchors"), dtype=np.float32).reshape(-1, 2)
    classes = sec.int("classes")
    if sec.kind == "region":
        if len(anchors) != sec.int("num"):
            raise EngineError(f"cfg line {sec.line}: [region] num does not match its anchors")
        return DetectionHead(anchors, classes, softmax=bool(sec.int("softmax", 1))), False
    mask = sec.ints("mask") if "mask" in sec.options else list(range(len(anchors)))
    return DetectionHead(anchors[mask], classes, softmax=False, scale_xy=sec.float("scale_x_y", 1.0)), True


class DarknetNet(nn.Module):
    """A network built from Darknet cfg sections. forward(x: (B, 3, H, W) RGB in [0,1]) -> (B, N, 5+C)."""

    def __init__(self, sections: list[Section]) -> None:
        super().__init__()
        net = sections[0]
        self.input_hw = (net.int("height", 416), net.int("width", 416))
        self.layers = nn.ModuleList()
        self.kinds: list[str] = []
        self.links: list[list[int]] = []  # absolute indices a route/shortcut reads
        self.head_pixels: list[bool] = []
        channels: list[int] = []
        c = net.int("channels", 3)
        for i, sec in enumerate(sections[1:]):
            links: list[int] = []
            if sec.kind == "convolutional":
                layer: nn.Module = ConvBN(c, sec)
                c = layer.filters
            elif sec.kind == "maxpool":
                layer = MaxPoolDarknet(sec.int("size", 2), sec.int("stride", 2))
            elif sec.kind == "route":
                links = [v if v >= 0 else i + v for v in sec.ints("layers")]
                if any(not 0 <= j < i for j in links):
                    raise EngineError(f"cfg line {sec.line}: route points outside the network")
                layer, c = nn.Identity(), sum(channels[j] for j in links)
            elif sec.kind == "shortcut":
                j = sec.int("from")
                links = [j if j >= 0 else i + j]
                layer = _activation(sec.str("activation", "linear"))
            elif sec.kind == "upsample":
                layer = nn.Upsample(scale_factor=sec.int("stride", 2), mode="nearest")
            elif sec.kind == "reorg":
                layer = Reorg(sec.int("stride", 2))
                c *= layer.stride ** 2
            elif sec.kind in ("region", "yolo"):
                layer, pixels = _head(sec)
                self.head_pixels.append(pixels)
            else:
                raise EngineError(f"cfg line {sec.line}: unsupported section [{sec.kind}]")
            self.layers.append(layer)
            self.kinds.append(sec.kind)
            self.links.append(links)
            channels.append(c)
        heads = [m for m in self.layers if isinstance(m, DetectionHead)]
        if not heads:
            raise EngineError("the cfg has no [region] or [yolo] detection head")
        self.classes = heads[0].classes
        needed = {j for links in self.links for j in links}
        self._keep = [i in needed for i in range(len(self.layers))]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat(self._run(x)[0], 1)

    def taps(self, x: torch.Tensor, layers: Iterable[int]) -> dict[int, torch.Tensor]:
        """{layer index: its output} for x (B, 3, H, W) RGB in [0, 1]; runs only as far as the last of `layers`
        (a frozen feature extractor, e.g. the colorizer's COCO encoder)."""
        return self._run(x, frozenset(layers))[1]

    def _run(self, x: torch.Tensor, taps: frozenset[int] = frozenset()
             ) -> tuple[list[torch.Tensor], dict[int, torch.Tensor]]:
        """(detection head rows, {tapped layer: output}); with `taps` it stops after the last tapped layer."""
        in_hw = (x.shape[2], x.shape[3])
        saved: dict[int, torch.Tensor] = {}
        rows: list[torch.Tensor] = []
        tapped: dict[int, torch.Tensor] = {}
        last = max(taps) if taps else len(self.layers) - 1
        for i, (layer, kind, links) in enumerate(zip(self.layers[: last + 1], self.kinds, self.links)):
            if kind == "route":
                x = saved[links[0]] if len(links) == 1 else torch.cat([saved[j] for j in links], 1)
            elif kind == "shortcut":
                x = layer(x + saved[links[0]])
            elif kind == "region":
                rows.append(layer(x))
            elif kind == "yolo":
                rows.append(layer(x, in_hw))
            else:
                x = layer(x)
            if self._keep[i]:
                saved[i] = x
            if i in taps:
                tapped[i] = x
        return rows, tapped

    def fuse(self) -> DarknetNet:
        """Fold every batch norm into its convolution (inference only)."""
        for m in self.layers:
            if isinstance(m, ConvBN):
                m.fuse()
        return self

    def load_weights(self, path: str | Path) -> None:
        """Fill the parameters from a Darknet `.weights` file; refuse a file of the wrong length."""
        data = Path(path).read_bytes()
        if len(data) < 16:
            raise EngineError(f"{Path(path).name} is not a Darknet weights file (only {len(data)} bytes)")
        major, minor, _ = np.frombuffer(data[:12], dtype=np.int32)
        header = 20 if (major * 10 + minor) >= 2 and major < 1000 and minor < 1000 else 16
        if len(data) < header or (len(data) - header) % 4:
            raise EngineError(f"{Path(path).name} is truncated (its length is not whole float32 values)")
        floats = np.frombuffer(data, dtype=np.float32, offset=header)
        pos = 0
        for m in self.layers:
            if isinstance(m, ConvBN):
                pos = m.load_darknet(floats, pos)
        if pos != floats.size:
            raise EngineError(
                f"{Path(path).name} holds {floats.size:,} values but this cfg needs {pos:,}: "
                "the weights were made for a different cfg (or the file is damaged)"
            )


def load_darknet(cfg: str | Path, weights: str | Path | None = None) -> DarknetNet:
    """Build a DarknetNet from a cfg file and, if given, load its weights (eval mode)."""
    try:
        text = Path(cfg).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EngineError(f"cannot read cfg {cfg}: {exc}") from exc
    sections = parse_cfg(text)
    check_budget(sections, Path(cfg).name)  # sizes and memory the cfg declares, before anything is allocated
    net = DarknetNet(sections)
    if weights is not None:
        net.load_weights(weights)
    return net.eval()

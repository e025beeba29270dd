"""TFLite flatbuffer -> torch: an op-by-op importer for float models (BlazePose's op set and a few more).

The flatbuffer is read with the `tflite` package (generated from TensorFlow's schema). Float16 or
int8 constants behind DEQUANTIZE are folded into float32 weights at load time, so the torch graph
holds only compute ops. Internally every 4-D tensor is NCHW (TFLite's are NHWC); RESHAPE permutes
back to NHWC first so flattening matches TFLite's element order.

Padding is explicit: TFLite's SAME pads `total // 2` before and the rest after, which is asymmetric
when the total is odd (e.g. a 3x3 stride-2 conv on an even size pads only bottom/right by one).
Torch's symmetric `padding=` would shift every stride-2 feature map by a pixel, so such convs get an
F.pad first and `padding=0`.
"""


from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from engines.base import EngineError
from engines.importers.tflite_reader import (  # noqa: F401 (re-exported: read_tflite is public here too)
    _ACTIVATIONS,
    SUPPORTED_OPS,
    OpInfo,
    TensorInfo,
    TFLiteGraph,
    read_tflite,
)


def same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TFLite/TF SAME padding along one axis: (before, after); after >= before (asymmetric when odd)."""
    eff = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + eff - size, 0)
    return total // 2, total - total // 2


def _activate(x: torch.Tensor, act: int) -> torch.Tensor:
    if act == 0:
        return x
    if act == 1:
        return x.relu_()
    if act == 2:
        return x.clamp_(-1.0, 1.0)
    if act == 3:
        return x.clamp_(0.0, 6.0)
    if act == 4:
        return x.tanh_()
    raise EngineError(f"fused activation {act} is not supported")


class Conv(nn.Module):
    """CONV_2D / DEPTHWISE_CONV_2D with its fused activation. pads = (left, right, top, bottom) in px."""

    def __init__(self, conv: nn.Conv2d, pads: tuple[int, int, int, int], act: int) -> None:
        super().__init__()
        self.conv, self.act = conv, act
        left, right, top, bottom = pads
        if left == right and top == bottom:
            self.conv.padding, self.pads = (top, left), None
        else:
            self.pads = pads

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, C, H, W) -> (B, O, H', W')
        if self.pads is not None:
            x = F.pad(x, self.pads)
        return _activate(self.conv(x), self.act)


class Lambda(nn.Module):
    """A parameter-free op: `fn(*inputs)`; its repr names the TFLite op."""

    def __init__(self, kind: str, fn: Any) -> None:
        super().__init__()
        self.kind, self.fn = kind, fn

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return self.fn(*xs)

    def extra_repr(self) -> str:
        return self.kind


def _nchw(shape: Sequence[int]) -> tuple[int, ...]:
    return (shape[0], shape[3], shape[1], shape[2]) if len(shape) == 4 else tuple(shape)


def _reshape(target: tuple[int, ...]) -> Any:
    def fn(x: torch.Tensor) -> torch.Tensor:
        if x.dim() == 4:
            x = x.permute(0, 2, 3, 1)  # back to NHWC so element order matches TFLite
        y = x.reshape(target)
        return y.permute(0, 3, 1, 2) if y.dim() == 4 else y

    return fn


class TFLiteNet(nn.Module):
    """The imported graph. forward(x: float (B, 3, H, W) NCHW) -> {output name: tensor}.

    4-D outputs come back NCHW (e.g. BlazePose `Identity_3` heatmaps (B, 39, 64, 64)); 2-D as in TFLite.
    `outputs` limits the graph to what those outputs need (dead ops are dropped).
    """

    def __init__(self, graph: TFLiteGraph, outputs: Iterable[str] | None = None) -> None:
        super().__init__()
        wanted = list(outputs) if outputs is not None else list(graph.outputs)
        unknown = [n for n in wanted if n not in graph.outputs]
        if unknown:
            raise EngineError(f"no output named {unknown[0]!r}; the model has {', '.join(graph.outputs)}")
        self.output_names = tuple(wanted)
        self._out_index = tuple(graph.outputs[n] for n in wanted)
        self._input_index = graph.inputs[0]
        self.input_shape = _nchw(graph.tensors[self._input_index].shape)
        ops = self._live_ops(graph, self._out_index)
        ops, pad_into = self._fold_pads(graph, ops)
        self.nodes = nn.ModuleList()
        self._wiring: list[tuple[tuple[int, ...], int]] = []
        for op in ops:
            src = pad_into.get(op.inputs[0])
            module = self._build(graph, op, src)
            ins = (src[0],) if src else tuple(i for i in op.inputs if i >= 0 and i not in graph.constants)
            self.nodes.append(module)
            self._wiring.append((ins, op.outputs[0]))
        self._last_use = self._lifetimes()

    @staticmethod
    def _live_ops(graph: TFLiteGraph, outs: Sequence[int]) -> list[OpInfo]:
        need, keep = set(outs), []
        for op in reversed(graph.ops):
            if need.intersection(op.outputs):
                keep.append(op)
                need.update(i for i in op.inputs if i >= 0)
        return keep[::-1]

    @staticmethod
    def _fold_pads(
        graph: TFLiteGraph, ops: list[OpInfo]
    ) -> tuple[list[OpInfo], dict[int, tuple[int, tuple]]]:
        """Drop a spatial zero PAD whose only reader is a VALID conv; the conv pads instead."""
        readers: dict[int, list[OpInfo]] = {}
        for op in ops:
            for i in op.inputs:
                readers.setdefault(i, []).append(op)
        pad_into: dict[int, tuple[int, tuple]] = {}
        kept = []
        for op in ops:
            if op.kind == "PAD" and len(readers.get(op.outputs[0], [])) == 1:
                pads = graph.constants[op.inputs[1]].reshape(-1, 2)
                reader = readers[op.outputs[0]][0]
                spatial_only = len(pads) == 4 and not pads[0].any() and not pads[3].any()
                if (
                    spatial_only
                    and reader.kind in ("CONV_2D", "DEPTHWISE_CONV_2D")
                    and not reader.options["same"]
                ):
                    pad_into[op.outputs[0]] = (
                        op.inputs[0],
                        (int(pads[2][0]), int(pads[2][1]), int(pads[1][0]), int(pads[1][1])),
                    )
                    continue
            kept.append(op)
        return kept, pad_into

    def _build(self, graph: TFLiteGraph, op: OpInfo, folded: tuple[int, tuple] | None) -> nn.Module:
        c, o = graph.constants, op.options
        if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
            return self._conv(graph, op, folded)
        if op.kind == "ADD":
            if any(i in c for i in op.inputs):
                raise EngineError("ADD with a constant operand is not supported")
            return Lambda("ADD", lambda a, b, act=o["act"]: _activate(a + b, act))
        if op.kind == "PAD":
            p = c[op.inputs[1]].reshape(-1, 2).astype(int)
            if len(p) != 4 or p[0].any():
                raise EngineError("PAD is supported on 4-D NHWC tensors with no batch padding")
            spec = (int(p[2][0]), int(p[2][1]), int(p[1][0]), int(p[1][1]), int(p[3][0]), int(p[3][1]))
            return Lambda("PAD", lambda x, s=spec: F.pad(x, s))
        if op.kind == "RESIZE_BILINEAR":
            size = tuple(int(v) for v in c[op.inputs[1]])
            if not (o["half_pixel"] or o["align_corners"]):
                raise EngineError(
                    "RESIZE_BILINEAR without half_pixel_centers or align_corners is not supported"
                )
            return Lambda(
                "RESIZE_BILINEAR",
                lambda x, s=size, ac=o["align_corners"]: F.interpolate(
                    x, size=s, mode="bilinear", align_corners=ac
                ),
            )
        if op.kind == "MAX_POOL_2D":
            return self._pool(graph, op)
        if op.kind == "RESHAPE":
            target = o.get("new_shape") or tuple(int(v) for v in c[op.inputs[1]])
            return Lambda("RESHAPE", _reshape(tuple(target)))
        if op.kind == "LOGISTIC":
            return Lambda("LOGISTIC", torch.sigmoid)
        raise EngineError(f"op {op.kind} has no torch mapping")  # pragma: no cover - guarded by read_tflite

    @staticmethod
    def _conv(graph: TFLiteGraph, op: OpInfo, folded: tuple[int, tuple] | None) -> Conv:
        o, c = op.options, graph.constants
        w = c[op.inputs[1]]
        bias = c.get(op.inputs[2]) if len(op.inputs) > 2 and op.inputs[2] >= 0 else None
        src = folded[0] if folded else op.inputs[0]
        _, h, wd, cin = graph.tensors[src].shape
        if op.kind == "CONV_2D":  # [O, KH, KW, I] -> [O, I, KH, KW]
            weight, groups = torch.from_numpy(np.ascontiguousarray(w.transpose(0, 3, 1, 2))), 1
        else:  # [1, KH, KW, C*M] -> [C*M, 1, KH, KW]
            weight, groups = torch.from_numpy(np.ascontiguousarray(w.transpose(3, 0, 1, 2))), cin
        kh, kw = weight.shape[2:]
        if o["same"]:
            top, bottom = same_pads(h, kh, o["stride"][0], o["dilation"][0])
            left, right = same_pads(wd, kw, o["stride"][1], o["dilation"][1])
            pads = (left, right, top, bottom)
        else:
            pads = folded[1] if folded else (0, 0, 0, 0)
        conv = nn.Conv2d(
            weight.shape[1] * groups,
            weight.shape[0],
            (kh, kw),
            stride=o["stride"],
            dilation=o["dilation"],
            groups=groups,
            bias=bias is not None,
        )
        with torch.no_grad():
            conv.weight.copy_(weight)
            if bias is not None:
                conv.bias.copy_(torch.from_numpy(bias.astype(np.float32)))
        return Conv(conv, pads, o["act"])

    @staticmethod
    def _pool(graph: TFLiteGraph, op: OpInfo) -> Lambda:
        o = op.options
        (kh, kw), (sh, sw) = o["kernel"], o["stride"]
        _, h, w, _ = graph.tensors[op.inputs[0]].shape
        pads = (0, 0, 0, 0)
        if o["same"]:
            top, bottom = same_pads(h, kh, sh)
            left, right = same_pads(w, kw, sw)
            pads = (left, right, top, bottom)

        def fn(x: torch.Tensor) -> torch.Tensor:
            if any(pads):
                x = F.pad(x, pads, value=float("-inf"))  # padded cells never win the max
            return _activate(F.max_pool2d(x, (kh, kw), (sh, sw)), o["act"])

        return Lambda("MAX_POOL_2D", fn)

    def _lifetimes(self) -> list[tuple[int, ...]]:
        """For each node, the tensors whose last reader it is (freed after it runs)."""
        last: dict[int, int] = {}
        for n, (ins, _) in enumerate(self._wiring):
            for i in ins:
                last[i] = n
        keep = set(self._out_index)
        return [
            tuple(i for i in ins if last.get(i) == n and i not in keep)
            for n, (ins, _) in enumerate(self._wiring)
        ]

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        env: dict[int, torch.Tensor] = {self._input_index: x}
        for node, (ins, out), dead in zip(self.nodes, self._wiring, self._last_use, strict=True):
            env[out] = node(*(env[i] for i in ins))
            for i in dead:
                del env[i]
        return {name: env[i] for name, i in zip(self.output_names, self._out_index, strict=True)}


def load_tflite(path: str | Path, outputs: Iterable[str] | None = None) -> TFLiteNet:
    """Read a .tflite file into an eval-mode TFLiteNet (float32, CPU)."""
    path = Path(path)
    if not path.is_file():
        raise EngineError(f"{path} does not exist")
    try:
        return TFLiteNet(read_tflite(path), outputs).eval()
    except EngineError:
        raise
    except Exception as exc:  # a damaged flatbuffer fails deep inside (struct.error, IndexError, shape errors)
        first = str(exc).splitlines()[0][:160] if str(exc) else ""
        raise EngineError(f"{path.name} is damaged or not a model we can import ({type(exc).__name__}: {first})") \
            from exc

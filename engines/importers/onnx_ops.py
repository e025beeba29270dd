"""ONNX operators as torch functions: op(inputs, attrs, static, fake_quant) -> tensor(s).

`inputs` are the node's tensor inputs (None where the name is empty); `static` holds the inputs that
must be constants (shapes, axes, pads, scales), already as numpy. All tensors are NCHW as in ONNX.
QuantizeLinear/DequantizeLinear: with `fake_quant` the activations are rounded to the int8/uint8 grid
exactly as onnxruntime's integer kernels see them; without it they pass through in float (the model
"dequantized", differentiable).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from engines.base import EngineError

STATIC_INPUTS: dict[str, tuple[int, ...]] = {
    "Reshape": (1,), "Slice": (1, 2, 3, 4), "Pad": (1, 2, 3), "Unsqueeze": (1,), "Squeeze": (1,),
    "ReduceMean": (1,), "ReduceSum": (1,), "Resize": (1, 2, 3), "ConstantOfShape": (0,), "Clip": (1, 2),
    "QuantizeLinear": (1, 2), "DequantizeLinear": (1, 2),
}
"""op -> indices of inputs read at load time (they must be constants in the file)."""

_TORCH_DTYPE = {1: torch.float32, 2: torch.uint8, 3: torch.int8, 5: torch.int16, 6: torch.int32, 7: torch.int64,
                9: torch.bool, 10: torch.float16, 11: torch.float64}


@dataclass(frozen=True)
class Node:
    """One compute node left after folding: tensor input names (static ones removed), attrs and statics."""

    op: str
    name: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attrs: Mapping[str, Any]
    static: Mapping[int, np.ndarray | None]


class OpError(EngineError):
    """An op whose attributes or constant inputs this importer does not support (caller adds the file name)."""


MAX_ELEMENTS = 1 << 28  # any one tensor an op may create (1 GiB as float32)


def _check_size(shape, op: str) -> None:
    if any(int(d) < 0 for d in shape) or int(np.prod([int(d) for d in shape], dtype=object)) > MAX_ELEMENTS:
        raise OpError(f"{op} would create a tensor of shape {list(shape)}")


def _axes(value: Any, rank: int) -> list[int]:
    return [int(a) % rank for a in np.asarray(value).reshape(-1)]


def _conv(xs, at, st, fq):
    x, w = xs[0], xs[1]
    b = xs[2] if len(xs) > 2 else None
    if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
        raise OpError(f"Conv auto_pad={at['auto_pad']!r} is not supported")
    k = w.dim() - 2
    pads = list(at.get("pads", [0] * 2 * k))
    begin, end = pads[:k], pads[k:]
    if begin != end:
        x = F.pad(x, [p for i in reversed(range(k)) for p in (begin[i], end[i])])
        begin = [0] * k
    conv = F.conv2d if k == 2 else F.conv1d if k == 1 else None
    if conv is None:
        raise OpError(f"Conv with {k} spatial dims is not supported")
    return conv(x, w, b, stride=tuple(at.get("strides", [1] * k)), padding=tuple(begin),
                dilation=tuple(at.get("dilations", [1] * k)), groups=int(at.get("group", 1)))


def _pad(xs, at, st, fq):
    x = xs[0]
    mode = at.get("mode", b"constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    pads = [int(p) for p in np.asarray(st[1]).reshape(-1)]
    if st.get(3) is not None:
        raise OpError("Pad with an axes input is not supported")
    n = x.dim()
    if len(pads) != 2 * n or any(p < 0 for p in pads):
        raise OpError(f"Pad: pads {pads} do not fit a rank-{n} tensor")
    _check_size([d + pads[i] + pads[i + n] for i, d in enumerate(x.shape)], "Pad")
    torch_pads = [p for i in reversed(range(n)) for p in (pads[i], pads[i + n])]
    while torch_pads[-2:] == [0, 0] and len(torch_pads) > 2:
        torch_pads = torch_pads[:-2]
    if mode == "constant":
        value = float(np.asarray(st[2]).reshape(-1)[0]) if st.get(2) is not None else 0.0
        return F.pad(x, torch_pads, value=value)
    table = {"reflect": "reflect", "edge": "replicate"}
    if mode not in table:
        raise OpError(f"Pad mode {mode!r} is not supported")
    lead = n - len(torch_pads) // 2
    if lead < 1:
        raise OpError("Pad: reflect/edge padding of every axis is not supported")
    shape = x.shape
    y = F.pad(x.reshape(-1, *shape[lead:]) if lead != 1 else x, torch_pads, mode=table[mode])
    return y.reshape(*shape[:lead], *y.shape[1:]) if lead != 1 else y


def _reshape(xs, at, st, fq):
    x, shape = xs[0], [int(s) for s in np.asarray(st[1]).reshape(-1)]
    if not at.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    return x.reshape(shape)


def _reduce(fn: Callable) -> Callable:
    def op(xs, at, st, fq):
        x = xs[0]
        axes = st.get(1) if st.get(1) is not None else at.get("axes")
        keep = bool(at.get("keepdims", 1))
        if axes is None or np.asarray(axes).size == 0:
            if at.get("noop_with_empty_axes", 0):
                return x
            axes = list(range(x.dim()))
        return fn(x, dim=_axes(axes, x.dim()), keepdim=keep)

    return op


def _resize(xs, at, st, fq):
    x = xs[0]
    mode = at.get("mode", b"nearest").decode()
    ctm = at.get("coordinate_transformation_mode", b"half_pixel").decode()
    scales, sizes = st.get(2), st.get(3)
    if sizes is not None and np.asarray(sizes).size:
        size = [int(s) for s in np.asarray(sizes).reshape(-1)][2:]
    elif scales is not None and np.asarray(scales).size:
        sc = [float(s) for s in np.asarray(scales).reshape(-1)]
        if sc[:2] != [1.0, 1.0]:
            raise OpError("Resize of the batch or channel axis is not supported")
        size = [int(np.floor(d * s)) for d, s in zip(x.shape[2:], sc[2:])]
    else:
        raise OpError("Resize needs scales or sizes")
    if list(size) == list(x.shape[2:]):
        return x
    _check_size([*x.shape[:2], *size], "Resize")
    if mode == "nearest":
        if ctm != "asymmetric" or at.get("nearest_mode", b"round_prefer_floor").decode() != "floor":
            raise OpError(f"Resize nearest with {ctm}/{at.get('nearest_mode')} is not supported")
        return F.interpolate(x, size=size, mode="nearest")
    if mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel", "align_corners"):
        return F.interpolate(x, size=size, mode="bilinear", align_corners=ctm == "align_corners")
    raise OpError(f"Resize mode {mode!r} with {ctm!r} is not supported")


def _slice(xs, at, st, fq):
    x = xs[0]
    starts, ends = np.asarray(st[1]).reshape(-1), np.asarray(st[2]).reshape(-1)
    axes = np.asarray(st[3]).reshape(-1) if st.get(3) is not None else np.arange(len(starts))
    steps = np.asarray(st[4]).reshape(-1) if st.get(4) is not None else np.ones(len(starts), np.int64)
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis, n, step = int(axis) % x.dim(), x.shape[int(axis) % x.dim()], int(step)
        if step == 0:
            raise OpError("Slice step 0")
        index = list(range(n))[slice(int(max(min(start, 2**62), -2**62)), int(max(min(end, 2**62), -2**62)), step)]
        x = x.index_select(axis, torch.tensor(index, dtype=torch.long, device=x.device))
    return x


def _unsqueeze(xs, at, st, fq):
    x = xs[0]
    axes = st.get(1) if st.get(1) is not None else at["axes"]
    rank = x.dim() + np.asarray(axes).size
    for a in sorted(_axes(axes, rank)):
        x = x.unsqueeze(a)
    return x


def _squeeze(xs, at, st, fq):
    x = xs[0]
    axes = st.get(1) if st.get(1) is not None else at.get("axes")
    if axes is None:
        return x.squeeze()
    for a in sorted(_axes(axes, x.dim()), reverse=True):
        x = x.squeeze(a)
    return x


def _qrange(zero_point: np.ndarray | None) -> tuple[int, int]:
    return (0, 255) if zero_point is None or zero_point.dtype == np.uint8 else (-128, 127)


def _per_axis(v: np.ndarray, x: torch.Tensor, axis: int) -> torch.Tensor:
    t = torch.as_tensor(np.asarray(v, np.float32), device=x.device)
    if t.numel() == 1:
        return t.reshape(())
    shape = [1] * x.dim()
    shape[axis % x.dim()] = t.numel()
    return t.reshape(shape)


def _quantize(xs, at, st, fq):
    x = xs[0]
    if not fq:
        return x
    zp = st.get(2)
    lo, hi = _qrange(zp)
    axis = int(at.get("axis", 1))
    zero = _per_axis(zp if zp is not None else np.zeros(1), x, axis)
    return torch.clamp(torch.round(x / _per_axis(st[1], x, axis)) + zero, lo, hi)


def _dequantize(xs, at, st, fq):
    x = xs[0]
    if not fq:
        return x
    axis = int(at.get("axis", 1))
    zp = st.get(2)
    zero = _per_axis(zp if zp is not None else np.zeros(1), x, axis)
    return (x.float() - zero) * _per_axis(st[1], x, axis)


def _clip(xs, at, st, fq):
    lo = st.get(1) if st.get(1) is not None else at.get("min")
    hi = st.get(2) if st.get(2) is not None else at.get("max")
    return torch.clamp(xs[0], None if lo is None else float(np.asarray(lo).reshape(-1)[0]),
                       None if hi is None else float(np.asarray(hi).reshape(-1)[0]))


def _cast(xs, at, st, fq):
    to = int(at["to"])
    if to not in _TORCH_DTYPE:
        raise OpError(f"Cast to data type {to} is not supported")
    return xs[0].to(_TORCH_DTYPE[to])


def _constant_of_shape(xs, at, st, fq):
    shape = [int(s) for s in np.asarray(st[0]).reshape(-1)]
    _check_size(shape, "ConstantOfShape")
    value = at.get("value")
    fill = torch.as_tensor(value).reshape(-1)[0] if value is not None else torch.tensor(0.0)
    return torch.full(shape, fill.item(), dtype=fill.dtype)


def _gemm_like(xs, at, st, fq):
    return torch.matmul(xs[0], xs[1])


def _flatten(xs, at, st, fq):
    x, axis = xs[0], int(at.get("axis", 1)) % max(xs[0].dim(), 1)
    return x.reshape(int(np.prod(x.shape[:axis])), -1)


def _instance_norm(xs, at, st, fq):
    """(B, C, H, W) [, gamma, beta] -> (x - mean) / sqrt(var + eps) [* gamma + beta], statistics per (b, c)."""
    x, eps = xs[0], float(at["epsilon"])
    if len(xs) == 1:
        return F.instance_norm(x, eps=eps)
    g, b = xs[1], xs[2]
    c = x.shape[1]
    if g.numel() == c and b.numel() == c and g.dim() <= x.dim() and b.dim() <= x.dim():
        return F.instance_norm(x, weight=g.reshape(c), bias=b.reshape(c), eps=eps)
    return F.instance_norm(x, eps=eps) * g + b


OPS: dict[str, Callable] = {
    "Add": lambda xs, at, st, fq: xs[0] + xs[1],
    "Sub": lambda xs, at, st, fq: xs[0] - xs[1],
    "Mul": lambda xs, at, st, fq: xs[0] * xs[1],
    "Div": lambda xs, at, st, fq: xs[0] / xs[1],
    "Pow": lambda xs, at, st, fq: xs[0] * xs[0] if xs[1].numel() == 1 and float(xs[1]) == 2.0 else xs[0] ** xs[1],
    "Sqrt": lambda xs, at, st, fq: torch.sqrt(xs[0]),
    "Reciprocal": lambda xs, at, st, fq: torch.reciprocal(xs[0]),
    "Exp": lambda xs, at, st, fq: torch.exp(xs[0]),
    "Relu": lambda xs, at, st, fq: F.relu(xs[0]),
    "LeakyRelu": lambda xs, at, st, fq: F.leaky_relu(xs[0], float(at.get("alpha", 0.01))),
    "Sigmoid": lambda xs, at, st, fq: torch.sigmoid(xs[0]),
    "Tanh": lambda xs, at, st, fq: torch.tanh(xs[0]),
    "Identity": lambda xs, at, st, fq: xs[0],
    "Transpose": lambda xs, at, st, fq: xs[0].permute(*(at.get("perm") or range(xs[0].dim() - 1, -1, -1))),
    "Concat": lambda xs, at, st, fq: torch.cat([x for x in xs if x is not None], dim=int(at["axis"])),
    "GlobalAveragePool": lambda xs, at, st, fq: xs[0].mean(dim=tuple(range(2, xs[0].dim())), keepdim=True),
    "ReduceMean": _reduce(torch.mean),
    "ReduceSum": _reduce(torch.sum),
    "Conv": _conv, "Pad": _pad, "Reshape": _reshape, "Resize": _resize, "Slice": _slice,
    "Unsqueeze": _unsqueeze, "Squeeze": _squeeze, "Clip": _clip, "Cast": _cast,
    "ConstantOfShape": _constant_of_shape, "QuantizeLinear": _quantize, "DequantizeLinear": _dequantize,
    "MatMul": _gemm_like, "Flatten": _flatten, "_InstanceNorm": _instance_norm,
}

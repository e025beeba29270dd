"""Reading a TFLite flatbuffer (with the `tflite` package) into a plain graph description.

Float16 or int8 constants behind DEQUANTIZE are folded into float32 arrays here, so the graph that
engines.importers.tflite turns into torch holds only compute ops.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from engines.base import EngineError

_DTYPES = {0: np.float32, 1: np.float16, 2: np.int32, 3: np.uint8, 4: np.int64, 9: np.int8}
_ACTIVATIONS = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH"}
SUPPORTED_OPS = frozenset(
    {
        "PAD",
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "ADD",
        "RESIZE_BILINEAR",
        "MAX_POOL_2D",
        "RESHAPE",
        "LOGISTIC",
        "DEQUANTIZE",
    }
)


@dataclass(frozen=True)
class TensorInfo:
    """One graph tensor. `shape` is TFLite's own (NHWC for 4-D)."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str


@dataclass(frozen=True)
class OpInfo:
    """One operator: TFLite builtin name, tensor indices in/out (-1 = absent optional), parsed options."""

    kind: str
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TFLiteGraph:
    """A parsed single-subgraph model; `constants` maps tensor index -> float32/int array (TFLite layout)."""

    tensors: tuple[TensorInfo, ...]
    ops: tuple[OpInfo, ...]
    constants: Mapping[int, np.ndarray]
    inputs: tuple[int, ...]
    outputs: Mapping[str, int]

    def count(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for op in self.ops:
            out[op.kind] = out.get(op.kind, 0) + 1
        return out


def _options(op: Any, kind: str) -> dict[str, Any]:
    import tflite

    table = op.BuiltinOptions()
    if table is None:
        return {}
    cls = {
        "CONV_2D": tflite.Conv2DOptions,
        "DEPTHWISE_CONV_2D": tflite.DepthwiseConv2DOptions,
        "ADD": tflite.AddOptions,
        "RESIZE_BILINEAR": tflite.ResizeBilinearOptions,
        "MAX_POOL_2D": tflite.Pool2DOptions,
        "RESHAPE": tflite.ReshapeOptions,
    }.get(kind)
    if cls is None:
        return {}
    o = cls()
    o.Init(table.Bytes, table.Pos)
    if kind in ("CONV_2D", "DEPTHWISE_CONV_2D"):
        d = {
            "same": o.Padding() == tflite.Padding.SAME,
            "stride": (o.StrideH(), o.StrideW()),
            "dilation": (o.DilationHFactor(), o.DilationWFactor()),
            "act": o.FusedActivationFunction(),
        }
        if kind == "DEPTHWISE_CONV_2D":
            d["multiplier"] = o.DepthMultiplier()
        return d
    if kind == "ADD":
        return {"act": o.FusedActivationFunction()}
    if kind == "RESIZE_BILINEAR":
        return {"align_corners": bool(o.AlignCorners()), "half_pixel": bool(o.HalfPixelCenters())}
    if kind == "MAX_POOL_2D":
        return {
            "same": o.Padding() == tflite.Padding.SAME,
            "stride": (o.StrideH(), o.StrideW()),
            "kernel": (o.FilterHeight(), o.FilterWidth()),
            "act": o.FusedActivationFunction(),
        }
    return {"new_shape": tuple(int(v) for v in o.NewShapeAsNumpy())} if o.NewShapeLength() else {}


def _buffer(model: Any, raw: bytes, tensor: Any) -> np.ndarray | None:
    buf = model.Buffers(tensor.Buffer())
    if buf is None:
        return None
    if buf.Offset() > 1:  # large models keep buffers after the flatbuffer
        data = raw[buf.Offset() : buf.Offset() + buf.Size()]
    elif buf.DataLength():
        data = buf.DataAsNumpy().tobytes()
    else:
        return None
    dtype = _DTYPES.get(tensor.Type())
    if dtype is None:
        raise EngineError(f"tensor {tensor.Name().decode()} has an unsupported type {tensor.Type()}")
    return np.frombuffer(data, dtype=dtype).reshape(tuple(tensor.ShapeAsNumpy()) or ())


def _dequantize(src: np.ndarray, tensor: Any) -> np.ndarray:
    """Float16 -> float32, or int8/uint8 with (per-tensor or per-axis) scale and zero point."""
    if src.dtype == np.float16:
        return src.astype(np.float32)
    q = tensor.Quantization()
    if q is None or q.ScaleLength() == 0:
        raise EngineError(f"DEQUANTIZE of {tensor.Name().decode()} has no scale")
    scale, zero = q.ScaleAsNumpy().astype(np.float32), q.ZeroPointAsNumpy().astype(np.float32)
    shape = [1] * src.ndim
    if scale.size > 1:
        shape[q.QuantizedDimension()] = -1
    return (src.astype(np.float32) - zero.reshape(shape)) * scale.reshape(shape)


def read_tflite(path: str | Path) -> TFLiteGraph:
    """Parse a .tflite file; DEQUANTIZE of constants is folded; unsupported ops raise EngineError."""
    import tflite

    raw = Path(path).read_bytes()
    try:
        model = tflite.Model.GetRootAsModel(raw, 0)
        graph = model.Subgraphs(0)
    except Exception as exc:  # flatbuffers raises assorted errors on garbage
        raise EngineError(f"{Path(path).name} is not a TFLite model ({type(exc).__name__})") from exc
    if model.SubgraphsLength() != 1:
        raise EngineError("only single-subgraph TFLite models are supported")
    codes = [model.OperatorCodes(i) for i in range(model.OperatorCodesLength())]
    tensors, constants = [], {}
    for i in range(graph.TensorsLength()):
        t = graph.Tensors(i)
        tensors.append(
            TensorInfo(
                i,
                t.Name().decode(),
                tuple(int(s) for s in t.ShapeAsNumpy()),
                str(np.dtype(_DTYPES.get(t.Type(), np.uint8))),
            )
        )
        data = _buffer(model, raw, t)
        if data is not None:
            constants[i] = data
    ops = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = codes[op.OpcodeIndex()]
        kind = tflite.opcode2name(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
        if kind not in SUPPORTED_OPS:
            raise EngineError(f"TFLite op {kind} is not supported by this importer (op #{i})")
        ins, outs = tuple(int(v) for v in op.InputsAsNumpy()), tuple(int(v) for v in op.OutputsAsNumpy())
        if kind == "DEQUANTIZE":
            if ins[0] not in constants:
                raise EngineError("DEQUANTIZE of a computed tensor is not supported (only constant weights)")
            constants[outs[0]] = _dequantize(constants[ins[0]], graph.Tensors(ins[0]))
            continue
        ops.append(OpInfo(kind, ins, outs, _options(op, kind)))
    outputs = {tensors[int(i)].name: int(i) for i in graph.OutputsAsNumpy()}
    return TFLiteGraph(
        tuple(tensors), tuple(ops), constants, tuple(int(i) for i in graph.InputsAsNumpy()), outputs
    )


# ---------------------------------------------------------------- torch side

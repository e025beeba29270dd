"""Reading an untrusted .onnx file: parse (protobuf only, no code runs), validate, and budget before allocating.

What is refused, each with an EngineError naming the file: a file larger than the memory budget; bytes that
are not a ModelProto; external or sparse tensor data (it would read other files); a tensor whose declared
shape disagrees with its stored bytes; a model whose constants (as float32) exceed the budget; an operator
outside `SUPPORTED_OPS` or a domain other than the default one; a node reading a name never defined; a
graph input with more than `MAX_INPUT_ELEMENTS` fixed elements.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from engines.base import EngineError
from engines.importers.darknet_budget import budget_bytes

SUPPORTED_OPS = frozenset({
    "Add", "Cast", "Clip", "Concat", "Constant", "ConstantOfShape", "Conv", "DequantizeLinear", "Div", "Exp",
    "Flatten", "GlobalAveragePool", "Identity", "LeakyRelu", "MatMul", "Mul", "Pad", "Pow", "QuantizeLinear",
    "Reciprocal", "ReduceMean", "ReduceSum", "Relu", "Reshape", "Resize", "Sigmoid", "Slice", "Sqrt", "Squeeze",
    "Sub", "Tanh", "Transpose", "Unsqueeze",
})
MAX_NODES = 20_000
MAX_INPUT_ELEMENTS = 1 << 28  # fixed graph-input elements (1 GiB as float32)
ITEMSIZE = {1: 4, 2: 1, 3: 1, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8}
"""onnx.TensorProto data type -> bytes per element (float, uint8, int8, int16, int32, int64, bool, f16, f64, ...)."""


def read_model(path: Path, limit: int | None = None):
    """Parse `path` into an onnx.ModelProto after the file-size budget; EngineError on anything unreadable."""
    import onnx
    from google.protobuf.message import DecodeError

    limit = budget_bytes() if limit is None else limit
    try:
        size = path.stat().st_size
        if size > limit:
            raise EngineError(f"{path.name} is {size / 2**20:,.0f} MiB; the limit here is {limit / 2**20:,.0f} MiB")
        data = path.read_bytes()
    except OSError as exc:
        raise EngineError(f"cannot read {path}: {exc.strerror or exc}") from exc
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except (DecodeError, ValueError, RuntimeError) as exc:
        raise EngineError(f"{path.name} is not an ONNX model (protobuf parse failed: {exc})") from exc
    validate(model, path.name, limit)
    return model


def _tensor_bytes(t, name: str) -> tuple[int, int]:
    """(stored bytes, bytes once float32) of one TensorProto; EngineError if its shape and data disagree."""
    import onnx

    if t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data):
        raise EngineError(f"{name}: tensor {t.name!r} keeps its data in another file (external data is refused)")
    if t.data_type not in ITEMSIZE:
        raise EngineError(f"{name}: tensor {t.name!r} has unsupported data type {t.data_type}")
    if any(d < 0 for d in t.dims) or len(t.dims) > 8:
        raise EngineError(f"{name}: tensor {t.name!r} has an invalid shape {list(t.dims)}")
    numel = int(np.prod([int(d) for d in t.dims], dtype=object)) if t.dims else 1
    stored = len(t.raw_data) if t.raw_data else sum(
        len(f) for f in (t.float_data, t.int32_data, t.int64_data, t.double_data, t.uint64_data))
    expected = numel * ITEMSIZE[t.data_type] if t.raw_data else numel
    if stored != expected:
        raise EngineError(f"{name}: tensor {t.name!r} declares {list(t.dims)} but stores "
                          f"{stored} {'bytes' if t.raw_data else 'values'} (expected {expected})")
    return numel * ITEMSIZE[t.data_type], numel * 4


def validate(model, name: str, limit: int | None = None) -> None:
    """EngineError when the model is not one this importer can build within the memory budget."""
    limit = budget_bytes() if limit is None else limit
    graph = model.graph
    if not graph.node or not graph.output:
        raise EngineError(f"{name} holds no graph (no nodes or no outputs): not an ONNX model we can run")
    if len(graph.node) > MAX_NODES:
        raise EngineError(f"{name} has {len(graph.node)} nodes; the limit is {MAX_NODES}")
    if len(graph.sparse_initializer):
        raise EngineError(f"{name} uses sparse initializers, which are not supported")
    tensors = list(graph.initializer) + [a.t for n in graph.node for a in n.attribute if a.HasField("t")]
    total = sum(sum(_tensor_bytes(t, name)) for t in tensors)
    if total > limit:
        raise EngineError(f"{name} declares {total / 2**20:,.0f} MiB of constants; the limit here is "
                          f"{limit / 2**20:,.0f} MiB")
    for value in graph.input:
        dims = value.type.tensor_type.shape.dim
        fixed = int(np.prod([d.dim_value for d in dims if d.HasField("dim_value")], dtype=object))
        if fixed > MAX_INPUT_ELEMENTS:
            raise EngineError(f"{name}: input {value.name!r} declares {fixed:,} elements")
    defined = {t.name for t in graph.initializer} | {v.name for v in graph.input} | {""}
    for node in graph.node:
        if node.domain not in ("", "ai.onnx"):
            raise EngineError(f"{name}: operator {node.domain}.{node.op_type} is not supported (custom domain)")
        if node.op_type not in SUPPORTED_OPS:
            raise EngineError(f"{name}: operator {node.op_type!r} (node {node.name!r}) is not supported by "
                              f"the ONNX importer")
        missing = [i for i in node.input if i not in defined]
        if missing:
            raise EngineError(f"{name}: node {node.name!r} ({node.op_type}) reads {missing[0]!r}, which no earlier "
                              "node or initializer defines")
        defined.update(node.output)
    unknown = [o.name for o in graph.output if o.name not in defined]
    if unknown:
        raise EngineError(f"{name}: graph output {unknown[0]!r} is never computed")

"""ONNX -> torch: an op-by-op importer for the style networks' op set (float and int8 QDQ models).

The file is parsed with the `onnx` protobuf classes only (no code runs) and checked by `onnx_budget`
before any tensor is allocated. At load, every node whose inputs are all constants is evaluated once
(constant folding: the int8 weights behind DequantizeLinear become float32 weights, the pad-shape
sub-graphs become lists). What remains is a list of compute nodes interpreted in order by `forward`;
float constants that feed those nodes become `nn.Parameter`s (so a model can be fine-tuned or its
input optimised), small or integer ones buffers.

`fake_quant=True` rounds QDQ activations to the int8 grid as onnxruntime does; `False` runs the QDQ
model in float (weights still dequantised from int8), which is differentiable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engines.base import EngineError
from engines.importers.onnx_budget import read_model, validate
from engines.importers.onnx_fuse import fuse_instance_norm
from engines.importers.onnx_ops import OPS, STATIC_INPUTS, Node, OpError


def _attrs(node) -> dict[str, Any]:
    import onnx
    from onnx import numpy_helper

    out: dict[str, Any] = {}
    for a in node.attribute:
        if a.type == onnx.AttributeProto.TENSOR:
            out[a.name] = torch.from_numpy(np.array(numpy_helper.to_array(a.t)))
        elif a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
            raise OpError(f"{node.op_type} with a sub-graph attribute is not supported")
        else:
            out[a.name] = onnx.helper.get_attribute_value(a)
    return out


def _to_numpy(t: torch.Tensor) -> np.ndarray:
    return t.detach().cpu().numpy()


class OnnxNet(nn.Module):
    """The imported graph. forward(*inputs in graph-input order, or **by name) -> tuple of graph outputs.

    `run(feeds, outputs=names)` returns any intermediate tensors by name (e.g. features for a perceptual
    loss). Shapes and layouts are the file's own (NCHW or NHWC as the graph declares).
    """

    def __init__(self, model, name: str, fake_quant: bool = True, fuse: bool = True) -> None:
        super().__init__()
        self.file_name, self.fake_quant = name, fake_quant
        graph = model.graph
        consts: dict[str, torch.Tensor] = {}
        self.input_names = tuple(v.name for v in graph.input if v.name not in {t.name for t in graph.initializer})
        self.output_names = tuple(o.name for o in graph.output)
        self.input_shapes = {v.name: tuple(d.dim_value or d.dim_param for d in v.type.tensor_type.shape.dim)
                             for v in graph.input}
        try:
            self._fold(graph, consts)
            if fuse:
                self.nodes = fuse_instance_norm(self.nodes, consts, self.output_names)
        except OpError as exc:
            raise EngineError(f"{name}: {exc}") from exc
        except (RuntimeError, ValueError, IndexError, TypeError, KeyError, OverflowError) as exc:
            raise EngineError(f"{name}: the graph does not evaluate ({type(exc).__name__}: {exc})") from exc
        self._store_constants(consts)

    def _fold(self, graph, consts: dict[str, torch.Tensor]) -> None:
        from onnx import numpy_helper

        for t in graph.initializer:
            consts[t.name] = torch.from_numpy(np.array(numpy_helper.to_array(t)))
        nodes: list[Node] = []
        for n in graph.node:
            attrs = _attrs(n)
            if n.op_type == "Constant":
                consts[n.output[0]] = self._constant(attrs)
                continue
            statics = STATIC_INPUTS.get(n.op_type, ())
            static: dict[int, np.ndarray | None] = {}
            for i in statics:
                if i < len(n.input) and n.input[i]:
                    if n.input[i] not in consts:
                        raise OpError(f"{n.op_type} node {n.name!r}: input {i} ({n.input[i]!r}) must be a constant")
                    static[i] = _to_numpy(consts[n.input[i]])
            names = tuple(x for i, x in enumerate(n.input) if i not in statics)
            if all(x in consts or not x for x in names):  # fold now
                xs = [consts[x] if x else None for x in names]
                with torch.no_grad():
                    out = OPS[n.op_type](xs, attrs, static, True)
                consts[n.output[0]] = out
                continue
            nodes.append(Node(n.op_type, n.name, names, tuple(n.output), attrs, static))
        self.nodes = tuple(nodes)

    @staticmethod
    def _constant(attrs: dict[str, Any]) -> torch.Tensor:
        if "value" in attrs:
            return attrs["value"]
        for key, dtype in (("value_float", torch.float32), ("value_floats", torch.float32),
                           ("value_int", torch.int64), ("value_ints", torch.int64)):
            if key in attrs:
                return torch.tensor(attrs[key], dtype=dtype)
        raise OpError(f"Constant with {sorted(attrs)} is not supported")

    def _store_constants(self, consts: dict[str, torch.Tensor]) -> None:
        """Constants read by a compute node: float ones with >1 element become Parameters, the rest buffers."""
        used = {x for node in self.nodes for x in node.inputs if x in consts}
        used |= {o for o in self.output_names if o in consts}
        self.params = nn.ParameterDict()
        self._const_key: dict[str, str] = {}
        for i, name in enumerate(sorted(used)):
            key, value = f"c{i}", consts[name]
            if value.is_floating_point() and value.numel() > 1:
                self.params[key] = nn.Parameter(value.float().clone())
            else:
                self.register_buffer(key, value.clone(), persistent=True)
            self._const_key[name] = key
        self._last_use: dict[str, int] = {}
        for i, node in enumerate(self.nodes):
            for x in node.inputs:
                self._last_use[x] = i

    def _value(self, name: str) -> torch.Tensor:
        key = self._const_key[name]
        return self.params[key] if key in self.params else getattr(self, key)

    def run(self, feeds: Mapping[str, torch.Tensor], outputs: Iterable[str] | None = None,
            norm_stats: dict[str, tuple[torch.Tensor, torch.Tensor]] | None = None) -> dict[str, torch.Tensor]:
        """Evaluate the graph on `feeds` (graph-input name -> tensor); return the named values (default: outputs).

        norm_stats: for fused instance norms. An empty dict is filled with each one's per-channel (mean, var)
        of this input, (B, C, 1, 1) each; a filled dict replaces the per-image statistics with those (fixed
        statistics, as batch norm at inference: what instance norm is compared against, Ulyanov et al.)."""
        wanted = tuple(outputs) if outputs is not None else self.output_names
        missing = [n for n in self.input_names if n not in feeds]
        if missing:
            raise EngineError(f"{self.file_name}: input {missing[0]!r} was not given")
        env: dict[str, torch.Tensor] = dict(feeds)
        keep, fq, partial = set(wanted), self.fake_quant, outputs is not None
        for i, node in enumerate(self.nodes):
            xs = [env[x] if x in env else self._value(x) if x else None for x in node.inputs]
            try:
                if norm_stats is not None and node.op == "_InstanceNorm":
                    env[node.outputs[0]] = _stats_norm(xs, node, norm_stats)
                else:
                    env[node.outputs[0]] = OPS[node.op](xs, node.attrs, node.static, fq)
            except (RuntimeError, ValueError, IndexError, TypeError) as exc:
                raise EngineError(f"{self.file_name}: {node.op} node {node.name!r} failed: {exc}") from exc
            for x in node.inputs:
                if self._last_use.get(x) == i and x not in keep and x in env:
                    del env[x]
            if partial and all(w in env for w in wanted):
                break
        return {w: env[w] if w in env else self._value(w) for w in wanted}

    def forward(self, *args: torch.Tensor, **kwargs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        feeds = dict(zip(self.input_names, args)) | kwargs
        out = self.run(feeds)
        return tuple(out[n] for n in self.output_names)


def _stats_norm(xs: list, node: Node, stats: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    """Instance norm with recorded statistics (see OnnxNet.run's norm_stats); records them when missing."""
    x = xs[0]
    if node.name not in stats:
        var, mean = torch.var_mean(x, dim=(2, 3), keepdim=True, correction=0)
        stats[node.name] = (mean.detach(), var.detach())
    mean, var = stats[node.name]
    y = (x - mean) * torch.rsqrt(var + float(node.attrs["epsilon"]))
    if len(xs) == 3:
        c = x.shape[1]
        y = y * xs[1].reshape(1, c, 1, 1) + xs[2].reshape(1, c, 1, 1)
    return y


def load_onnx(path: str | Path, fake_quant: bool = True, limit: int | None = None, fuse: bool = True) -> OnnxNet:
    """Read, validate and import an .onnx file; every failure is an EngineError naming the file.
    fuse: rewrite written-out instance norms into one op (onnx_fuse)."""
    path = Path(path)
    model = read_model(path, limit)
    return OnnxNet(model, path.name, fake_quant=fake_quant, fuse=fuse)


def import_model(model, name: str, fake_quant: bool = True, limit: int | None = None) -> OnnxNet:
    """Import an in-memory onnx.ModelProto (validated like a file)."""
    validate(model, name, limit)
    return OnnxNet(model, name, fake_quant=fake_quant)


__all__ = ["OnnxNet", "load_onnx", "import_model"]

"""Graph rewrites after constant folding: instance norm written out in elementwise ops becomes one op.

Exporters spell instance norm as ReduceMean -> Sub -> Pow(2) -> ReduceMean -> Add(eps) -> Sqrt ->
Div(1, .) -> Mul (eight passes over the tensor); an optional Mul(gamma) -> Add(beta) follows. The
rewrite runs `F.instance_norm` instead (one fused kernel, affine included when gamma and beta are
per-channel). Only chains whose intermediate values nothing else reads are rewritten.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

import numpy as np
import torch

from engines.importers.onnx_ops import Node


def _scalar(name: str, consts: Mapping[str, torch.Tensor]) -> float | None:
    t = consts.get(name)
    return float(t.reshape(-1)[0]) if t is not None and t.numel() == 1 else None


def _spatial_mean(node: Node | None) -> bool:
    if node is None or node.op != "ReduceMean" or not node.attrs.get("keepdims", 1):
        return False
    axes = node.static.get(1) if node.static.get(1) is not None else node.attrs.get("axes")
    return axes is not None and sorted(int(a) for a in np.asarray(axes).reshape(-1)) in ([2, 3], [-2, -1])


def fuse_instance_norm(nodes: tuple[Node, ...], consts: Mapping[str, torch.Tensor],
                       outputs: tuple[str, ...]) -> tuple[Node, ...]:
    """Return `nodes` with every written-out instance norm replaced by one `_InstanceNorm` node."""
    made = {n.outputs[0]: n for n in nodes}
    uses = Counter(x for n in nodes for x in n.inputs) + Counter(outputs)
    drop: set[int] = set()
    replace: dict[int, Node] = {}
    for i, mul in enumerate(nodes):
        if mul.op != "Mul" or len(mul.inputs) != 2:
            continue
        d, r = (made.get(x) for x in mul.inputs)
        if d is None or r is None or d.op != "Sub" or r.op != "Div":
            continue
        c, m = d.inputs
        mean, s = made.get(m), made.get(r.inputs[1])
        ve = made.get(s.inputs[0]) if s is not None and s.op == "Sqrt" else None
        v = made.get(ve.inputs[0]) if ve is not None and ve.op == "Add" else None
        d2 = made.get(v.inputs[0]) if _spatial_mean(v) else None
        if not (_spatial_mean(mean) and mean.inputs[0] == c and d2 is not None and d2.op == "Pow"
                and d2.inputs[0] == d.outputs[0] and _scalar(d2.inputs[1], consts) == 2.0
                and _scalar(r.inputs[0], consts) == 1.0 and _scalar(ve.inputs[1], consts) is not None):
            continue
        chain = (mean, d, d2, v, ve, s, r)
        if any(uses[n.outputs[0]] != (2 if n is d else 1) for n in chain):
            continue
        eps = _scalar(ve.inputs[1], consts)
        fused = Node("_InstanceNorm", mul.name, (c,), mul.outputs, {"epsilon": eps}, {})
        last = i
        scale = next((j for j, n in enumerate(nodes) if n.op == "Mul" and mul.outputs[0] in n.inputs), None)
        if scale is not None and uses[mul.outputs[0]] == 1:
            g = next(x for x in nodes[scale].inputs if x != mul.outputs[0])
            shift = next((j for j, n in enumerate(nodes) if n.op == "Add" and nodes[scale].outputs[0] in n.inputs),
                         None)
            if shift is not None and uses[nodes[scale].outputs[0]] == 1 and g != c:
                b = next(x for x in nodes[shift].inputs if x != nodes[scale].outputs[0])
                fused = Node("_InstanceNorm", mul.name, (c, g, b), nodes[shift].outputs, {"epsilon": eps}, {})
                drop |= {scale, i}
                last = shift
        index = {id(n): j for j, n in enumerate(nodes)}
        drop |= {index[id(n)] for n in chain}
        replace[last] = fused
        drop.discard(last)
    return tuple(replace.get(j, n) for j, n in enumerate(nodes) if j not in drop)

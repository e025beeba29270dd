"""What a Darknet cfg declares, checked before a single tensor is allocated.

A 171-byte cfg can declare a 4 GB convolution, `width=height=20000` a 6 GB activation. This walks the
sections with the same shape rules as DarknetNet, counts parameters and the activation memory of one
forward pass (batch 1, float32, every layer's output kept: the routes may read any of them), validates
sizes, and refuses past a budget derived from the memory available now.
"""

from __future__ import annotations

import os

from engines.base import EngineError

MAX_SIDE = 4096  # px: [net] width/height
MAX_FILTERS = 16384
MAX_KERNEL = 15


def available_bytes() -> int:
    """Memory available to this process now (Linux MemAvailable; else physical memory; else 8 GiB)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 8 << 30


def budget_bytes() -> int:
    """What one model may declare (parameters + one forward): half of what is available, at most 8 GiB."""
    return min(available_bytes() // 2, 8 << 30)


def _positive(sec, key: str, default: int | None, limit: int) -> int:
    value = sec.int(key, default)
    if not 0 < value <= limit:
        raise EngineError(f"cfg line {sec.line}: [{sec.kind}] {key}={value} must be in 1..{limit}")
    return value


def declared_bytes(sections: list) -> tuple[int, int]:
    """(parameter bytes, activation bytes) of the network the sections declare (float32, batch 1)."""
    net = sections[0]
    h, w = _positive(net, "height", 416, MAX_SIDE), _positive(net, "width", 416, MAX_SIDE)
    c = _positive(net, "channels", 3, 64)
    shapes: list[tuple[int, int, int]] = []
    params = acts = 0
    for i, sec in enumerate(sections[1:]):
        if sec.kind == "convolutional":
            size = _positive(sec, "size", 1, MAX_KERNEL)
            filters = _positive(sec, "filters", None, MAX_FILTERS)
            stride = _positive(sec, "stride", 1, 64)
            groups = _positive(sec, "groups", 1, MAX_FILTERS)
            pad = size // 2 if sec.int("pad", 0) else sec.int("padding", 0)
            if pad < 0:
                raise EngineError(f"cfg line {sec.line}: padding must not be negative")
            params += filters * (c // groups) * size * size + 4 * filters
            h, w, c = (h + 2 * pad - size) // stride + 1, (w + 2 * pad - size) // stride + 1, filters
        elif sec.kind == "maxpool":
            stride = _positive(sec, "stride", 2, 64)
            _positive(sec, "size", 2, MAX_KERNEL)
            h, w = -(-h // stride), -(-w // stride)
        elif sec.kind == "route":
            links = [v if v >= 0 else i + v for v in sec.ints("layers")]
            if not links or any(not 0 <= j < i for j in links):
                raise EngineError(f"cfg line {sec.line}: route points outside the network")
            h, w = shapes[links[0]][1:]
            c = sum(shapes[j][0] for j in links)
        elif sec.kind == "upsample":
            stride = _positive(sec, "stride", 2, 16)
            h, w = h * stride, w * stride
        elif sec.kind == "reorg":
            stride = _positive(sec, "stride", 2, 16)
            h, w, c = h // stride, w // stride, c * stride * stride
        if h < 1 or w < 1:
            raise EngineError(f"cfg line {sec.line}: the feature map shrinks to nothing ({h}x{w})")
        shapes.append((c, h, w))
        acts += c * h * w
    return 4 * params, 4 * acts


def check_budget(sections: list, name: str, limit: int | None = None) -> None:
    """EngineError when the declared parameters + one forward pass exceed `limit` bytes (default budget_bytes())."""
    if not sections or sections[0].kind not in ("net", "network"):
        raise EngineError(f"{name} does not start with a [net] section")
    params, acts = declared_bytes(sections)
    limit = budget_bytes() if limit is None else limit
    if params + acts > limit:
        raise EngineError(f"{name} declares {params / 2**20:,.0f} MiB of weights and {acts / 2**20:,.0f} MiB of "
                          f"activations; the limit here is {limit / 2**20:,.0f} MiB")

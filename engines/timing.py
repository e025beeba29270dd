"""Timing helpers shared by every benchmark (engines.bench and each paper's bench module)."""

from __future__ import annotations

import time
from collections.abc import Callable


def time_calls(fn: Callable[[], object], rounds: int, warmup: int = 2) -> list[float]:
    """Milliseconds per call of `fn`, after `warmup` untimed calls."""
    return alternate({"fn": fn}, rounds, warmup)["fn"]


def alternate(fns: dict[str, Callable[[], object]], rounds: int, warmup: int = 3) -> dict[str, list[float]]:
    """Run each fn once per round, in rotation (A B A B ...), so all see the same machine load; ms per call."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(rounds):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - t0) * 1000)
    return times

"""Two models on the same frame (the compare view): model B runs beside model A on a helper thread, so on a
machine with a core to spare each side keeps close to its own speed.

PairRunner lives on a live worker: commands (run between frames on that worker) set or clear engine B;
`run` gives A's result alone, or a PairResult when B is set.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PairResult:
    """Both sides' results for one frame; ms_a / ms_b: each model's own time (ms); label_b: B's model name."""

    a: Any
    b: Any
    ms_a: float
    ms_b: float
    label_b: str


class PairRunner:
    """Runs model A (and, when set, model B beside it) on each frame. Worker thread only."""

    def __init__(self) -> None:
        self.engine_b: Any = None
        self.label_b = ""
        self._pool: ThreadPoolExecutor | None = None

    def set_b(self, engine: Any, label: str) -> None:
        self.engine_b, self.label_b = engine, label
        if engine is not None and self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="compare-b")

    def clear_b(self) -> None:
        self.engine_b = None
        self.close()

    def run(self, run: Callable[[Any, Any], Any], engine: Any, frame: Any) -> Any:
        """run(engine, frame) for A; with B set, B starts first on the helper thread and both are timed."""
        engine_b, pool = self.engine_b, self._pool
        if engine_b is None or pool is None:
            return run(engine, frame)

        def timed(e: Any) -> tuple[Any, float]:
            t0 = time.perf_counter()
            out = run(e, frame)
            return out, (time.perf_counter() - t0) * 1000

        future = pool.submit(timed, engine_b)
        a, ms_a = timed(engine)
        b, ms_b = future.result()
        return PairResult(a, b, ms_a, ms_b, self.label_b)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

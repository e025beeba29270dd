"""Two models on the same frame (the compare view): model B runs beside model A, so on a machine with a
core to spare each side keeps close to its own speed.

PairRunner lives on a live worker: commands (run between frames on that worker) set or clear engine B;
`run` gives A's result alone, or a PairResult when B is set. B is called from a helper thread; the compare view
gives it a ProcessEngine (engines.engine_process), so B computes in its own process and interpreter, and the
helper thread only sends the frame and waits. While a ProcessEngine loads, frames show A alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from engines.base import EngineError


@dataclass(frozen=True)
class PairResult:
    """Both sides' results for one frame; ms_a / ms_b: each model's own time (ms; for a ProcessEngine, from
    sending the frame to its result being ready); label_b: B's model name."""

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
        """Model B from now on (an engine, or a ProcessEngine that may still be loading); ends the old B."""
        old, self.engine_b, self.label_b = self.engine_b, engine, label
        if old is not None and old is not engine and hasattr(old, "close"):
            old.close()
        if engine is not None and self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix="compare-b")

    def clear_b(self) -> None:
        self.close()

    def run(self, run: Callable[[Any, Any], Any], engine: Any, frame: Any) -> Any:
        """run(engine, frame) for A; with B set, B starts first on the helper thread and both are timed."""
        engine_b, pool = self.engine_b, self._pool
        if engine_b is None or pool is None or not self._b_ready(engine_b):
            return run(engine, frame)

        def timed(e: Any) -> tuple[Any, float]:
            t0 = time.perf_counter()
            out = run(e, frame)
            return out, getattr(e, "last_ms", None) or (time.perf_counter() - t0) * 1000

        future = pool.submit(timed, engine_b)
        a, ms_a = timed(engine)
        b, ms_b = future.result()
        return PairResult(a, b, ms_a, ms_b, self.label_b)

    def _b_ready(self, engine_b: Any) -> bool:
        """False while B still loads; a B that failed to load is dropped with an EngineError (a notice)."""
        ready = getattr(engine_b, "ready", None)
        try:
            return ready is None or ready()
        except EngineError as exc:
            self.clear_b()
            raise EngineError(f"Could not load {self.label_b} to compare: {exc}") from None

    def close(self) -> None:
        """No model B any more: the helper thread stops and a ProcessEngine's child ends."""
        engine, self.engine_b = self.engine_b, None
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        if hasattr(engine, "close"):
            engine.close()

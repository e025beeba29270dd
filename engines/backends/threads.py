"""Thread counts under load: does a backend at N threads keep up with 1 thread when every core is busy?

busy_load(n) starts n processes that each spin one core (the "one busy process per core" load); under_load
times a set of callables in alternation inside it. Used by the bench (--load) and to choose the defaults.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator

from engines.timing import alternate

SPIN = "while True: pass"


@contextlib.contextmanager
def busy_load(processes: int | None = None) -> Iterator[int]:
    """Run `processes` (default: one per core) Python processes spinning one core each during the block."""
    n = processes if processes is not None else (os.cpu_count() or 1)
    procs = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(n)]
    try:
        time.sleep(0.5)  # let them reach full speed
        yield n
    finally:
        for p in procs:
            p.kill()
            p.wait(5)


def under_load(fns: dict[str, Callable[[], object]], rounds: int,
               processes: int | None = None) -> dict[str, list[float]]:
    """ms per call of each fn, alternated, while `processes` busy processes run."""
    with busy_load(processes):
        return alternate(fns, rounds, warmup=2)

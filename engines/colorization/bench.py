"""Timings of the colorization engine for `python -m engines.bench` (CPU, 1 torch thread by default).

Records: colorization.infer256 (ColorizationEngine.infer on a 256x256 frame: Lab conversion, the
global net at global_size, the local path at 256, chroma upsampling, back to BGR) and
colorization.infer640x480 (a VGA camera frame: the net still runs at 256 on the longer side).
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

from engines.colorization.engine import SHIPPED_WEIGHTS
from engines.timing import time_calls as _times


def _engine(weights: Path | None):  # noqa: ANN202
    from engines.colorization.engine import ColorizationEngine

    eng = ColorizationEngine()
    if weights is not None and Path(weights).is_file():
        eng.load(weights)
        return eng, Path(weights).name
    # No weights shipped: time a freshly initialised CPU-width net (same shapes, same cost).
    from engines.colorization.config import ColorizationConfig
    from engines.colorization.model import LetThereBeColorNet

    eng.config = ColorizationConfig.cpu(global_size=128)
    eng._model = LetThereBeColorNet(eng.config).eval()  # noqa: SLF001
    return eng, "random-init width 0.25"


def bench_records(threads: int = 1, rounds: int = 20, weights: Path | None = SHIPPED_WEIGHTS,
                  backends: bool = True, backend_threads: tuple[int, ...] = (1, 2)) -> list[dict]:
    """Median ms / FPS of `infer` on a 256x256 and a 640x480 frame (CPU, `threads` torch threads); then the
    network at 256 on every CPU backend at each of `backend_threads` (bench_backends), with shipped weights."""
    if backends and weights is not None and Path(weights).is_file():
        from engines.colorization.bench_backends import backend_records, engine_records

        return (_engine_records(threads, rounds, weights) + backend_records(backend_threads, rounds)
                + engine_records(backend_threads, rounds))
    return _engine_records(threads, rounds, weights)


def _engine_records(threads: int, rounds: int, weights: Path | None) -> list[dict]:
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        eng, label = _engine(weights)
        torch.set_num_threads(threads)  # load() set the app's default (cores-1)
        rng = np.random.default_rng(0)
        records = []
        for name, (h, w) in (
            ("colorization.infer256", (256, 256)),
            ("colorization.infer640x480", (480, 640)),
        ):
            frame = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
            ms = _times(lambda f=frame: eng.infer(f), rounds)
            med = statistics.median(ms)
            records.append(
                {
                    "name": name,
                    "device": "cpu",
                    "threads": threads,
                    "median_ms": round(med, 2),
                    "p90_ms": round(float(np.percentile(ms, 90)), 2),
                    "fps": round(1000.0 / med, 1),
                    "input": f"{w}x{h}",
                    "net_size": eng.config.infer_size,
                    "weights": label,
                }
            )
        return records
    finally:
        torch.set_num_threads(old)


if __name__ == "__main__":
    for r in bench_records():
        print(r)

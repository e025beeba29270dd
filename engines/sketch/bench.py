"""Timings of the sketch engine for `python -m engines.bench` (CPU, 1 torch thread by default).

Records: sketch.sample250 (one drawing, exactly 250 decoder steps, batch 1) and
sketch.complete6 (six completions of a 20-point prefix, 250 steps, one batched call).
"""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np

from engines.timing import time_calls as _times

SHIPPED = Path(__file__).resolve().parents[2] / "assets" / "weights" / "sketch_kanji.pt"


def _engine(weights: Path | None):  # noqa: ANN202
    from engines.sketch.engine import SketchEngine

    eng = SketchEngine()
    if weights is not None and weights.is_file():
        eng.load(weights)
        return eng, weights.name
    # No shipped weights: time a freshly initialised small VAE (same shapes, same cost per step).
    from engines.sketch.config import SketchRNNConfig
    from engines.sketch.model import SketchRNN

    eng.model = SketchRNN(SketchRNNConfig()).eval()
    eng.scale_factor, eng.origin, eng.canvas_size = 20.0, (54.5, 54.5), 109.0
    return eng, "random-init enc128/dec256/Nz64"


def bench_records(threads: int = 1, rounds: int = 15, weights: Path | None = SHIPPED) -> list[dict]:
    """Median ms of a 250-step sample and of six completions in one batched call (CPU)."""
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        eng, label = _engine(weights)
        torch.set_num_threads(threads)  # load() set the app's default (cores-1)
        rng = np.random.default_rng(0)
        z = rng.standard_normal((1, eng.config.z_size)).astype(np.float32) if eng.conditional else None
        prefix = eng.sample(1, 0.5, 20, seed=1)[0].strokes

        def sample250() -> None:
            eng._generate(np.zeros((1, 0, 5), np.float32), z, 250, 0.5, rng, until_end=False)  # noqa: SLF001

        def complete6() -> None:
            eng.complete(prefix, 6, 0.5, 250, seed=2)

        def complete6_full() -> None:
            p = eng._normalise(prefix)  # noqa: SLF001
            zs = None if z is None else np.repeat(z, 6, axis=0)
            eng._generate(np.repeat(p[None], 6, axis=0), zs, 250, 0.5, rng, until_end=False)  # noqa: SLF001

        out = []
        for name, fn, extra in (
            ("sketch.sample250", sample250, {"batch": 1, "steps": 250}),
            ("sketch.complete6", complete6, {"batch": 6, "steps": "until all end (<=250)"}),
            ("sketch.complete6_250", complete6_full, {"batch": 6, "steps": 250}),
        ):
            ts = _times(fn, rounds)
            out.append(
                {
                    "name": name,
                    "device": "cpu",
                    "threads": threads,
                    "median_ms": round(statistics.median(ts), 2),
                    "min_ms": round(min(ts), 2),
                    "rounds": rounds,
                    "weights": label,
                    **extra,
                }
            )
        return out
    finally:
        torch.set_num_threads(old)


if __name__ == "__main__":
    import json

    for r in bench_records():
        print(json.dumps(r))

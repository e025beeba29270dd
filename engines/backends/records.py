"""Bench records shared by every paper's backend bench: one per (model, backend, precision, threads)."""

from __future__ import annotations

import os
import statistics
from collections.abc import Mapping, Sequence

Record = dict
RECORD_KEYS = ("name", "backend", "precision", "threads", "median_ms", "ratio_vs_opencv", "ratio_vs_torch",
               "agreement", "load_avg")


def load_avg() -> float:
    """The 1-minute load average (0.0 where the OS has none)."""
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return 0.0


def make_record(name: str, backend: str, precision: str, threads: int, times_ms: Sequence[float],
                reference_ms: Mapping[str, float], agreement: float | None, load: Sequence[float],
                **extra) -> Record:
    """One bench record (RECORD_KEYS first); ratios > 1 mean faster than OpenCV / our torch engine."""
    med = statistics.median(times_ms)
    ratio = {k: (round(v / med, 3) if v else None) for k, v in reference_ms.items()}
    rec = {"name": name, "backend": backend, "precision": precision, "threads": threads,
           "median_ms": round(med, 2), "ratio_vs_opencv": ratio.get("opencv"), "ratio_vs_torch": ratio.get("torch"),
           "agreement": None if agreement is None else round(agreement, 4),
           "load_avg": [round(x, 2) for x in load], "rounds": len(times_ms)}
    rec.update(extra)
    return rec

"""`python -m engines.compare_bench`: does the compare view keep each model's own speed?

For each pair (model A, model B) the same frames run three ways, alternated in rounds so that all three see
the same machine load: A alone, B alone, and both through engines.compare.PairRunner (B on its helper thread
beside A), as the live worker runs them. One record per pair: each side's median ms alone and in the pair,
their ratios (issue 16's bar: each side within 10% of its own speed, >= 0.9, "when the CPU allows": a free
core per side) and the pair's frame time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engines.compare import PairRunner

ROOT = Path(__file__).resolve().parents[1]


def _detection() -> tuple[str, str, Any, Any, Callable]:
    from engines.detection.engine import DarknetWeights, DetectionEngine

    a, b = DetectionEngine(), DetectionEngine()
    a.load(None, "auto")
    b.load(DarknetWeights.shipped_yolov2(), "auto")
    return f"YOLOv3-tiny ({a.device})", f"YOLOv2 street ({b.device})", a, b, lambda e, im: e.infer(im)


def _pose() -> tuple[str, str, Any, Any, Callable]:
    from engines.pose.engine import PoseEngine

    a, b = PoseEngine(), PoseEngine()
    a.load(None, "cpu", detector_device="auto")
    b.load(ROOT / "assets" / "weights" / "pose_hourglass.pt", "cpu", detector_device="auto")
    return "BlazePose", "Stacked Hourglass student", a, b, lambda e, im: e.infer(im, max_people=1)


PAIRS: dict[str, Callable[[], tuple[str, str, Any, Any, Callable]]] = {"detection": _detection, "pose": _pose}


def pair_record(key: str, frames: list, rounds: int, per_round: int) -> dict:
    """A alone, B alone and the pair on `per_round` frames each, `rounds` times alternated."""
    label_a, label_b, a, b, run = PAIRS[key]()
    runner = PairRunner()
    runner.set_b(b, label_b)
    alone_a, alone_b, pair_a, pair_b, pair_frame = [], [], [], [], []

    def timed(fn: Callable[[], Any]) -> float:
        t0 = time.perf_counter()
        fn()
        return (time.perf_counter() - t0) * 1000

    for im in frames[:3]:  # warm-up
        run(a, im), run(b, im), runner.run(run, a, im)
    load_before = os.getloadavg()[0]
    for r in range(rounds):
        chunk = [frames[(r * per_round + i) % len(frames)] for i in range(per_round)]
        alone_a += [timed(lambda im=im: run(a, im)) for im in chunk]
        alone_b += [timed(lambda im=im: run(b, im)) for im in chunk]
        for im in chunk:
            t0 = time.perf_counter()
            pair = runner.run(run, a, im)
            pair_frame.append((time.perf_counter() - t0) * 1000)
            pair_a.append(pair.ms_a)
            pair_b.append(pair.ms_b)
    runner.close()
    med = statistics.median
    return {"name": f"compare.{key}", "a": label_a, "b": label_b,
            "a_alone_ms": round(med(alone_a), 2), "a_in_pair_ms": round(med(pair_a), 2),
            "b_alone_ms": round(med(alone_b), 2), "b_in_pair_ms": round(med(pair_b), 2),
            "a_speed_in_pair": round(med(alone_a) / med(pair_a), 3),
            "b_speed_in_pair": round(med(alone_b) / med(pair_b), 3),
            "pair_frame_ms": round(med(pair_frame), 2), "frames_per_side": len(pair_a),
            "cores": os.cpu_count(), "load_avg": [round(load_before, 2), round(os.getloadavg()[0], 2)]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m engines.compare_bench", description=__doc__.splitlines()[0])
    p.add_argument("--only", choices=list(PAIRS), action="append", help="one pair (repeatable); default: all")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--per-round", type=int, default=10, help="frames per side per round")
    p.add_argument("--threads", type=int, default=1, help="torch and backend threads per model")
    p.add_argument("--json", type=Path, help="also write the records here")
    args = p.parse_args(argv)
    os.environ["PAPERZOO_BACKEND_THREADS"] = str(args.threads)
    import torch

    from engines.backends.frames import demo_frames

    torch.set_num_threads(args.threads)
    frames = demo_frames(24, step=10)
    records = []
    for key in args.only or list(PAIRS):
        records.append(pair_record(key, frames, args.rounds, args.per_round))
        print(json.dumps(records[-1]), flush=True)
    if args.json:
        args.json.write_text(json.dumps(records, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

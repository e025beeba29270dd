"""`python -m engines.bench --json OUT.json`: every registered paper's benchmark, one record per line.

CPU backend records (one per model, backend, precision, threads) carry name, backend, precision, threads,
median_ms, ratio_vs_opencv, ratio_vs_torch, agreement and load_avg (see engines/detection/bench_backends.py).

Each paper's bench module (PaperInfo.bench) offers bench_records(**options) -> list of records
{name, device, median_ms, ...}; options it does not take are not passed. Competing implementations
are timed in alternation in one process (engines.timing.alternate) and reported with their ratio.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import sys
from pathlib import Path
from typing import Any

from engines.registry import default_registry

Record = dict


def paper_records(keys: list[str] | None = None, **options: Any) -> list[Record]:
    """The records of each paper's bench module (all papers by default); a failing paper gives an error record."""
    out: list[Record] = []
    for info in default_registry():
        if not info.bench or (keys and info.key not in keys):
            continue
        try:
            fn = importlib.import_module(info.bench).bench_records
            out.extend(fn(**_accepted(fn, options)))
        except Exception as exc:  # one paper's missing asset must not hide the others' numbers
            out.append({"name": info.key, "device": "cpu", "median_ms": None, "error": f"{type(exc).__name__}: {exc}"})
    return out


def _accepted(fn: Any, options: dict[str, Any]) -> dict[str, Any]:
    """The options `fn` takes (None: keep its default); a thread tuple becomes its first entry for an int parameter."""
    params = inspect.signature(fn).parameters
    out = {}
    for k, v in options.items():
        if k in params and v is not None:
            out[k] = v[0] if isinstance(v, tuple) and isinstance(params[k].default, int) else v
    return out


def main(argv: list[str] | None = None) -> int:
    keys = default_registry().keys()
    p = argparse.ArgumentParser(prog="python -m engines.bench")
    p.add_argument("--json", type=Path, help="write the records here")
    p.add_argument("--only", choices=keys, action="append", help="one paper (repeatable); default: all")
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    p.add_argument("--rounds", type=int, default=None, help="default: each paper's own")
    p.add_argument("--seconds", type=float, default=20.0, help="detection's live-pipeline run length")
    p.add_argument("--no-pipeline", action="store_true", help="skip detection's live-pipeline runs")
    p.add_argument("--feed-fps", type=float, default=30.0,
                   help="the demo clip's rate into the live pipeline (a webcam: 30; above the engine's speed to "
                        "measure the pipeline's own cost)")
    p.add_argument("--compile", action="store_true", help="also time torch.compile (first call ~30-40 s)")
    p.add_argument("--no-backends", action="store_true", help="skip the OpenVINO/onnxruntime CPU backends")
    p.add_argument("--load", action="store_true", help="also time the backends under one busy process per core")
    args = p.parse_args(argv)
    records = paper_records(args.only, threads=tuple(args.threads), rounds=args.rounds, seconds=args.seconds,
                            compile_=args.compile, pipeline=not args.no_pipeline, backends=not args.no_backends,
                            backend_threads=tuple(args.threads), load=args.load, feed_fps=args.feed_fps)
    for r in records:
        print(json.dumps(r), file=sys.stdout, flush=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(records, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""The `train` command every paper's cli.py offers: the panel's recipe, headless, also under torchrun.

    python -m engines.<paper>.cli train [--minutes M] [--resume RUN/last.pt] [--run-dir D] [--device cpu]
                                        [--json OUT] [--<config-field> VALUE ...]
    paperzoo train PAPER --steps N      (the panel's defaults, N steps)
    torchrun --nproc_per_node=2 -m engines.<paper>.cli train ...

Every field of the recipe's config dataclass is a flag (`batch_size` -> `--batch-size`).
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from engines.base import EngineError, Preparing, TrainStep
from engines.progress import TextBar
from engines.runs import discard_if_empty
from engines.training import TrainingRecipe, load_checkpoint, resume_run_dir, run_settings


def _flag_type(default: Any) -> Callable[[str], Any]:
    if isinstance(default, bool):
        return lambda s: s.lower() in ("1", "true", "yes", "on")
    if isinstance(default, (int, float, str)):
        return type(default)
    return str


def add_config_flags(ap: argparse.ArgumentParser, config_type: type) -> None:
    """One --flag per dataclass field, default None (= keep the config's default)."""
    for f in dataclasses.fields(config_type):
        default = f.default if f.default is not dataclasses.MISSING else None
        ap.add_argument("--" + f.name.replace("_", "-"), dest=f.name, type=_flag_type(default), default=None,
                        help=f"(default {default!r})")


def config_from_args(args: argparse.Namespace, config_type: type, base: dict[str, Any] | None = None) -> Any:
    """The settings the flags give; flags left out keep `base`'s values (a resumed run's own settings) or else
    the config's defaults."""
    names = [f.name for f in dataclasses.fields(config_type)]
    values = {k: v for k, v in (base or {}).items() if k in names}
    values.update({k: getattr(args, k) for k in names if getattr(args, k, None) is not None})
    return config_type(**values)


def add_train_parser(sub: Any, recipe: TrainingRecipe, exports: tuple[str, ...] = ()) -> argparse.ArgumentParser:
    """Add the `train` subcommand for `recipe` to an argparse subparsers object.

    exports: files the run writes in its folder (e.g. "sketch.pt"); --export DEST copies them at the end
    (one file: to DEST; several: to DEST with each file's suffix, e.g. STEM.cfg/.weights/.names).
    """
    ap = sub.add_parser("train", help=f"train {recipe.title} headless (the training panel's loop)")
    if exports:
        dest = "FILE" if len(exports) == 1 else "STEM"
        ap.add_argument("--export", type=Path, metavar=dest, help=f"also copy the run's {', '.join(exports)} here")
    ap.set_defaults(exports=exports)
    ap.add_argument("--resume", help="a checkpoint (last.pt) to continue from; flags left out keep its settings")
    ap.add_argument("--minutes", type=float, default=0.0, help="stop (with a checkpoint) after this many minutes")
    ap.add_argument("--run-dir", help="output folder (default: a new one in the user data dir)")
    ap.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: the runtime's default)")
    ap.add_argument("--json", type=Path, metavar="OUT", help="write a summary: steps, losses, metrics, run folder")
    add_config_flags(ap, recipe.config_type)
    return ap


def train_main(recipe: TrainingRecipe, args: argparse.Namespace) -> tuple[int, Path | None]:
    """Run recipe.run with the parsed flags; print a progress bar on rank 0. Returns (exit code, run folder)."""
    import torch

    from engines import distributed
    from engines.runtime import resolve_device, set_cpu_threads

    if args.threads:
        torch.set_num_threads(args.threads)
    else:
        set_cpu_threads()
    try:  # a resumed run keeps its own settings unless a flag changes one (a last.pt kept elsewhere: its own copy)
        base = (run_settings(args.resume) or load_checkpoint(args.resume).get("config")) if args.resume else None
        config = config_from_args(args, recipe.config_type, base if isinstance(base, dict) else None)
    except (EngineError, ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2, None
    rank, world, dist_device = distributed.setup()
    device = dist_device or resolve_device(args.device)
    t0 = time.perf_counter()
    deadline = t0 + args.minutes * 60 if args.minutes > 0 else None
    stop = distributed.synced_stop(lambda: deadline is not None and time.perf_counter() > deadline, world)
    scratch = None
    if rank == 0:
        run_dir = Path(args.run_dir) if args.run_dir else resume_run_dir(args.resume, recipe.paper)
        print(f"run folder: {run_dir} (device {device}, {world} process(es))", file=sys.stderr)
    else:  # other ranks write their (identical) checkpoints somewhere disposable
        run_dir = Path(scratch := tempfile.mkdtemp(prefix=f"{recipe.paper}-rank{rank}-"))
    last: TrainStep | None = None
    bar, prep = TextBar("train"), TextBar("prepare")
    try:
        for item in recipe.run(config, device=device, run_dir=run_dir, stop=stop, resume=args.resume,
                               rank=rank, world=world):
            if isinstance(item, Preparing):
                if rank == 0:
                    prep(item.done, item.total, item.what)
                continue
            last = item
            if rank == 0:
                _report(bar, item, t0)
    except (EngineError, ValueError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        if rank == 0:
            discard_if_empty(run_dir)
        return 2, None
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
        distributed.teardown(world)
    if last is None:
        if rank == 0:
            discard_if_empty(run_dir)
        return 1, None
    ok = not last.message.startswith("stopped:")
    if rank != 0:
        return (0 if ok else 1), None
    print(f"\nstopped at step {last.step}/{last.total_steps} after {(time.perf_counter() - t0) / 60:.1f} min; "
          f"checkpoint {run_dir / 'last.pt'}", file=sys.stderr)
    if ok and getattr(args, "export", None) and not copy_exports(run_dir, args.exports, Path(args.export)):
        ok = False
    if getattr(args, "json", None):
        _write_summary(Path(args.json), recipe, last, run_dir, time.perf_counter() - t0, ok)
    return (0 if ok else 1), run_dir


def _write_summary(path: Path, recipe: TrainingRecipe, last: TrainStep, run_dir: Path, seconds: float,
                   ok: bool) -> None:
    import json
    import math

    finite = all(math.isfinite(v) for v in last.losses.values())
    summary = {"paper": recipe.paper, "ok": ok, "step": last.step, "total_steps": last.total_steps,
               "finite": finite, "losses": dict(last.losses), "metrics": dict(last.metrics),
               "message": last.message, "run_dir": str(run_dir), "seconds": round(seconds, 2),
               "exported": sorted(p.name for p in run_dir.iterdir() if p.suffix in (".pt", ".weights", ".cfg"))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary, indent=2, default=float), encoding="utf-8")


def copy_exports(run_dir: Path, names: tuple[str, ...], dest: Path) -> bool:
    """Copy RUN_DIR/<name> for each name to dest (see add_train_parser); False (and a message) if one is missing."""
    missing = [n for n in names if not (run_dir / n).is_file()]
    if missing:
        print(f"error: the run wrote no {', '.join(missing)} in {run_dir}", file=sys.stderr)
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    targets = [dest] if len(names) == 1 else [dest.with_suffix(Path(n).suffix) for n in names]
    for name, target in zip(names, targets):
        shutil.copyfile(run_dir / name, target)
    print(f"exported {', '.join(str(t) for t in targets)}", file=sys.stderr)
    return True


def _report(bar: TextBar, item: TrainStep, t0: float) -> None:
    elapsed = time.perf_counter() - t0
    eta = elapsed / max(item.step, 1) * (item.total_steps - item.step)
    terms = " ".join(f"{k} {v:.3f}" for k, v in item.losses.items())
    bar(item.step, item.total_steps, f"ep {item.epoch:.1f} {terms} lr {item.lr:.2e} "
             f"ETA {eta / 60:.1f} min")
    if item.evaluated or item.message:
        metrics = " ".join(f"{k} {v:.4f}" for k, v in item.metrics.items())
        print(f"\n  step {item.step}: {metrics} {item.message}".rstrip(), file=sys.stderr, flush=True)

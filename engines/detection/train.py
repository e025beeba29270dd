"""Training YOLOv2 in PaperZoo: the panel's RECIPE and a headless CLI (also under torchrun / DDP).

    python -m engines.detection.train --data DIR [--minutes M] [--resume CKPT] [--export STEM] [--steps N ...]
    torchrun --nproc_per_node=2 -m engines.detection.train --data DIR ...   # DDP: gloo on CPU, nccl on GPU

Every config field is a flag (--batch-size 8, --input-size 320, ...). Each checkpoint is also
exported as Darknet files (RUN_DIR/yolov2.cfg/.weights/.names) that the live detection tab loads.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from engines.base import EngineError, StopFlag, TrainStep
from engines.detection.config import YoloV2TrainConfig
from engines.training import LoopSettings, TrainingRecipe, new_run_dir, run_training


def export_task(task, stem: Path) -> tuple[Path, Path, Path]:
    """Darknet cfg/weights/names of the task's current model (what DetectionEngine loads)."""
    from engines.detection.export import export_darknet

    seen = task.step * task.config.batch_size
    return export_darknet(task.model, list(task.data.names), stem, task.config.input_size, seen)


def run(config: YoloV2TrainConfig, *, device: str = "cpu", run_dir: str | Path | None = None,
        stop: StopFlag = lambda: False, resume: str | Path | None = None, rank: int = 0,
        world: int = 1) -> Iterator[TrainStep]:
    """The panel's entry point: train with engines.training.run_training, exporting at every checkpoint.

    Evaluation (mAP@0.5 on the held-out split) runs every eval_every_epochs epochs and at the end.
    """
    from engines.detection.task import YoloV2TrainTask

    task = YoloV2TrainTask(config, device, rank=rank, world=world)
    settings = LoopSettings(total_steps=config.steps, eval_every=task.steps_per_epoch * config.eval_every_epochs,
                            checkpoint_every=config.checkpoint_every)
    run_dir = Path(run_dir) if run_dir is not None else new_run_dir("detection")
    last: TrainStep | None = None
    for item in run_training(task, settings, run_dir, stop, config, resume):
        if item.checkpoint and rank == 0:
            cfg, _, _ = export_task(task, run_dir / "yolov2")
            item = dataclasses.replace(item, message=(item.message + " " if item.message else "")
                                       + f"exported {cfg.with_suffix('.weights').name}")
        last = item
        yield item
    if rank == 0 and last is not None and last.checkpoint is None and "NaN" not in last.message:
        export_task(task, run_dir / "yolov2")  # a stop's checkpoint is written after the last yield


RECIPE = TrainingRecipe(paper="detection", title="YOLOv2", config_type=YoloV2TrainConfig, run=run)


# ---------------------------------------------------------------- headless CLI


def _add_config_flags(ap: argparse.ArgumentParser) -> None:
    for f in dataclasses.fields(YoloV2TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        kind = type(f.default)
        if kind is bool:
            ap.add_argument(flag, type=lambda s: s.lower() in ("1", "true", "yes"), default=None)
        else:
            ap.add_argument(flag, type=kind, default=None, help=f"(default {f.default!r})")


def _distributed() -> tuple[int, int, str | None]:
    """(rank, world, device) from torchrun's environment; initialises the process group when world > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, None
    import torch
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    dist.init_process_group("nccl" if cuda else "gloo")
    if cuda:
        torch.cuda.set_device(local)
    return dist.get_rank(), world, (f"cuda:{local}" if cuda else "cpu")


def synced_stop(local: Callable[[], bool], world: int) -> StopFlag:
    """A stop flag every rank agrees on (any rank wanting to stop stops all): one all_reduce per call."""
    if world <= 1:
        return local

    def stop() -> bool:
        import torch
        import torch.distributed as dist

        flag = torch.tensor([1.0 if local() else 0.0])
        if dist.get_backend() == "nccl":
            flag = flag.cuda()
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item() > 0)

    return stop


def _bar(item: TrainStep, t0: float, start_step: int) -> str:
    frac = item.step / item.total_steps
    done = max(item.step - start_step, 1)
    eta = (time.perf_counter() - t0) / done * (item.total_steps - item.step)
    n = int(24 * frac)
    terms = " ".join(f"{k} {v:.3f}" for k, v in item.losses.items())
    return (f"\r[{'#' * n}{'.' * (24 - n)}] {item.step}/{item.total_steps} ep {item.epoch:.1f} "
            f"{terms} lr {item.lr:.2e} ETA {eta / 60:.1f} min ")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m engines.detection.train", description="Train YOLOv2 (headless).")
    ap.add_argument("--resume", help="a checkpoint (last.pt) to continue from")
    ap.add_argument("--minutes", type=float, default=0.0, help="stop (with a checkpoint) after this many minutes")
    ap.add_argument("--run-dir", help="output folder (default: a new one in the user data dir)")
    ap.add_argument("--export", help="also write the final model as Darknet files STEM.cfg/.weights/.names")
    ap.add_argument("--device", default=None, help="cpu, cuda, mps (default: best available)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: the runtime's default)")
    _add_config_flags(ap)
    args = ap.parse_args(argv)
    import torch

    from engines.runtime import resolve_device, set_cpu_threads

    if args.threads:
        torch.set_num_threads(args.threads)
    else:
        set_cpu_threads()
    overrides = {f.name: getattr(args, f.name) for f in dataclasses.fields(YoloV2TrainConfig)
                 if getattr(args, f.name) is not None}
    try:
        config = YoloV2TrainConfig(**overrides)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rank, world, dist_device = _distributed()
    device = dist_device or resolve_device(args.device)
    t0 = time.perf_counter()
    deadline = t0 + args.minutes * 60 if args.minutes > 0 else None
    stop = synced_stop(lambda: deadline is not None and time.perf_counter() > deadline, world)
    scratch = None
    if rank == 0:
        run_dir = Path(args.run_dir) if args.run_dir else new_run_dir("detection")
    else:  # other ranks write their (identical) checkpoints somewhere disposable
        run_dir = Path(scratch := tempfile.mkdtemp(prefix=f"yolov2-rank{rank}-"))
    if rank == 0:
        print(f"run folder: {run_dir} (device {device}, {world} process(es))", file=sys.stderr)
    last: TrainStep | None = None
    start = None
    try:
        for item in run(config, device=device, run_dir=run_dir, stop=stop, resume=args.resume,
                        rank=rank, world=world):
            start = item.step - 1 if start is None else start
            last = item
            if rank == 0:
                print(_bar(item, t0, start), end="", file=sys.stderr, flush=True)
                if item.evaluated or item.message:
                    metrics = " ".join(f"{k} {v:.4f}" for k, v in item.metrics.items())
                    print(f"\n  step {item.step}: {metrics} {item.message}".rstrip(), file=sys.stderr, flush=True)
    except EngineError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    finally:
        if scratch:
            shutil.rmtree(scratch, ignore_errors=True)
    if rank == 0 and last is not None:
        print(f"\nstopped at step {last.step}/{last.total_steps} after {(time.perf_counter() - t0) / 60:.1f} min; "
              f"checkpoint {run_dir / 'last.pt'}", file=sys.stderr)
        if args.export:
            src = run_dir / "yolov2"
            for suffix in (".cfg", ".weights", ".names"):
                Path(args.export).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(src.with_suffix(suffix), Path(args.export).with_suffix(suffix))
            print(f"exported {args.export}.cfg/.weights/.names", file=sys.stderr)
    if world > 1:
        import torch.distributed as dist

        dist.destroy_process_group()
    return 0 if last is not None and "NaN" not in last.message else 1


if __name__ == "__main__":
    raise SystemExit(main())

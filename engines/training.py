"""The shared training loop: a generator of TrainSteps with atomic checkpoints, resume and a NaN guard.

A paper supplies a TrainTask (one optimisation step, an evaluation, its state); `run_training`
drives it, writes metrics.jsonl + checkpoints into a run folder, and stops cleanly when asked.
Checkpoints hold only tensors and plain Python values, so they load with weights_only=True.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any, Protocol

from engines.base import EngineError, StopFlag, TrainStep

CHECKPOINT_FORMAT = "paperzoo-checkpoint-1"


class TrainTask(Protocol):
    """What a paper gives the loop. `train_step` returns loss terms; the key "loss" is the total."""

    steps_per_epoch: int

    def train_step(self, step: int) -> Mapping[str, float]: ...

    def evaluate(self) -> Mapping[str, float]: ...

    def lr(self) -> float: ...

    def state_dict(self) -> dict[str, Any]: ...

    def load_state_dict(self, state: dict[str, Any]) -> None: ...


@dataclass(frozen=True)
class LoopSettings:
    """total_steps: optimisation steps in the run; eval/checkpoint cadence in steps (0 = only at the end)."""

    total_steps: int
    eval_every: int = 0
    checkpoint_every: int = 0

    def __post_init__(self) -> None:
        if self.total_steps < 1:
            raise ValueError("total_steps must be at least 1")
        if self.eval_every < 0 or self.checkpoint_every < 0:
            raise ValueError("eval_every and checkpoint_every must be >= 0")


def config_dict(config: Any) -> dict[str, Any]:
    return asdict(config) if is_dataclass(config) else dict(config)


def save_checkpoint(path: Path, payload: dict[str, Any]) -> Path:
    """Write a checkpoint atomically: a temp file in the same folder, fsync, then rename over `path`."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            torch.save({"format": CHECKPOINT_FORMAT, **payload}, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Load a checkpoint (weights_only: never unpickles code); raise EngineError with a clear reason."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise EngineError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for damaged files
        raise EngineError(f"{path.name} is damaged or not a PaperZoo checkpoint ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise EngineError(f"{path.name} is not a PaperZoo checkpoint")
    return payload


def _finite(values: Mapping[str, float]) -> bool:
    return all(math.isfinite(float(v)) for v in values.values())


def run_training(
    task: TrainTask,
    settings: LoopSettings,
    run_dir: Path,
    stop: StopFlag,
    config: Any = None,
    resume: str | Path | None = None,
) -> Iterator[TrainStep]:
    """Drive `task` for settings.total_steps, yielding a TrainStep after every step.

    Writes run_dir/metrics.jsonl (one JSON object per step) and run_dir/last.pt. A non-finite loss
    stops the run without checkpointing the bad state; the last good checkpoint stays.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    ckpt = run_dir / "last.pt"
    start = 0
    if resume is not None:
        payload = load_checkpoint(resume)
        task.load_state_dict(payload["task"])
        start = int(payload["step"])
    _drop_logged_after(run_dir / "metrics.jsonl", start)
    if config is not None:
        (run_dir / "config.json").write_text(json.dumps(config_dict(config), indent=2, default=str))
    last_good: str | None = str(resume) if resume is not None else None
    t0 = time.perf_counter()

    def checkpoint(step: int) -> str:
        return str(save_checkpoint(ckpt, {"step": step, "task": task.state_dict(),
                                          "config": config_dict(config) if config is not None else {}}))

    with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as log:
        for step in range(start + 1, settings.total_steps + 1):
            losses = {k: float(v) for k, v in task.train_step(step).items()}
            if not _finite(losses):
                bad = ", ".join(k for k, v in losses.items() if not math.isfinite(v))
                keep = f"the last good checkpoint is {last_good}" if last_good else "no checkpoint was written yet"
                yield TrainStep(step, settings.total_steps, step / task.steps_per_epoch, losses, task.lr(),
                                message=f"stopped: {bad} became NaN/inf at step {step}; {keep}")
                return
            last = step == settings.total_steps
            metrics: dict[str, float] = {}
            evaluated = last or (settings.eval_every > 0 and step % settings.eval_every == 0)
            if evaluated:
                metrics = {k: float(v) for k, v in task.evaluate().items()}
            saved = None
            if last or stop() or (settings.checkpoint_every and step % settings.checkpoint_every == 0):
                saved = last_good = checkpoint(step)
            record = {"step": step, "total_steps": settings.total_steps, "epoch": step / task.steps_per_epoch,
                      "lr": task.lr(),
                      "losses": losses, "metrics": metrics, "seconds": round(time.perf_counter() - t0, 3)}
            log.write(json.dumps(record) + "\n")
            log.flush()
            try:
                yield TrainStep(step, settings.total_steps, record["epoch"], losses, record["lr"], metrics,
                                evaluated, saved)
            except GeneratorExit:  # the consumer closed us: keep this step's state
                if saved is None:
                    checkpoint(step)
                raise
            if stop():
                if saved is None:
                    checkpoint(step)
                return


def _drop_logged_after(log: Path, step: int) -> None:
    """Resuming into the folder of a run that was killed: forget logged steps the checkpoint does not hold."""
    if not log.is_file():
        return
    lines = log.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if line.strip() and json.loads(line).get("step", 0) <= step]
    if len(kept) != len(lines):
        tmp = log.with_suffix(".tmp")
        tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        os.replace(tmp, log)


def resume_run_dir(resume: str | Path | None, paper: str, root: Path | None = None) -> Path:
    """Where a run resumed from `resume` writes: the checkpoint's own run folder when it is one (it holds
    metrics.jsonl, which goes on from the checkpoint's step), else a fresh folder (a new run, or a last.pt kept
    elsewhere)."""
    parent = Path(resume).parent if resume else None
    return parent if parent is not None and (parent / "metrics.jsonl").is_file() else new_run_dir(paper, root)


def run_settings(checkpoint: str | Path) -> dict[str, Any]:
    """The settings a run started with: the config.json that run_training writes beside its last.pt ({} when
    missing or unreadable). Plain JSON, so the GUI thread may read it."""
    try:
        saved = json.loads((Path(checkpoint).parent / "config.json").read_text())
    except (OSError, ValueError):
        return {}
    return saved if isinstance(saved, dict) else {}


def new_run_dir(paper: str, root: Path | None = None) -> Path:
    """A fresh folder for a run: <data dir>/runs/<paper>/<YYYYmmdd-HHMMSS>[-n]."""
    from engines.assets import data_dir

    base = (root or data_dir() / "runs") / paper
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, n = base / stamp, 1
    while path.exists():
        path, n = base / f"{stamp}-{n}", n + 1
    path.mkdir(parents=True)
    return path


@dataclass(frozen=True)
class TrainingRecipe:
    """How the shared training panel trains one paper's model.

    config_type: a frozen dataclass whose fields (with defaults) become the panel's form;
    run(config, device=..., run_dir=..., stop=..., resume=...) -> Iterator[TrainStep] is called on a
    worker thread (it builds the task and usually returns run_training(...)).
    """

    paper: str
    title: str
    config_type: type
    run: Any
    default_config: Any = None

    def defaults(self) -> Any:
        return self.default_config if self.default_config is not None else self.config_type()


class PrepareCancelled(Exception):
    """Raised inside prepare()'s work, at its next progress call, once the run was asked to stop."""


def prepare(what: str, work: Any, stop: StopFlag, poll_s: float = 0.2, join_s: float = 60.0) -> Iterator[Any]:
    """Run `work(progress)` (progress(done, total)) on a helper thread, yielding Preparing notes meanwhile.

    Use as `result = yield from prepare(...)`. Returns work's result, or None when `stop()` turned true first:
    then work's next progress call raises PrepareCancelled and the thread is joined (up to join_s), so no
    half-done thread is left running when the process exits. Re-raises what work raised.
    """
    import queue
    import threading

    from engines.base import Preparing

    notes: queue.Queue = queue.Queue()
    outcome: dict[str, Any] = {}
    cancelled = threading.Event()

    def progress(done: int, total: int) -> None:
        if cancelled.is_set():
            raise PrepareCancelled(what)
        notes.put((int(done), int(total)))

    def target() -> None:
        try:
            outcome["value"] = work(progress)
        except BaseException as exc:  # handed to the generator's thread
            outcome["error"] = exc
        notes.put(None)

    yield Preparing(what)  # before the work starts: a consumer that stops here starts nothing
    thread = threading.Thread(target=target, name=f"prepare-{what[:20]}", daemon=True)
    thread.start()
    last = time.perf_counter()
    while True:
        try:
            note = notes.get(timeout=poll_s)
        except queue.Empty:
            note = ()
        if note is None:
            break
        if stop():
            cancelled.set()
            thread.join(join_s)
            return None
        if note and time.perf_counter() - last > 0.1:  # at most ~10 notes a second
            last = time.perf_counter()
            yield Preparing(what, *note)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")

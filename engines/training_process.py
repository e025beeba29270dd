"""Run a TrainingRecipe in a child process and stream its TrainSteps back as a generator.

A training loop written in Python holds the GIL between torch calls; in the app's process that
starves the GUI thread (measured: 292 ms worst GUI stall with the loop on a thread, see README).
In a child process the GUI keeps its interpreter to itself. The generator looks exactly like
recipe.run(): it yields TrainSteps, honours `stop()`, and a closed generator stops the child after
its next step (the loop checkpoints on the way out). Preparing notes pass through as they come.
The queue holds at most two steps, so a consumer that stops reading (pause) also pauses the child.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from engines.base import EngineError, StopFlag, TrainStep


def _child(recipe_path: str, config: Any, device: str, run_dir: str, resume: str | None,
           out: Any, stop_event: Any, parent: int) -> None:
    try:
        if hasattr(os, "nice"):
            os.nice(10)  # the GUI process keeps priority on a busy machine
        from engines.registry import load_object
        from engines.runtime import resolve_device, set_cpu_threads

        set_cpu_threads()
        recipe = load_object(recipe_path)

        def stop() -> bool:  # asked to, or orphaned (the app died without telling us)
            return stop_event.is_set() or os.getppid() != parent

        for step in recipe.run(config, device=resolve_device(device), run_dir=Path(run_dir), stop=stop,
                               resume=resume):
            out.put(("step", step))
        out.put(("done", None))
    except EngineError as exc:
        out.put(("error", str(exc)))
    except BaseException as exc:  # report everything: the parent turns it into a message
        out.put(("error", f"{type(exc).__name__}: {exc}"))


def run_in_subprocess(recipe_path: str, config: Any, *, device: str, run_dir: str | Path, stop: StopFlag,
                      resume: str | Path | None = None, join_timeout_s: float = 120.0) -> Iterator[TrainStep]:
    """recipe_path: "module:NAME" of a TrainingRecipe (importable in a fresh interpreter)."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue(maxsize=2)
    stop_event = ctx.Event()
    # not a daemon: a recipe may start worker processes of its own (the kanji set is converted on 2 cores);
    # the finally below ends it, and it stops itself when it finds its parent gone
    proc = ctx.Process(target=_child, name="paperzoo-train", daemon=False,
                       args=(recipe_path, config, device, str(run_dir), str(resume) if resume else None,
                             out, stop_event, os.getpid()))
    proc.start()
    try:
        while True:
            if stop():
                stop_event.set()
            try:
                kind, payload = out.get(timeout=0.2)
            except queue.Empty:
                if not proc.is_alive():
                    raise EngineError(f"the training process ended unexpectedly (exit code {proc.exitcode})") from None
                continue
            if kind == "step":
                yield payload
            elif kind == "error":
                raise EngineError(payload)
            else:
                return
    finally:
        stop_event.set()
        deadline = time.monotonic() + join_timeout_s
        while proc.is_alive() and time.monotonic() < deadline:  # drain so the child can finish and checkpoint
            try:
                out.get(timeout=0.2)
            except queue.Empty:
                pass
        if proc.is_alive():
            proc.terminate()
        proc.join(5)

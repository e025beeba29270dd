"""THE worker abstraction: a generator run on a QThread, its items delivered as queued signals.

    worker = Worker(lambda stop: my_generator(..., stop=stop))
    worker.yielded.connect(on_item)      # runs on the GUI thread
    worker.start()
    ...
    worker.stop(); worker.wait()

The generator receives a `stop()` callable and should check it between steps; it is also
checked between items. `pause()` holds the generator between items (without busy-waiting).
Exceptions end the worker with `failed(message)`; they never reach the event loop.
Widgets start work through a TaskRunner (named tasks: a new one replaces the old, one failure path).
"""

from __future__ import annotations

import gc
import logging
import os
import threading
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal

log = logging.getLogger(__name__)

GeneratorFactory = Callable[[Callable[[], bool]], Iterator[Any]]


class _Thread(QThread):
    def __init__(self, worker: Worker) -> None:
        super().__init__()
        self._worker = worker

    def run(self) -> None:
        self._worker._run()


class Worker(QObject):
    """Runs `factory(stop)` on its own thread. Signals are emitted from that thread and queued to receivers."""

    yielded = Signal(object)
    failed = Signal(str)
    finished = Signal()
    held = Signal()  # paused: the thread now waits between items (every item made before it was emitted first)

    def __init__(self, factory: GeneratorFactory, name: str = "worker", niceness: int = 5) -> None:
        """niceness: how much lower than the GUI this thread's CPU priority is (Linux, per thread)."""
        super().__init__()
        self.name = name
        self.niceness = niceness
        self._factory = factory
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self._thread = _Thread(self)
        self._thread.setObjectName(name)
        # connected first, so it runs before any other receiver of `finished`: by then the thread has
        # ended and is_running() is False (a Stop then an immediate Resume is not refused)
        self.finished.connect(self._join)

    # control (GUI thread) -------------------------------------------------
    def start(self) -> Worker:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused generator so it can see the stop

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    def is_stopping(self) -> bool:
        return self._stop.is_set()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, ms: int = 10000) -> bool:
        """Block until the thread has ended (call after stop()); True if it did."""
        return self._thread.wait(ms)

    def _join(self) -> None:
        self._thread.wait(5000)  # `finished` is the thread's last act: this returns at once

    # worker thread --------------------------------------------------------
    def _run(self) -> None:
        lower_thread_priority(self.niceness)
        gen = None
        try:
            gen = self._factory(self.is_stopping)
            for item in gen:
                self.yielded.emit(item)  # an item already made is delivered, even when stopping
                held = False
                while not self._running.wait(0.1):
                    if not held:
                        held = True
                        self.held.emit()
                    if self._stop.is_set():
                        break
                if self._stop.is_set():
                    break
            if gen is not None and hasattr(gen, "close"):
                gen.close()  # lets the generator's cleanup (e.g. a final checkpoint) run on this thread
        except Exception as exc:
            log.error("worker %s failed:\n%s", self.name, traceback.format_exc())
            self.failed.emit(f"{type(exc).__name__}: {exc}")
        finally:
            self.finished.emit()


def lower_thread_priority(niceness: int) -> None:
    """Make the calling thread yield the CPU to the GUI thread under load (per-thread nice on Linux)."""
    if niceness <= 0 or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + niceness))
    except OSError:  # not permitted or not supported: run at normal priority
        pass


class WorkerSet:
    """The workers a widget owns; `stop_all` stops and joins every one (closeEvent calls it)."""

    def __init__(self) -> None:
        self._workers: list[Worker] = []

    def add(self, worker: Worker) -> Worker:
        self._workers = [w for w in self._workers if w.is_running()]
        self._workers.append(worker)
        return worker

    def stop_all(self, ms: int = 10000) -> bool:
        for w in self._workers:
            w.stop()
        ok = all([w.wait(ms) for w in self._workers])
        # a worker still busy (a model on a huge input cannot be interrupted) stays referenced: a QThread
        # destroyed while it runs aborts the process ("QThread: Destroyed while thread ... is still running")
        self._workers = [w for w in self._workers if w.is_running()]
        return ok

    def running(self) -> list[Worker]:
        return [w for w in self._workers if w.is_running()]


@dataclass(frozen=True)
class _Task:
    name: str
    on_item: Callable[[Any], None]
    on_failed: Callable[[str], None] | None
    failure: str
    on_finished: Callable[[], None] | None


class TaskRunner(QObject):
    """The one way to start background work: named tasks, each on a Worker in `workers` (GUI thread only).

    Starting a task under a name still running replaces it: the old one is told to stop and its late
    items are dropped. Every failure takes one path: the task's `on_failed(message)` (its clean-up),
    then `task_failed("failure: message")`. Callbacks run on the GUI thread. A factory must not touch
    widgets or their owner's attributes: read what it needs first and close over that frozen snapshot.
    """

    task_failed = Signal(str)

    def __init__(self, workers: WorkerSet, prefix: str, parent: QObject | None = None) -> None:
        """prefix: the start of every worker's (thread's) name, e.g. the paper key."""
        super().__init__(parent)
        self.workers, self.prefix = workers, prefix
        self._current: dict[str, Worker] = {}
        self._tasks: dict[int, _Task] = {}  # by id(worker), until the worker finishes

    def run(self, name: str, factory: GeneratorFactory, on_item: Callable[[Any], None],
            on_failed: Callable[[str], None] | None = None, failure: str = "",
            on_finished: Callable[[], None] | None = None) -> Worker:
        """Run `factory(stop)` on a worker thread; each item it yields reaches `on_item`; returns the worker."""
        old = self._current.pop(name, None)
        if old is not None and old.is_running():
            old.stop()
        worker = Worker(factory, name=f"{self.prefix}-{name}")
        self._tasks[id(worker)] = _Task(name, on_item, on_failed, failure or f"{name} failed", on_finished)
        worker.yielded.connect(self._on_item)
        worker.failed.connect(self._on_failed)
        worker.finished.connect(self._on_finished)
        self._current[name] = self.workers.add(worker)
        return worker.start()

    def task(self, name: str) -> Worker | None:
        """The worker of a running task, or None."""
        worker = self._current.get(name)
        return worker if worker is not None and worker.is_running() else None

    def _on_item(self, item: Any) -> None:
        worker = self.sender()
        task = self._tasks.get(id(worker))
        if task is not None and self._current.get(task.name) is worker:  # a replaced task's late items are dropped
            task.on_item(item)

    def _on_failed(self, message: str) -> None:
        task = self._tasks.get(id(self.sender()))
        if task is not None and task.on_failed is not None:
            task.on_failed(message)
        self.task_failed.emit(f"{task.failure if task is not None else 'A task failed'}: {message}")

    def _on_finished(self) -> None:
        task = self._tasks.pop(id(self.sender()), None)
        if task is not None and task.on_finished is not None:
            task.on_finished()


class GuiThreadGC(QObject):
    """Python's cyclic garbage collector, run on the GUI thread from a timer while `start`ed.

    Left automatic, a collection runs on whichever thread happens to allocate past the threshold,
    often a worker building a model, and can then destroy Qt objects on the wrong thread (a known
    PySide crash). Collections follow the interpreter's own thresholds (gc.get_threshold()), at most
    one per tick; a full one after `freeze_gc` scans only objects made since.
    """

    _started = 0  # instances started; automatic collection is back on when none is

    def __init__(self, parent: QObject | None = None, interval_ms: int = 500) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)
        self.collections = [0, 0, 0]  # per generation, since start

    def start(self) -> None:
        if not self._timer.isActive():
            GuiThreadGC._started += 1
            gc.disable()
            self._timer.start()

    def stop(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            GuiThreadGC._started -= 1
            if GuiThreadGC._started == 0:
                gc.enable()

    def collect(self) -> None:
        (t0, t1, t2), (c0, c1, c2) = gc.get_threshold(), gc.get_count()
        if c0 > t0:
            generation = 2 if c1 > t1 and c2 > t2 else 1 if c1 > t1 else 0
            gc.collect(generation)
            self.collections[generation] += 1

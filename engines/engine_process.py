"""An engine in a process of its own, for the compare view's model B.

Two models on threads of one process share its interpreter lock: the pose student lost 10-15% of its speed
beside BlazePose that way (README, issue 16). In a child process model B has an interpreter to itself; each
frame costs a pickled copy each way (a 640x480 BGR frame is 0.9 MB, well under a millisecond).

EngineRecipe says how to build an engine in a fresh interpreter ("module:function" and picklable
arguments); the tabs build their own engines from the same recipe, so both sides are made one way.
ProcessEngine starts the child at once and does not wait for it: `ready()` polls, and `infer(...)` forwards
the call and returns the child's result. Attributes a tab reads of its engine (names, device ...) are copied
once the model has loaded. Messages go over a pipe between our own two processes; nothing a user hands us is
unpickled here (the child opens weight files with the engines' own safe loaders).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from dataclasses import dataclass, field
from typing import Any

from engines.base import EngineError

BUILD_ENGINE = "engines.engine_process:build_engine"  # the usual factory: a registry engine, loaded

# engine attributes copied to the parent once loaded (those a tab's run or paint code reads)
COPIED_ATTRIBUTES = ("device", "names", "compare_side", "backend", "model_name")


@dataclass(frozen=True)
class EngineRecipe:
    """factory: "module:callable" returning a loaded engine; args/kwargs: picklable arguments."""

    factory: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)

    def build(self) -> Any:
        from engines.registry import load_object

        return load_object(self.factory)(*self.args, **self.kwargs)


def build_engine(engine_path: str, weights: Any, device: str, **load_options: Any) -> Any:
    """The registry's engine class `engine_path` ("module:Class"), loaded with `weights` on `device`."""
    from engines.registry import load_object

    engine = load_object(engine_path)()
    engine.load(weights, device, **load_options)
    return engine


def _serve(conn: Any, recipe: EngineRecipe, parent: int) -> None:
    """Child: build the engine, say so, then answer ("infer", args, kwargs) until told to stop."""
    try:
        from engines.runtime import set_cpu_threads

        set_cpu_threads()
        engine = recipe.build()
        attrs = {name: getattr(engine, name) for name in COPIED_ATTRIBUTES if hasattr(engine, name)}
        conn.send(("ready", attrs))
    except BaseException as exc:  # noqa: BLE001 - every failure becomes the parent's message
        conn.send(("error", str(exc) if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"))
        return
    while True:
        if not conn.poll(1.0):
            if os.getppid() != parent:
                return  # orphaned: the app died without telling us
            continue
        try:
            message = conn.recv()
        except EOFError:
            return
        if message[0] == "stop":
            return
        _, args, kwargs = message
        try:
            out = engine.infer(*args, **kwargs)
            conn.send(("result", out, time.perf_counter()))
        except BaseException as exc:  # noqa: BLE001 - one failed frame is a message; the loop goes on
            conn.send(("error", str(exc) if isinstance(exc, EngineError) else f"{type(exc).__name__}: {exc}"))


class ProcessEngine:
    """A loaded engine in a child process (spawned: a fresh interpreter). One caller thread at a time."""

    def __init__(self, recipe: EngineRecipe) -> None:
        ctx = mp.get_context("spawn")
        self._conn, child_conn = ctx.Pipe()
        self._proc = ctx.Process(target=_serve, args=(child_conn, recipe, os.getpid()), name="paperzoo-model-b",
                                 daemon=True)
        self._proc.start()
        child_conn.close()
        self._attrs: dict[str, Any] | None = None
        self.last_ms = 0.0  # the latest frame's time from sending it to the child's result being ready (ms)

    def ready(self) -> bool:
        """True once the model has loaded; False while it loads; an EngineError if it could not load."""
        if self._attrs is not None:
            return True
        if not self._conn.poll(0):
            if not self._proc.is_alive():
                raise EngineError(f"its process ended while loading (exit code {self._proc.exitcode})")
            return False
        kind, payload = self._receive()
        if kind == "error":
            self.close()
            raise EngineError(payload)
        self._attrs = payload
        return True

    def infer(self, *args: Any, **kwargs: Any) -> Any:
        """engine.infer(*args, **kwargs) in the child; blocks this thread (not the interpreter) until done."""
        if self._attrs is None:
            raise EngineError("model B has not loaded yet")
        t0 = time.perf_counter()
        try:
            self._conn.send(("infer", args, kwargs))
        except OSError as exc:
            raise EngineError(f"model B's process has ended ({exc})") from None
        kind, *payload = self._receive()
        if kind == "error":
            raise EngineError(payload[0])
        out, t_done = payload
        self.last_ms = (t_done - t0) * 1000  # perf_counter is the system's monotonic clock: one for both
        return out

    def _receive(self) -> tuple:
        while not self._conn.poll(0.5):
            if not self._proc.is_alive():
                raise EngineError(f"model B's process ended (exit code {self._proc.exitcode})")
        try:
            return self._conn.recv()
        except EOFError:
            raise EngineError("model B's process ended") from None

    def __getattr__(self, name: str) -> Any:
        attrs = self.__dict__.get("_attrs") or {}
        if name in attrs:
            return attrs[name]
        raise AttributeError(name)

    def close(self) -> None:
        """Ask the child to stop; it is ended if it does not within 2 s."""
        try:
            self._conn.send(("stop",))
        except (OSError, ValueError):
            pass
        self._proc.join(2.0)
        if self._proc.is_alive():
            self._proc.terminate()
            self._proc.join(1.0)
        self._conn.close()

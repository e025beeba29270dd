"""The live inference loop shared by every live tab and by the benchmark.

A worker thread runs `live_loop`: it takes the newest frame from a LatestSlot, runs the engine,
and yields a frozen LiveResult. Settings changes reach the worker as callables in a `Commands`
queue, run between frames on the worker thread (never on the GUI thread).
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from engines.base import EngineError, StopFlag
from engines.frames import Frame, LatestSlot, RateMeter


@dataclass(frozen=True)
class LiveResult:
    """One inferred frame. Times are perf_counter seconds; `result` is the engine's frozen result."""

    frame: Frame
    result: Any
    t_started: float
    t_finished: float
    model_fps: float
    dropped: int
    device: str

    @property
    def latency_ms(self) -> float:
        return (self.t_finished - self.t_started) * 1000


@dataclass(frozen=True)
class LiveNotice:
    """A message from the worker (a setting applied, a fallback, a recoverable error)."""

    text: str
    error: bool = False
    applied: Any = None  # a value for the GUI thread to apply (e.g. what a command changed)


@dataclass(frozen=True)
class DeviceState:
    """Where the engine runs after a device change (worker -> GUI thread): its device (e.g. "openvino-bf16"),
    the backend devices its gate refused with the reasons, and the running backend's gate summary."""

    device: str
    refused: Mapping[str, str]
    gate: str = ""


def device_state(engine: Any) -> DeviceState:
    """The engine's device facts (worker thread); engines without CPU backends have no refusals."""
    gate = getattr(getattr(engine, "backend", None), "gate", None)  # pose's `backend` is a runtime name
    refused = getattr(engine, "refused", None)
    return DeviceState(str(getattr(engine, "device", "cpu")), dict(refused) if isinstance(refused, dict) else {},
                       gate.summary() if hasattr(gate, "summary") else "")


class Commands:
    """Callables to run on the worker thread before the next frame; each may return a notice text or a LiveNotice."""

    def __init__(self) -> None:
        self._q: queue.SimpleQueue[Callable[[], Any]] = queue.SimpleQueue()
        self.ran = 0  # commands run so far (live_loop re-runs the last frame after one when no new frame comes)

    def submit(self, fn: Callable[[], Any]) -> None:
        self._q.put(fn)

    def drain(self) -> Iterator[LiveNotice]:
        while True:
            try:
                fn = self._q.get_nowait()
            except queue.Empty:
                return
            self.ran += 1
            try:
                text = fn()
            except EngineError as exc:
                yield LiveNotice(str(exc), error=True)
            except Exception as exc:  # a bad setting must not end the live loop
                yield LiveNotice(f"{type(exc).__name__}: {exc}", error=True)
            else:
                if isinstance(text, LiveNotice):
                    yield text
                elif text:
                    yield LiveNotice(text)


def live_loop(
    slot: LatestSlot,
    infer: Callable[[Frame], Any],
    stop: StopFlag,
    device: Callable[[], str],
    commands: Commands | None = None,
    poll_s: float = 0.1,
) -> Iterator[LiveResult | LiveNotice]:
    """Run `infer` on the newest frame until `stop()`; yields results and notices.

    An EngineError from one frame becomes a notice and the loop goes on with the next frame.
    A source with nothing new (a still image, a paused video) sends no frames, so the loop idles;
    after a command (a setting or model change) with no new frame within `poll_s`, the last frame
    is inferred again.
    """
    meter = RateMeter(20)
    last_error = ""
    last: Frame | None = None
    rerun = False
    while not stop():
        if commands is not None:
            ran = commands.ran
            yield from commands.drain()
            rerun = rerun or commands.ran != ran
        frame = slot.take(timeout=poll_s)
        if frame is None:
            if not (rerun and last is not None):
                continue
            frame = last
        last, rerun = frame, False
        t0 = time.perf_counter()
        try:
            result = infer(frame)
        except Exception as exc:  # an engine that fails on a frame must not end the live loop
            text = str(exc) if isinstance(exc, EngineError) else (
                f"the model failed on this frame ({type(exc).__name__}: {exc})")
            if text != last_error:  # say it once, not every frame
                last_error = text
                yield LiveNotice(text, error=True)
            continue
        t1 = time.perf_counter()
        meter.tick(t1)
        last_error = ""
        yield LiveResult(frame, result, t0, t1, meter.rate, slot.dropped, device())

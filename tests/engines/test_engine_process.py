"""Model B in a process of its own: built from a recipe, forwarded calls, clear failures, no orphans."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from engines.base import EngineError
from engines.compare import PairResult, PairRunner
from engines.engine_process import EngineRecipe, ProcessEngine

HERE = "tests.engines.test_engine_process"


class MeanEngine:
    """A tiny engine: infer(image, scale) -> (mean * scale, the child's pid)."""

    device = "cpu"
    names = ("bright",)

    def infer(self, image: np.ndarray, scale: float = 1.0):
        if scale < 0:
            raise ValueError("scale must not be negative")
        return float(image.mean()) * scale, os.getpid()


def make_mean_engine() -> MeanEngine:
    return MeanEngine()


def make_broken_engine() -> MeanEngine:
    raise EngineError("this weights file is damaged")


def _loaded(engine: ProcessEngine, timeout_s: float = 60) -> ProcessEngine:
    deadline = time.monotonic() + timeout_s
    while not engine.ready():
        assert time.monotonic() < deadline, "the child did not load"
        time.sleep(0.02)
    return engine


def test_a_frame_goes_to_the_child_and_its_result_comes_back():
    engine = _loaded(ProcessEngine(EngineRecipe(f"{HERE}:make_mean_engine")))
    try:
        frame = np.full((480, 640, 3), 10, np.uint8)
        value, pid = engine.infer(frame, scale=2.0)
        assert value == 20.0 and pid != os.getpid()  # computed elsewhere
        assert engine.names == ("bright",) and engine.device == "cpu"  # what a tab reads of its engine
        assert engine.last_ms > 0
        with pytest.raises(EngineError, match="must not be negative"):  # one bad frame is a message ...
            engine.infer(frame, scale=-1)
        assert engine.infer(frame)[0] == 10.0  # ... and the next frame works
    finally:
        engine.close()
    assert not engine._proc.is_alive()


def test_a_model_that_fails_to_load_is_a_notice_and_a_keeps_running():
    runner = PairRunner()
    runner.set_b(ProcessEngine(EngineRecipe(f"{HERE}:make_broken_engine")), "broken B")
    frame = np.zeros((4, 4, 3), np.uint8)
    deadline = time.monotonic() + 60
    with pytest.raises(EngineError, match="Could not load broken B to compare: this weights file is damaged"):
        while time.monotonic() < deadline:
            assert runner.run(lambda e, f: e.infer(f), MeanEngine(), frame)[0] == 0.0  # A alone while B loads
            time.sleep(0.02)
    assert runner.engine_b is None
    assert runner.run(lambda e, f: e.infer(f), MeanEngine(), frame)[0] == 0.0  # A goes on alone


def test_the_pair_runs_a_here_and_b_in_its_child():
    runner = PairRunner()
    runner.set_b(_loaded(ProcessEngine(EngineRecipe(f"{HERE}:make_mean_engine"))), "B")
    frame = np.full((8, 8, 3), 3, np.uint8)
    pair = runner.run(lambda e, f: e.infer(f), MeanEngine(), frame)
    assert isinstance(pair, PairResult) and pair.a[0] == pair.b[0] == 3.0
    assert pair.a[1] == os.getpid() != pair.b[1] and pair.ms_b > 0
    child = runner.engine_b._proc
    runner.close()  # the worker ends: so does B's process
    assert runner.engine_b is None and not child.is_alive()


def test_a_child_that_dies_is_an_error_not_a_hang():
    engine = _loaded(ProcessEngine(EngineRecipe(f"{HERE}:make_mean_engine")))
    os.kill(engine._proc.pid, signal.SIGKILL)
    engine._proc.join(5)
    t0 = time.monotonic()
    with pytest.raises(EngineError, match="process"):
        engine.infer(np.zeros((2, 2, 3), np.uint8))
    assert time.monotonic() - t0 < 5
    engine.close()

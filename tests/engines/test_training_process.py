"""Training in a child process: steps stream back, stop checkpoints, errors become messages."""

from __future__ import annotations

import pytest

from engines.base import EngineError
from engines.training import load_checkpoint
from engines.training_process import run_in_subprocess
from tests.toy_task import ToyConfig

RECIPE = "tests.toy_task:TOY_RECIPE"


def test_steps_stream_back_and_stop_checkpoints(tmp_path):
    flag = {"stop": False}
    seen = []
    for step in run_in_subprocess(RECIPE, ToyConfig(steps=10_000, seconds_per_step=0.01), device="cpu",
                                  run_dir=tmp_path, stop=lambda: flag["stop"]):
        seen.append(step.step)
        flag["stop"] = len(seen) >= 15
    assert seen[:3] == [1, 2, 3] and 15 <= len(seen) <= 20
    assert load_checkpoint(tmp_path / "last.pt")["step"] >= 15


def test_closing_the_generator_stops_the_child(tmp_path):
    gen = run_in_subprocess(RECIPE, ToyConfig(steps=10_000, seconds_per_step=0.01), device="cpu",
                            run_dir=tmp_path, stop=lambda: False)
    for step in gen:
        if step.step == 5:
            break
    gen.close()
    assert load_checkpoint(tmp_path / "last.pt")["step"] >= 5


def test_child_errors_become_engine_errors(tmp_path):
    with pytest.raises(EngineError, match="/nonexistent/folder is not a folder"):
        list(run_in_subprocess("engines.detection.task:RECIPE", _bad_config(), device="cpu",
                               run_dir=tmp_path, stop=lambda: False))


def _bad_config():
    from engines.detection.config import YoloV2TrainConfig

    return YoloV2TrainConfig.tiny(data="/nonexistent/folder")

"""The shared training loop: resume reproduces the next step, NaN stops cleanly, bad checkpoints are refused."""

from __future__ import annotations

import json

import pytest
import torch

from engines.base import EngineError
from engines.training import LoopSettings, load_checkpoint, run_training, save_checkpoint
from tests.toy_task import ToyConfig, ToyTask


def never():
    return False


def test_loss_falls_and_metrics_logged(tmp_path):
    steps = list(run_training(ToyTask(ToyConfig(steps=150)), LoopSettings(150, eval_every=50), tmp_path, never))
    assert steps[-1].losses["loss"] < steps[0].losses["loss"] / 10
    assert [s.step for s in steps if s.evaluated] == [50, 100, 150]
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert len(lines) == 150 and "weight_error" in json.loads(lines[49])["metrics"]
    assert steps[-1].checkpoint and (tmp_path / "last.pt").is_file()


def test_resume_gives_the_same_next_step(tmp_path):
    full = list(run_training(ToyTask(ToyConfig(steps=40)), LoopSettings(40), tmp_path / "a", never))
    flag = {"stop": False}

    def stop_at_20():
        return flag["stop"]

    part = []
    for s in run_training(ToyTask(ToyConfig(steps=40)), LoopSettings(40), tmp_path / "b", stop_at_20):
        part.append(s)
        flag["stop"] = s.step == 20
    assert part[-1].step == 20
    assert load_checkpoint(tmp_path / "b" / "last.pt")["step"] == 20  # written when the loop saw the stop
    resumed = list(run_training(ToyTask(ToyConfig(steps=40), seed=123), LoopSettings(40), tmp_path / "c", never,
                                resume=tmp_path / "b" / "last.pt"))
    assert resumed[0].step == 21
    assert resumed[0].losses == full[20].losses
    assert resumed[-1].losses == full[-1].losses


def test_nan_stops_and_keeps_last_good_checkpoint(tmp_path):
    task = ToyTask(ToyConfig(steps=100, nan_at_step=60))
    steps = list(run_training(task, LoopSettings(100, checkpoint_every=25), tmp_path, never))
    assert steps[-1].step == 60 and "NaN" in steps[-1].message and "last.pt" in steps[-1].message
    assert load_checkpoint(tmp_path / "last.pt")["step"] == 50
    log = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert len(log) == 59  # the NaN step is reported, not logged as a good step


def test_corrupt_and_foreign_checkpoints_refused(tmp_path):
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a checkpoint at all")
    with pytest.raises(EngineError, match="damaged or not a PaperZoo checkpoint"):
        load_checkpoint(bad)
    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(2)}, foreign)
    with pytest.raises(EngineError, match="not a PaperZoo checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(EngineError, match="does not exist"):
        load_checkpoint(tmp_path / "missing.pt")


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_checkpoint(path, {"step": 1})

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", boom)
    with pytest.raises(OSError):
        save_checkpoint(path, {"step": 2})
    assert load_checkpoint(path)["step"] == 1
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_resume_after_a_kill_does_not_log_steps_twice(tmp_path):
    steps = list(run_training(ToyTask(ToyConfig(steps=30)), LoopSettings(30, checkpoint_every=10), tmp_path, never))
    assert steps[-1].step == 30
    # pretend the process died at step 27: the checkpoint holds step 20, the log 27 steps
    log = tmp_path / "metrics.jsonl"
    log.write_text("".join(log.read_text().splitlines(keepends=True)[:27]))
    import torch as _torch

    payload = _torch.load(tmp_path / "last.pt", weights_only=True)
    payload["step"] = 20
    save_checkpoint(tmp_path / "ckpt20.pt", {k: v for k, v in payload.items() if k != "format"})
    list(run_training(ToyTask(ToyConfig(steps=30)), LoopSettings(30), tmp_path, never, resume=tmp_path / "ckpt20.pt"))
    logged = [json.loads(line)["step"] for line in log.read_text().splitlines()]
    assert logged == list(range(1, 31))

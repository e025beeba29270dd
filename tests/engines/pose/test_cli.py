"""engines.pose.cli: every subcommand parses; a tiny headless `train --export`; a 2-process gloo DDP step."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from engines.pose.cli import main
from engines.pose.config import PoseDistillSettings
from tests.conftest import require_assets
from tests.ddp_support import free_port, gloo_group


@pytest.mark.parametrize("argv", [["--help"], ["train", "--help"], ["distill", "--help"], ["bench", "--help"]])
def test_every_subcommand_parses(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_train_flags_include_export_and_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = capsys.readouterr().out
    assert "--export" in text and "--minutes" in text
    for f in dataclasses.fields(PoseDistillSettings):
        assert "--" + f.name.replace("_", "-") in text


def _tiny_flags() -> list[str]:
    flags = []
    for name, value in dataclasses.asdict(PoseDistillSettings.tiny()).items():
        if value != "":
            flags += ["--" + name.replace("_", "-"), str(value)]
    return flags


def test_tiny_train_exports_the_student(tmp_path: Path) -> None:
    require_assets("vtest.avi", "pose_landmark_full.tflite", "yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")
    from engines.pose.model import load_student

    out = tmp_path / "out" / "student.pt"
    code = main(["train", "--run-dir", str(tmp_path / "run"), "--device", "cpu", "--threads", "1",
                 "--export", str(out), *_tiny_flags()])
    assert code == 0
    assert (tmp_path / "run" / "last.pt").is_file() and (tmp_path / "run" / "student.pt").is_file()
    model, names, meta = load_student(out)
    assert model.config.input_size == 64 and len(names) == 16 and meta["step"] == 3


def _worker(rank: int, world: int, port: int, out: str) -> None:
    with gloo_group(rank, world, port):
        from engines.pose.config import DistillConfig
        from engines.pose.task import DistillTask
        from tests.engines.pose.test_hourglass_distill import synthetic_data

        data = synthetic_data(8)
        task = DistillTask(DistillConfig.tiny(), data, data, rank=rank, world=world)
        before = torch.cat([p.detach().flatten() for p in task.model.parameters()]).clone()
        losses = task.train_step(1)
        after = torch.cat([p.detach().flatten() for p in task.model.parameters()])
        torch.save({"before": before, "after": after, "loss": losses["loss"], "metrics": len(task.evaluate())},
                   Path(out) / f"rank{rank}.pt")


# two fresh interpreters import torch: about 11 s on 2 cores
def test_two_process_gloo_ddp_step(tmp_path: Path) -> None:
    mp.spawn(_worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    torch.testing.assert_close(r0["before"], r1["before"])  # same seed, same start
    assert not torch.equal(r0["before"], r0["after"])  # the step changed the weights
    torch.testing.assert_close(r0["after"], r1["after"])  # averaged gradients: the replicas agree
    assert r0["loss"] != r1["loss"]  # each rank saw its own half of the batch
    assert r0["metrics"] > 0 and r1["metrics"] == 0  # evaluation on rank 0 only


def test_distill_init_refuses_a_damaged_student_before_any_work(tmp_path, capsys):
    bad = tmp_path / "student.pt"
    bad.write_bytes(b"\x80\x04not a checkpoint" * 200)
    assert main(["distill", "--init", str(bad), "--steps", "2", "--run-dir", str(tmp_path / "run")]) == 2
    assert "damaged or not a PaperZoo checkpoint" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()

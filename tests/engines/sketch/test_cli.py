"""engines.sketch.cli: every subcommand parses; a real tiny train -> export -> render round trip; 2-rank DDP."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from engines.sketch.cli import main
from engines.sketch.config import SketchTrainSettings
from tests.ddp_support import free_port, gloo_group


def _toy_npz(path: Path, n: int = 24) -> Path:
    rng = np.random.default_rng(0)

    def drawings(k: int) -> np.ndarray:
        arr = np.empty(k, dtype=object)
        for i in range(k):
            s = np.zeros((int(rng.integers(4, 10)), 3), np.int16)
            s[:, :2] = rng.integers(-20, 20, size=(len(s), 2))
            s[len(s) // 2, 2] = s[-1, 2] = 1
            arr[i] = s
        return arr

    np.savez(path, train=drawings(n), valid=drawings(4), test=drawings(4))
    return path


@pytest.mark.parametrize("command", [[], ["train"], ["export"], ["render"]])
def test_help_of_every_subcommand(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*command, "--help"])
    assert exc.value.code == 0
    assert "usage" in capsys.readouterr().out


def _tiny_flags() -> list[str]:
    t = SketchTrainSettings.tiny()
    return ["--steps", str(t.steps), "--enc-size", str(t.enc_size), "--dec-size", str(t.dec_size),
            "--z-size", str(t.z_size), "--batch-size", str(t.batch_size), "--eval-every", str(t.eval_every),
            "--kl-decay-rate", "0.998", "--checkpoint-every", "2", "--preview-every", "0",
            "--threads", "1", "--device", "cpu"]


def test_train_export_render_round_trip(tmp_path):
    from engines.sketch.engine import SketchEngine

    data = _toy_npz(tmp_path / "toy.npz")
    run, weights = tmp_path / "run", tmp_path / "out" / "w.pt"
    assert main(["train", "--dataset", str(data), "--run-dir", str(run), "--export", str(weights),
                 *_tiny_flags()]) == 0
    eng = SketchEngine()
    eng.load(weights)
    assert eng.info["step"] == SketchTrainSettings.tiny().steps and eng.info["dataset"] == "toy"
    assert eng.config.kl_decay_rate == 0.998 and eng.config.enc_size == SketchTrainSettings.tiny().enc_size
    again = tmp_path / "again.pt"
    assert main(["export", str(run / "last.pt"), str(again), "--dataset", str(data)]) == 0
    eng.load(again)
    assert "valid_L_R" in eng.info["metrics"]
    sheet = tmp_path / "sheet.png"
    assert main(["render", str(again), str(sheet)]) == 0 and sheet.stat().st_size > 0
    assert main(["render", str(tmp_path / "missing.pt"), str(sheet)]) == 1


def test_tiny_settings_are_valid():
    t = SketchTrainSettings.tiny()
    assert t.model_config().enc_size == t.enc_size
    with pytest.raises(ValueError):
        SketchTrainSettings(dataset="nope.txt")


def test_bad_flag_value_is_an_error(tmp_path):
    assert main(["train", "--dataset", "nope.txt", "--run-dir", str(tmp_path / "r")]) == 2


def _worker(rank: int, world: int, port: int, data: str, out: str) -> None:
    import torch

    with gloo_group(rank, world, port):
        from engines.sketch.config import SketchRNNConfig
        from engines.sketch.data import load_dataset
        from engines.sketch.task import SketchTrainTask

        task = SketchTrainTask(SketchRNNConfig.tiny(), load_dataset(data), rank=rank, world=world)
        before = torch.cat([p.detach().flatten() for p in task.model.parameters()]).clone()
        losses = task.train_step(1)
        after = torch.cat([p.detach().flatten() for p in task.model.parameters()])
        torch.save({"before": before, "after": after, "loss": losses["loss"]}, Path(out) / f"rank{rank}.pt")


def test_two_process_gloo_ddp_step(tmp_path: Path):
    import torch
    import torch.multiprocessing as mp

    data = _toy_npz(tmp_path / "toy.npz")
    mp.spawn(_worker, args=(2, free_port(), str(data), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    torch.testing.assert_close(r0["before"], r1["before"])  # same seed, same start
    assert not torch.equal(r0["before"], r0["after"])  # the step changed the weights
    torch.testing.assert_close(r0["after"], r1["after"])  # all-reduced gradients: replicas agree
    assert r0["loss"] != r1["loss"]  # each rank saw its own half of the batch

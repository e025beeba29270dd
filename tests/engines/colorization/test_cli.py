"""The colorization command line: every subcommand parses; a real two-step `train` on the synthetic set;
the recipe's tiny run under 2-process gloo DDP."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from engines.colorization.cli import main
from engines.colorization.model import read_weights
from tests.ddp_support import free_port, gloo_group


@pytest.mark.parametrize("cmd", [[], ["train"], ["build-data"], ["add-folder"], ["evaluate"]])
def test_help_of_every_subcommand(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*cmd, "--help"])
    assert exc.value.code == 0
    assert "usage" in capsys.readouterr().out


def test_train_two_steps_and_export(photo_root: Path, tmp_path: Path):
    out = tmp_path / "exported.pt"
    code = main(["train", "--start-from-shipped", "false", "--steps", "2", "--width", "0.0625",
                 "--global-size", "64", "--local-size", "32", "--batch-size", "2", "--eval-every", "2",
                 "--checkpoint-every", "0", "--data-root", str(photo_root), "--run-dir", str(tmp_path / "run"),
                 "--device", "cpu", "--threads", "1", "--export", str(out)])
    assert code == 0
    assert (tmp_path / "run" / "last.pt").is_file()
    payload = read_weights(out)
    assert payload["config"]["width"] == 0.0625 and payload["categories"]


def _ddp_worker(rank: int, world: int, port: int, data: str, out: str) -> None:
    import torch

    with gloo_group(rank, world, port):
        from engines.colorization.config import ColorizationTrainSettings
        from engines.colorization.task import RECIPE
        from engines.distributed import synced_stop

        settings = ColorizationTrainSettings.tiny(data_root=data, batch_size=4)  # 2 samples a rank
        run_dir = Path(out) / f"rank{rank}"
        steps = list(RECIPE.run(settings, device="cpu", run_dir=run_dir, stop=synced_stop(lambda: False, world),
                                rank=rank, world=world))
        torch.save({"losses": [s.losses["loss"] for s in steps], "metrics": steps[-1].metrics},
                   Path(out) / f"rank{rank}.pt")


# two fresh interpreters import torch: about 10 s on 2 cores
def test_recipe_under_two_process_gloo_ddp(photo_root: Path, tmp_path: Path):
    import torch
    import torch.multiprocessing as mp

    from engines.colorization.config import ColorizationTrainSettings
    from engines.colorization.model import LetThereBeColorNet
    from engines.training import load_checkpoint

    mp.spawn(_ddp_worker, args=(2, free_port(), str(photo_root), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    assert len(r0["losses"]) == len(r1["losses"]) == 2
    assert r0["losses"] != r1["losses"]  # each rank trained on its own share of the batch
    assert r0["metrics"] and not r1["metrics"]  # evaluation on rank 0 only
    w0, w1 = (load_checkpoint(tmp_path / f"rank{r}" / "last.pt")["task"]["model"] for r in (0, 1))
    config = ColorizationTrainSettings.tiny(batch_size=4).net_config()
    torch.manual_seed(config.seed)
    start = dict(LetThereBeColorNet(dataclasses.replace(config, num_classes=3)).named_parameters())
    for name in start:  # averaged gradients: the replicas' weights agree (BatchNorm statistics are per rank)
        torch.testing.assert_close(w0[name], w1[name], msg=name)
    assert any(not torch.equal(start[k].detach(), w0[k]) for k in start)  # and the steps moved them
    assert (tmp_path / "rank0" / "colorization.pt").is_file()  # rank 0 exports, the other rank does not
    assert not (tmp_path / "rank1" / "colorization.pt").exists()
    exported = read_weights(tmp_path / "rank0" / "colorization.pt")["state_dict"]
    for name in w0:
        torch.testing.assert_close(exported[name], w0[name], msg=name)


def test_ddp_refuses_a_batch_too_small_to_split(photo_root: Path, tmp_path: Path):
    from engines.base import EngineError
    from engines.colorization.config import ColorizationTrainSettings
    from engines.colorization.task import RECIPE

    run = RECIPE.run(ColorizationTrainSettings.tiny(data_root=str(photo_root)), device="cpu", run_dir=tmp_path,
                     stop=lambda: False, rank=0, world=2)
    with pytest.raises(EngineError, match="batch_size 2 is too small for 2 processes"):
        next(run)

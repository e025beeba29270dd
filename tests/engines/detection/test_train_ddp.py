"""Two CPU processes (gloo) run one DistributedDataParallel YOLOv2 step and end with identical weights."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

from tests.ddp_support import free_port, gloo_group
from tests.engines.detection._train_data import make_yolo_set


def _worker(rank: int, world: int, port: int, data: str, out: str) -> None:
    with gloo_group(rank, world, port):
        from engines.detection.config import YoloV2TrainConfig
        from engines.detection.task import YoloV2TrainTask
        from engines.distributed import synced_stop

        task = YoloV2TrainTask(YoloV2TrainConfig.tiny(data=data, batch_size=4), rank=rank, world=world)
        before = torch.cat([p.detach().flatten() for p in task.model.parameters()]).clone()
        losses = task.train_step(1)
        after = torch.cat([p.detach().flatten() for p in task.model.parameters()])
        stop = synced_stop(lambda: rank == 1, world)  # one rank asking to stop stops both
        torch.save({"before": before, "after": after, "loss": losses["loss"], "stop": stop()},
                   Path(out) / f"rank{rank}.pt")


@pytest.mark.slow  # two fresh interpreters import torch: 20-55 s on 2 busy cores
def test_two_process_gloo_ddp_step(tmp_path: Path):
    data = make_yolo_set(tmp_path / "set", n_train=8, n_val=1)
    mp.spawn(_worker, args=(2, free_port(), str(data), str(tmp_path)), nprocs=2, join=True)
    r0, r1 = (torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in (0, 1))
    torch.testing.assert_close(r0["before"], r1["before"])  # same seed, same start
    assert not torch.equal(r0["before"], r0["after"])  # the step changed the weights
    torch.testing.assert_close(r0["after"], r1["after"])  # all-reduced gradients: replicas agree
    assert r0["loss"] != r1["loss"]  # each rank saw its own half of the batch
    assert r0["stop"] and r1["stop"]

"""torchrun / DDP for every recipe: process-group set-up, a stop flag all ranks agree on, gradient averaging.

    torchrun --nproc_per_node=2 -m engines.<paper>.cli train ...   # gloo on CPU, nccl on GPU

A task trained with world > 1 calls `average_gradients(model)` after backward (or wraps its model in
DistributedDataParallel) and takes every world-th sample of its global batch (`shard`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

from engines.base import StopFlag


def setup() -> tuple[int, int, str | None]:
    """(rank, world, device) from torchrun's environment; initialises the process group when world > 1."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return 0, 1, None
    import torch
    import torch.distributed as dist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available()
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    if cuda:
        torch.cuda.set_device(local)
    return dist.get_rank(), world, (f"cuda:{local}" if cuda else "cpu")


def teardown(world: int) -> None:
    if world > 1:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


def synced_stop(local: Callable[[], bool], world: int) -> StopFlag:
    """A stop flag every rank agrees on (any rank wanting to stop stops all): one all_reduce per call."""
    if world <= 1:
        return local

    def stop() -> bool:
        import torch
        import torch.distributed as dist

        flag = torch.tensor([1.0 if local() else 0.0])
        if dist.get_backend() == "nccl":
            flag = flag.cuda()
        dist.all_reduce(flag, op=dist.ReduceOp.MAX)
        return bool(flag.item() > 0)

    return stop


def average_gradients(model: Any, world: int) -> None:
    """Average every parameter's .grad over the ranks (call between backward and the optimiser step)."""
    if world <= 1:
        return
    import torch.distributed as dist

    for p in model.parameters():
        if p.grad is not None:
            dist.all_reduce(p.grad, op=dist.ReduceOp.SUM)
            p.grad.div_(world)


def shard(items: Sequence[Any], rank: int, world: int) -> Sequence[Any]:
    """This rank's share of a global batch: every world-th item starting at `rank`."""
    return items[rank::world] if world > 1 else items

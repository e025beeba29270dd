"""Two CPU processes for DDP tests: a free loopback port and a gloo process group for one rank."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gloo_group(rank: int, world: int, port: int) -> Iterator[None]:
    """Join a gloo group on 127.0.0.1:port as `rank` (1 torch thread), and leave it on the way out."""
    import torch
    import torch.distributed as dist

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    try:
        yield
        dist.barrier()  # a rank that finished first (no evaluation, no export) waits for the others before leaving:
        # leaving early aborted it now and then ("terminate called without an active exception", 1 run in 7)
    finally:
        dist.destroy_process_group()

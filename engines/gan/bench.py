"""Timings of the GAN lab for `python -m engines.bench` (CPU, 1 torch thread by default).

Records: gan.sample64 (an 8x8 grid from the shipped DCGAN, or a random-init one of the same shape) and
gan.train_step (one DCGAN D + G step at batch 64 on random pictures).
"""

from __future__ import annotations

import statistics

import numpy as np

from engines.timing import time_calls as _times


def bench_records(threads: int = 1, rounds: int = 10) -> list[dict]:
    """Median ms of sampling 64 pictures and of one training step (DCGAN, width 32, batch 64)."""
    import torch

    from engines.gan.config import GANConfig
    from engines.gan.engine import GANEngine, shipped_weights
    from engines.gan.model import build_generator
    from engines.gan.task import GANTrainTask

    old = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        eng = GANEngine()
        shipped = shipped_weights().get("dcgan_fashion-mnist")
        if shipped is not None:
            eng.load(shipped)
            label = shipped.name
        else:
            eng.config = GANConfig(width=32)
            eng.G = build_generator(eng.config).eval()
            label = "random-init DCGAN width 32"
        z = eng.latent(64, 0)
        cfg = GANConfig(width=32, batch_size=64)
        task = GANTrainTask(cfg, np.random.default_rng(0).uniform(-1, 1, (256, 1, 32, 32)).astype(np.float32))
        step = iter(range(1, 10**6))
        out = []
        for name, fn, extra in (("gan.sample64", lambda: eng.infer(z), {"batch": 64, "weights": label}),
                                ("gan.train_step", lambda: task.train_step(next(step)), {"batch": 64, "width": 32})):
            ts = _times(fn, rounds)
            out.append({"name": name, "device": "cpu", "threads": threads, "median_ms": round(statistics.median(ts), 2),
                        "min_ms": round(min(ts), 2), "rounds": rounds, **extra})
        return out
    finally:
        torch.set_num_threads(old)


if __name__ == "__main__":
    import json

    for r in bench_records():
        print(json.dumps(r))

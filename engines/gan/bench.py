"""Timings of the GAN lab for `python -m engines.bench` (CPU, 1 torch thread by default).

Records: gan.sample64 (an 8x8 grid from the shipped DCGAN, or a random-init one of the same shape) and
gan.train_step (one DCGAN D + G step at batch 64 on random pictures).
"""

from __future__ import annotations

import statistics

import numpy as np

from engines.timing import alternate
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
            torch.set_num_threads(threads)  # load() set the app's default (cores-1)
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


def backend_records(weights: str, rounds: int = 20, threads: int = 1) -> list[dict]:
    """The 64-tile grid through torch and each installed CPU backend (f32; bf16 where the CPU has it), each
    gated against torch first; median and min ms, alternating the runtimes round by round."""
    import torch

    from engines.backends.choice import backend_devices
    from engines.gan.engine import GANEngine

    torch.set_num_threads(threads)
    eng = GANEngine()
    eng.load(weights)
    torch.set_num_threads(threads)  # load() set the app's default (cores-1)
    z = eng.latent(64, 0)
    runs: dict[str, object] = {"torch": None}
    notes: dict[str, str] = {"torch": "reference"}
    for device in backend_devices():
        if device.endswith("int8"):
            continue
        notes[device] = eng.use_backend(device, threads)
        if eng.backend is not None:
            runs[device] = eng.backend
    def grid_on(backend: object):
        def run() -> object:
            eng.backend = backend
            return eng.infer(z)

        return run

    times = alternate({name: grid_on(backend) for name, backend in runs.items()}, rounds)
    eng.backend = None
    return [{"name": "gan.grid64", "device": k, "threads": threads, "median_ms": round(statistics.median(v), 2),
             "min_ms": round(min(v), 2), "rounds": rounds, "weights": weights, "gate": notes[k]}
            for k, v in times.items()] + [{"name": "gan.grid64", "device": k, "refused": notes[k]}
                                          for k in notes if k not in runs]


if __name__ == "__main__":
    import json

    for r in bench_records():
        print(json.dumps(r))

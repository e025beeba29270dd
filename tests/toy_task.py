"""A tiny, real training task (noisy linear regression with Adam) for testing the shared loop and panel."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from engines.training import LoopSettings, TrainingRecipe, run_training


@dataclass(frozen=True)
class ToyConfig:
    steps: int = 200
    lr: float = 0.05
    batch: int = 16
    nan_at_step: int = 0  # >0: make the loss NaN at this step (to test the guard)
    seconds_per_step: float = 0.0  # slow the loop down (panel tests)

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch < 1:
            raise ValueError("steps and batch must be positive")
        if not 0 < self.lr < 10:
            raise ValueError("lr must be in (0, 10)")


class ToyTask:
    steps_per_epoch = 10

    def __init__(self, config: ToyConfig, seed: int = 0) -> None:
        self.config = config
        torch.manual_seed(seed)
        self.model = torch.nn.Linear(4, 1)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.rng = np.random.default_rng(seed)
        self.true_w = np.array([1.0, -2.0, 0.5, 3.0], np.float32)

    def train_step(self, step: int) -> dict[str, float]:
        if self.config.seconds_per_step:
            time.sleep(self.config.seconds_per_step)
        x = self.rng.normal(size=(self.config.batch, 4)).astype(np.float32)
        y = x @ self.true_w + 0.01 * self.rng.normal(size=self.config.batch).astype(np.float32)
        pred = self.model(torch.from_numpy(x))[:, 0]
        mse = torch.mean((pred - torch.from_numpy(y)) ** 2)
        if step == self.config.nan_at_step:
            mse = mse * float("nan")
        self.opt.zero_grad()
        mse.backward()
        self.opt.step()
        l1 = torch.mean(torch.abs(pred.detach() - torch.from_numpy(y)))
        return {"loss": float(mse.detach()), "mse": float(mse.detach()), "l1": float(l1)}

    def evaluate(self) -> dict[str, float]:
        return {"weight_error": float(np.abs(self.model.weight.detach().numpy()[0] - self.true_w).max())}

    def lr(self) -> float:
        return self.opt.param_groups[0]["lr"]

    def state_dict(self) -> dict:
        return {"model": self.model.state_dict(), "opt": self.opt.state_dict(),
                "rng": self.rng.bit_generator.state}

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["opt"])
        self.rng.bit_generator.state = state["rng"]


def toy_run(config: ToyConfig, *, device: str, run_dir: Path, stop, resume=None):
    task = ToyTask(config)
    return run_training(task, LoopSettings(config.steps, eval_every=20, checkpoint_every=50), run_dir, stop,
                        config, resume)


TOY_RECIPE = TrainingRecipe(paper="toy", title="Toy regression", config_type=ToyConfig, run=toy_run)

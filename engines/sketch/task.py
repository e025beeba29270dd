"""Training sketch-rnn: the TrainTask for the shared loop, train_iter (live, with previews) and RECIPE.

Headless: `python -m engines.sketch.cli train --dataset kanji --minutes 25 --export assets/weights/sketch_kanji.pt`.
Resume is exact: the batch order is a seeded permutation per epoch plus a position, augmentation
noise is seeded by (seed, step), and the torch RNG state travels in the checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import EngineError, StopFlag, TrainStep
from engines.distributed import average_gradients, shard
from engines.sketch.config import SketchRNNConfig, SketchTrainSettings
from engines.sketch.data import BOX, StrokeSet, load_dataset
from engines.sketch.model import SketchRNN, export_weights, kl_weight_at, total_loss, weights_payload
from engines.sketch.strokes import stroke3_to_stroke5
from engines.training import TrainingRecipe


def make_batch(
    drawings: Sequence[np.ndarray],
    scale: float,
    max_len: int,
    rng: np.random.Generator | None = None,
    random_scale: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """stroke-3 drawings (canvas units) -> (float32[B, max_len + 1, 5] with start token, int64[B] lengths).

    Offsets are divided by `scale`; with `rng`, x and y of each drawing are stretched independently
    by a factor in [1 - random_scale, 1 + random_scale] (the paper's augmentation).
    """
    out = np.zeros((len(drawings), max_len + 1, 5), dtype=np.float32)
    out[:, 0, 2] = 1.0  # S_0 = (0, 0, 1, 0, 0)
    lengths = np.zeros(len(drawings), dtype=np.int64)
    for i, s in enumerate(drawings):
        s5 = stroke3_to_stroke5(s[:max_len], max_len)
        s5[:, :2] /= scale
        if rng is not None and random_scale > 0:
            s5[:, :2] *= rng.uniform(1 - random_scale, 1 + random_scale, size=2).astype(np.float32)
        out[i, 1:] = s5
        lengths[i] = min(len(s), max_len)
    return out, lengths


class SketchTrainTask:
    """One optimisation step per call on a StrokeSet; see engines.training.TrainTask.

    With world > 1 every rank draws the same global batch order and trains on its shard of each
    batch (engines.distributed.shard), averaging gradients before the optimiser step.
    """

    def __init__(
        self,
        config: SketchRNNConfig,
        data: StrokeSet,
        device: str = "cpu",
        scale_factor: float | None = None,
        rank: int = 0,
        world: int = 1,
    ):
        self.config = config
        self.rank, self.world = rank, world
        self.data = data.filtered(config.max_seq_len)
        if not self.data.drawings["train"]:
            raise EngineError(f"no training drawings of at most {config.max_seq_len} points in {data.name}")
        self.scale = float(scale_factor or self.data.scale_factor())
        self.device = torch.device(device)
        torch.manual_seed(config.seed)
        self.model = SketchRNN(config).to(self.device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=config.learning_rate)
        n = len(self.data.drawings["train"])
        self.steps_per_epoch = max(1, n // config.batch_size)
        self.epoch, self.position, self.step = 0, 0, 0
        self._order = self._permutation(0)

    def _permutation(self, epoch: int) -> np.ndarray:
        """This epoch's order: shuffled, then sorted by length inside pools of 20 batches, cut into
        batches whose order is shuffled again (similar lengths per batch: shorter padded batches)."""
        rng = np.random.default_rng([self.config.seed, epoch])
        lengths = np.array([len(s) for s in self.data.drawings["train"]])
        b = self.config.batch_size
        perm = rng.permutation(len(lengths))
        perm = perm[: max(b, len(perm) // b * b)]
        pools = [perm[i : i + 20 * b] for i in range(0, len(perm), 20 * b)]
        pools = [p[np.argsort(lengths[p], kind="stable")] for p in pools]
        order = np.concatenate(pools)
        batches = [order[i : i + b] for i in range(0, len(order), b)]
        return np.concatenate([batches[i] for i in rng.permutation(len(batches))])

    def _next_indices(self) -> np.ndarray:
        b = self.config.batch_size
        if self.position + b > len(self._order):
            self.epoch, self.position = self.epoch + 1, 0
            self._order = self._permutation(self.epoch)
        idx = self._order[self.position : self.position + b]
        self.position += b
        return idx

    def lr(self) -> float:
        c = self.config
        return (c.learning_rate - c.min_lr) * c.decay_rate**self.step + c.min_lr

    def train_step(self, step: int) -> Mapping[str, float]:
        """One Adam step on a batch; returns loss (total), L_R, L_KL, L_s, L_p and kl_weight."""
        self.step = step
        train = self.data.drawings["train"]
        idx = self._next_indices()
        rng = np.random.default_rng([self.config.seed, step, 1])
        batch, lengths = make_batch(
            [train[i] for i in idx], self.scale, self.config.max_seq_len, rng, self.config.random_scale
        )
        if self.world > 1:  # same augmentation draws on every rank, then this rank's rows
            batch, lengths = shard(batch, self.rank, self.world), shard(lengths, self.rank, self.world)
        batch = batch[:, : min(self.config.max_seq_len, int(lengths.max()) + 1) + 1]  # keep one end row
        self.model.train()
        for g in self.opt.param_groups:
            g["lr"] = self.lr()
        losses = self.model(torch.from_numpy(batch).to(self.device), torch.from_numpy(lengths).to(self.device))
        loss = total_loss(losses, self.config, step)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        average_gradients(self.model, self.world)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.opt.step()
        out = {k: float(v.detach()) for k, v in losses.items()}
        return {"loss": float(loss.detach()), **out, "kl_weight": kl_weight_at(self.config, step)}

    @torch.no_grad()
    def evaluate(self, split: str = "valid") -> dict[str, float]:
        """Mean L_R, L_KL, L_s, L_p over a split (no augmentation, z noise from a fixed seed)."""
        drawings = self.data.drawings[split] or self.data.drawings["train"][: self.config.batch_size]
        self.model.eval()
        sums: dict[str, float] = {}
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(1234)
            for a in range(0, len(drawings), self.config.batch_size):
                part = drawings[a : a + self.config.batch_size]
                batch, lengths = make_batch(part, self.scale, self.config.max_seq_len)
                losses = self.model(torch.from_numpy(batch).to(self.device), torch.from_numpy(lengths).to(self.device))
                for k, v in losses.items():
                    sums[k] = sums.get(k, 0.0) + float(v) * len(part)
        return {f"valid_{k}": v / len(drawings) for k, v in sums.items()}

    def state_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.opt.state_dict(),
            "epoch": self.epoch,
            "position": self.position,
            "step": self.step,
            "torch_rng": torch.get_rng_state(),
            "scale_factor": self.scale,
            "config": self.config.to_dict(),
            "dataset": self.data.name,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.opt.load_state_dict(state["optimizer"])
        self.epoch, self.position, self.step = int(state["epoch"]), int(state["position"]), int(state["step"])
        self._order = self._permutation(self.epoch)
        self.scale = float(state["scale_factor"])
        torch.set_rng_state(state["torch_rng"])

    def weights_payload(self, metrics: Mapping[str, float] | None = None) -> dict[str, Any]:
        return weights_payload(
            self.model, self.config, self.scale, self.data.name, self.data.licence, self.step, metrics or {}
        )


def train_iter(
    dataset: str | StrokeSet,
    config: SketchRNNConfig,
    stop: Callable[[], bool],
    total_steps: int,
    *,
    eval_every: int = 250,
    checkpoint_every: int = 200,
    run_dir: Path | None = None,
    resume: str | Path | None = None,
    device: str = "cpu",
    preview_every: int = 0,
    rank: int = 0,
    world: int = 1,
) -> Iterator[TrainStep]:
    """Train live (for the tab): yields TrainStep with losses loss, L_R, L_KL, L_s, L_p, kl_weight.

    Evaluated steps carry valid_* metrics; with preview_every > 0, every preview_every-th step
    carries a BGR uint8 preview of four samples at tau 0.5. When the run ends (or `stop()`), the
    weights are exported to run_dir/sketch.pt, which SketchEngine.load reads; the last TrainStep's
    `checkpoint` names that file (rank 0 only exports and previews).
    """
    from dataclasses import replace

    from engines.training import LoopSettings, new_run_dir, prepare, run_training

    if isinstance(dataset, str):  # a built-in set is fetched and converted once (kanji: ~1 min), then cached
        data = yield from prepare(f"loading the {Path(dataset).name} data set (the first time: fetch + convert)",
                                  lambda p: load_dataset(dataset, lambda _label, done, total: p(done, total)), stop)
        if data is None:
            return
    else:
        data = dataset
    task = SketchTrainTask(config, data, device, rank=rank, world=world)
    run_dir = Path(run_dir) if run_dir else new_run_dir("sketch")
    settings = LoopSettings(total_steps, eval_every, checkpoint_every)
    last: TrainStep | None = None
    for ts in run_training(task, settings, run_dir, stop, config, resume):
        if rank == 0 and preview_every and ts.step % preview_every == 0:
            ts = replace(ts, preview=_preview(task))
        if last is not None:
            yield last
        last = ts
    if last is not None and last.message.startswith("stopped:"):  # NaN guard: export the last good state, if any
        good = run_dir / "last.pt"
        if not good.is_file():
            yield last
            return
        from engines.training import load_checkpoint

        task.load_state_dict(load_checkpoint(good)["task"])
    if last is not None and rank == 0:
        out = export_weights(task.weights_payload(last.metrics), run_dir / "sketch.pt")
        yield replace(last, checkpoint=str(out), message=(last.message + f" weights: {out}").strip())
    elif last is not None:
        yield last


def _preview(task: SketchTrainTask) -> np.ndarray:
    """Four samples (tau 0.5) of the model being trained, as one BGR image."""
    from engines.sketch.engine import SketchEngine
    from engines.sketch.render import grid, render

    model = SketchRNN(task.config)
    model.load_state_dict(task.model.state_dict())
    eng = SketchEngine.from_model(model, task.scale, BOX)
    return grid([render(s.polylines(), 96, box=(0, 0, BOX, BOX)) for s in eng.sample(4, 0.5, 150, seed=0)], 4)


def run(
    settings: SketchTrainSettings,
    *,
    device: str,
    run_dir: Path,
    stop: StopFlag,
    resume: str | Path | None = None,
    rank: int = 0,
    world: int = 1,
) -> Iterator[TrainStep]:
    """Train sketch-rnn; the last step's `checkpoint` is RUN_DIR/sketch.pt, loadable by the tab."""
    from engines.runtime import resolve_device

    return train_iter(
        settings.dataset,
        settings.model_config(),
        stop,
        settings.steps,
        eval_every=settings.eval_every,
        checkpoint_every=settings.checkpoint_every,
        run_dir=run_dir,
        resume=resume,
        device=resolve_device(device),
        preview_every=settings.preview_every,
        rank=rank,
        world=world,
    )


RECIPE = TrainingRecipe(paper="sketch", title="sketch-rnn", config_type=SketchTrainSettings, run=run)

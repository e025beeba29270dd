"""Training of the colorization net: the tasks and the training panel's recipe.

PhotoTrainTask trains on the photo data set (data.py); VideoTrainTask fine-tunes a trained model
on the frames of one video (self-supervised: the frames are their own targets; the last fifth of
the video is held out for the validation figures). Both follow engines.training.TrainTask, so
`run_training` checkpoints, resumes and guards them. Under DDP (world > 1) every rank draws the same
global batch (same seed), trains on its share and averages gradients; evaluation and export run on rank 0.
`run` / RECIPE: what the training panel and `python -m engines.colorization.cli train` run.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import EngineError, Preparing, StopFlag, TrainStep
from engines.colorization.config import ColorizationConfig, ColorizationTrainSettings
from engines.colorization.data import Batch, PhotoSet, photos_dir, to_arrays
from engines.colorization.engine import SHIPPED_WEIGHTS
from engines.colorization.model import (
    LetThereBeColorNet,
    colorization_loss,
    load_matching_weights,
    read_weights,
    write_weights,
)
from engines.distributed import average_gradients
from engines.training import TrainingRecipe


class _TaskBase:
    """Shared optimiser, schedule, state and evaluation; subclasses supply `_batch` and `val_crops`."""

    def __init__(
        self,
        config: ColorizationConfig,
        total_steps: int,
        device: str = "cpu",
        categories: list[str] | None = None,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        self.config = config
        self.rank, self.world = rank, world
        self.total_steps = max(1, total_steps)
        self.device = torch.device(device)
        self.categories = categories or []
        torch.manual_seed(config.seed)
        self.model = LetThereBeColorNet(config).to(self.device)
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.lr)
        self.rng = np.random.default_rng(config.seed)
        self.val_crops: list[np.ndarray] = []
        self.val_labels: list[int] = []
        self._lr = config.lr
        self._resumed_lr: float | None = None  # the rate a resumed checkpoint last used
        self._ramp: tuple[int, float] | None = None  # (first step, rate) of a ramp after a changed schedule

    def lr(self) -> float:
        return self._lr

    def _warm(self) -> int:
        return max(1, min(200, self.total_steps // 10))

    def _schedule(self, step: int) -> float:
        """Linear warm-up (min(200, total/10) steps), then cosine from config.lr to config.lr_final.

        Resuming with a different total (a longer --steps) moves the cosine: the rate would jump (e.g. 1e-4
        at the end of a 550-step run to ~9.5e-4 at step 551 of 2600). When the new rate is over 1.25x the
        checkpoint's (past the warm-up), it ramps linearly from the checkpoint's rate to the new schedule over the
        warm-up length instead; a lower rate (a shorter --steps) and a resume on the same schedule apply as they are."""
        c, warm = self.config, self._warm()
        if step <= warm:
            target = c.lr * step / warm
        else:
            t = min(1.0, (step - warm) / max(1, self.total_steps - warm))
            target = c.lr_final + 0.5 * (c.lr - c.lr_final) * (1 + math.cos(math.pi * t))
        if self._resumed_lr is not None:
            old, self._resumed_lr = self._resumed_lr, None
            if step > warm and 0 < old and target > 1.25 * old:  # a lower rate applies at once
                self._ramp = (step, old)
        if self._ramp is not None:
            first, old = self._ramp
            frac = (step - first + 1) / warm
            if frac >= 1:
                self._ramp = None
            else:
                target = old + (target - old) * frac
        return target

    def _batch(self) -> Batch:
        raise NotImplementedError

    def _tensors(self, batch: Batch) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor, torch.Tensor]:
        dev = self.device
        share = batch.l_local.shape[-1] == batch.l_global.shape[-1]
        l_glob = None if share else torch.from_numpy(batch.l_global).to(dev)
        return (
            torch.from_numpy(batch.l_local).to(dev),
            l_glob,
            torch.from_numpy(batch.ab).to(dev),
            torch.from_numpy(batch.label).to(dev),
        )

    def train_step(self, step: int) -> dict[str, float]:
        self._lr = self._schedule(step)
        for group in self.optimizer.param_groups:
            group["lr"] = self._lr
        self.model.train()
        batch = self._batch()  # the global batch: every rank draws the same one (same seed)
        if self.world > 1:  # this rank's share
            batch = Batch(*(a[self.rank :: self.world] for a in (batch.l_local, batch.l_global, batch.ab, batch.label)))
        l_local, l_glob, ab_true, labels = self._tensors(batch)
        out = self.model.outputs(l_local, l_glob)
        m = self.model
        bins = (out["bin_logits"], m.cell_lut, m.bin_weight) if "bin_logits" in out else None
        losses = colorization_loss(out["ab"], ab_true, out.get("logits"), labels if self.categories else None,
                                   self.config.class_weight, bins)
        self.optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        average_gradients(self.model, self.world)
        self.optimizer.step()
        return {k: float(v.detach()) for k, v in losses.items()}

    @torch.inference_mode()
    def evaluate(self) -> dict[str, float]:
        """Chroma MSE ([0, 1] units, as the loss) and class accuracy on the fixed validation crops (rank 0)."""
        if not self.val_crops or self.rank != 0:
            return {}
        self.model.eval()
        c, mses, hits = self.config, [], []
        for i in range(0, len(self.val_crops), 16):
            crops = self.val_crops[i : i + 16]
            labels = self.val_labels[i : i + 16] or [0] * len(crops)
            l_local, l_glob, ab_true, lab_t = self._tensors(to_arrays(crops, labels, c.local_size, c.global_size))
            ab, logits = self.model(l_local, l_glob)
            mses.append(((ab - ab_true) ** 2).mean(dim=(1, 2, 3)))
            if logits is not None and self.categories:
                hits.append((logits.argmax(1) == lab_t).float())
        out = {"val_mse": float(torch.cat(mses).mean())}
        if hits:
            out["val_class_acc"] = float(torch.cat(hits).mean())
        return out

    def state_dict(self) -> dict[str, Any]:
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "numpy_rng": json.dumps(self.rng.bit_generator.state),
            "torch_rng": torch.get_rng_state(),
            "config": asdict(self.config),
            "categories": list(self.categories),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self._resumed_lr = float(self.optimizer.param_groups[0]["lr"])
        self.rng.bit_generator.state = json.loads(state["numpy_rng"])
        torch.set_rng_state(state["torch_rng"])

    def export(self, path: Path, meta: dict[str, Any] | None = None, half: bool = False) -> Path:
        """Write the inference weights file that ColorizationEngine.load reads (weights_only; half: float16)."""
        return write_weights(path, self.model, self.config, self.categories, meta, half)


class PhotoTrainTask(_TaskBase):
    """Train (or fine-tune) on the photo data set. num_classes is taken from the data set's index."""

    def __init__(
        self,
        config: ColorizationConfig,
        total_steps: int,
        data_root: Path | None = None,
        device: str = "cpu",
        init_weights: Path | None = None,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        self.train_set = PhotoSet("train", data_root, config.max_crops, source_cap=config.source_cap)
        cats = self.train_set.categories
        config = replace(config, num_classes=len(cats))
        super().__init__(config, total_steps, device, cats, rank, world)
        if init_weights is not None:
            load_matching_weights(self.model, init_weights)
        if config.colour_loss == "rebalanced":
            self.model.bin_weight.copy_(torch.from_numpy(photo_bin_weights(self.train_set, self.model.bins)))
        val = PhotoSet("val", data_root)
        self.val_crops = [val.center_crop(i) for i in range(len(val))]
        self.val_labels = list(val.labels)
        self.steps_per_epoch = max(1, math.ceil(len(self.train_set.slots) / config.batch_size))

    def _batch(self) -> Batch:
        c = self.config
        return self.train_set.sample(self.rng, c.batch_size, c.local_size, c.global_size)


class VideoTrainTask(_TaskBase):
    """Self-supervised fine-tuning on one video: its colour frames are the targets.

    Frames are read once (every `stride`-th, longer side <= 320 px). The last `holdout` fraction of
    the video is held out for `evaluate`, so the score is measured on frames never trained on.
    """

    def __init__(
        self,
        config: ColorizationConfig,
        total_steps: int,
        video: Path,
        init_weights: Path | None,
        device: str = "cpu",
        stride: int = 2,
        holdout: float = 0.2,
        max_frames: int = 600,
        rank: int = 0,
        world: int = 1,
    ) -> None:
        frames = read_frames(video, stride, max_frames)
        if len(frames) < 5:
            raise EngineError(f"{video} gave only {len(frames)} frames; need at least 5")
        categories: list[str] = []
        if init_weights is not None:
            payload = read_weights(init_weights)
            config = replace(
                ColorizationConfig(**payload["config"]),
                lr=config.lr,
                lr_final=config.lr_final,
                batch_size=config.batch_size,
                seed=config.seed,
            )
            categories = list(payload.get("categories", []))
        super().__init__(config, total_steps, device, None, rank, world)
        self.class_names = categories  # kept for export; no class labels exist for video frames
        if init_weights is not None:
            self.model.load_state_dict(payload["state_dict"])
        cut = int(len(frames) * (1 - holdout))
        self.train_frames, held = frames[:cut], frames[cut:]
        self.val_crops = [_center_square(f) for f in held[:: max(1, len(held) // 32)]]
        self.steps_per_epoch = max(1, math.ceil(len(self.train_frames) / config.batch_size))

    def _batch(self) -> Batch:
        c, rng = self.config, self.rng
        crops = []
        for i in rng.integers(0, len(self.train_frames), c.batch_size):
            f = self.train_frames[int(i)]
            h, w = f.shape[:2]
            side = int(min(h, w) * rng.uniform(0.5, 1.0))
            y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
            crop = f[y : y + side, x : x + side]
            crops.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
        return to_arrays(crops, [0] * len(crops), c.local_size, c.global_size)

    def export(self, path: Path, meta: dict[str, Any] | None = None, half: bool = False) -> Path:
        self.categories = self.class_names
        return super().export(path, meta, half)


def photo_bin_weights(photos: PhotoSet, bins: torch.Tensor, side: int = 64) -> np.ndarray:
    """Rebalancing weights (Q,) from the a*b* bins of every training photo's centred square at side x side."""
    import cv2

    from engines.colorization.lab import bgr_to_lab
    from engines.colorization.rebalance import bin_counts, rebalance_weights

    centres = bins.cpu().numpy()
    counts = np.zeros(len(centres))
    for i in range(len(photos)):
        small = cv2.resize(photos.center_crop(i), (side, side), interpolation=cv2.INTER_AREA)
        counts += bin_counts(bgr_to_lab(small)[..., 1:].reshape(-1, 2), centres)
    return rebalance_weights(counts, centres)


def read_frames(video: Path, stride: int = 1, max_frames: int = 600, max_side: int = 320) -> list[np.ndarray]:
    """Every `stride`-th frame of a video as uint8 BGR (H, W, 3), downscaled to max_side.

    EngineError if the file is not a video or declares frames past engines.frames.MAX_VIDEO_PIXELS."""
    import cv2

    from engines.frames import video_frames

    frames = []
    for _, frame in video_frames(video, stride, limit=max_frames):
        s = max_side / max(frame.shape[:2])
        frames.append(cv2.resize(frame, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else frame)
    return frames


def _center_square(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    s = min(h, w)
    return np.ascontiguousarray(image[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s])


def run(settings: ColorizationTrainSettings, *, device: str, run_dir: Path, stop: StopFlag,
        resume: str | Path | None = None, rank: int = 0, world: int = 1) -> Iterator[TrainStep]:
    """Train, then export RUN_DIR/colorization.pt (what ColorizationEngine.load reads; rank 0 only)."""
    from engines.runtime import resolve_device
    from engines.training import LoopSettings, run_training

    if world > 1 and settings.batch_size < 2 * world:  # BatchNorm in the global net needs 2 samples per rank
        raise EngineError(f"batch_size {settings.batch_size} is too small for {world} processes: "
                          f"each trains on batch_size / {world} samples and needs at least 2")
    device = resolve_device(device)
    if resume is None and (Path(run_dir) / "last.pt").is_file():  # the same command again continues the run
        resume = Path(run_dir) / "last.pt"
        yield Preparing(f"resuming from {resume}")
    init = Path(settings.init) if settings.init else (SHIPPED_WEIGHTS if settings.start_from_shipped else None)
    if init is not None and not init.is_file():
        raise EngineError("no shipped colorization weights to start from; untick start_from_shipped")
    config = settings.net_config()
    if init is not None:  # fine-tuning keeps the starting file's network; the form sets the optimiser
        try:
            config = replace(ColorizationConfig(**read_weights(init)["config"]), lr=config.lr,
                             lr_final=config.lr_final, batch_size=config.batch_size, seed=config.seed,
                             source_cap=config.source_cap)
        except TypeError as exc:
            raise EngineError(f"{init.name} does not hold a colorization network's config ({exc})") from exc
    video = settings.video
    root = Path(settings.data_root) if settings.data_root else None
    if not video and not (Path(root or photos_dir()) / "index.json").is_file():
        # the default needs no download: fine-tune on the demo clip (the photo set stays an option)
        from engines import assets

        video = str(assets.require("vtest.avi"))
        yield Preparing(f"no photo set built: fine-tuning on the demo clip {Path(video).name}")
    if video:
        task: _TaskBase = VideoTrainTask(config, settings.steps, Path(video), init, device,
                                         rank=rank, world=world)
    else:
        task = PhotoTrainTask(config, settings.steps, root, device, init, rank=rank, world=world)
    loop = LoopSettings(settings.steps, settings.eval_every, settings.checkpoint_every)
    last = None
    for item in run_training(task, loop, Path(run_dir), stop, settings, resume):
        if last is not None:
            yield last
        last = item  # held back one step: the final one carries the exported file
    if last is not None and rank == 0 and not last.message.startswith("stopped:"):
        out = task.export(Path(run_dir) / "colorization.pt", {"step": last.step, **last.metrics},
                          settings.half_export)
        last = dataclasses.replace(last, message=f"exported {out.name}", checkpoint=str(out))
    if last is not None:
        yield last


RECIPE = TrainingRecipe(paper="colorization", title="Let there be Color!", config_type=ColorizationTrainSettings,
                        run=run)

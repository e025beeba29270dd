"""Distilling BlazePose into a Stacked Hourglass: the TrainTask and the pose tab's training recipe.

Targets follow the Stacked Hourglass paper: a Gaussian peak (sigma px on the heatmap grid) at each
teacher keypoint mapped to the 16 MPII joints, an all-zero map where the teacher is not confident.
Every stack's heatmaps are compared with the same targets (intermediate supervision, MSE per stack,
summed); RMSprop as in the paper. Evaluation: PCK@0.2 (torso-normalised, FLIC-style) of the last
stack's decoded keypoints against the teacher's, on held-out frames.

The recipe (`run`, `RECIPE`): the teacher (BlazePose + the detector's person box) labels frames of a
video and the student learns them live in the panel; each step's preview shows input | teacher target |
stack 1 | stack 2 heatmaps. Under torchrun every rank labels the same frames, takes every world-th crop
of each global batch and averages gradients; evaluation and the student export happen on rank 0.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from engines.base import StopFlag, TrainStep
from engines.distributed import average_gradients, shard
from engines.pose.config import DistillConfig, PoseDistillSettings
from engines.pose.data import DistillData, augment, torso_size
from engines.pose.decode import decode_heatmaps, gaussian_heatmaps, pck, to_heatmap_px, to_input_px
from engines.pose.model import StackedHourglassNet, stack_losses
from engines.training import TrainingRecipe


class DistillTask:
    """One RMSprop step on a batch of augmented crops; evaluate() -> PCK@0.2 on the held-out set.

    Batches are drawn with a generator seeded by (seed, step), so a resumed run sees the same data. With
    world > 1 (torchrun) this rank takes every world-th crop of that global batch, augments it with a
    generator seeded by (seed, step, rank) and averages gradients with the other ranks before the step.
    """

    def __init__(
        self, config: DistillConfig, train: DistillData, val: DistillData | None = None, device: str = "cpu",
        rank: int = 0, world: int = 1,
    ) -> None:
        import torch

        if len(train) == 0:
            raise ValueError("no training samples")
        if config.batch_size < world:
            raise ValueError(f"batch_size {config.batch_size} is smaller than the {world} processes")
        self.rank, self.world = rank, world
        self.config, self.train_data, self.val_data, self.device = config, train, val, device
        torch.manual_seed(config.seed)
        self.model = StackedHourglassNet(config.model).to(device)
        self.optimizer = torch.optim.RMSprop(self.model.parameters(), lr=config.lr)
        self.steps_per_epoch = max(1, len(train) // config.batch_size)
        self.last_batch: tuple[np.ndarray, np.ndarray] | None = None
        # the baseline a student must beat: the average training pose (crop px, scaled to the model input)
        seen = np.where((train.confidence >= config.min_confidence)[..., None], train.keypoints, np.nan)
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            mean = np.nanmean(seen, axis=0) * (config.model.input_size / train.size)
        self.mean_pose = np.nan_to_num(mean, nan=config.model.input_size / 2).astype(np.float32)  # (16, 2)

    # ---------------------------------------------------------------- batches
    def _prepare(
        self, data: DistillData, index: np.ndarray, rng: np.random.Generator | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Images (B, 3, S, S) in [0, 1], targets (B, K, S/4, S/4), points (B, K, 2) crop px, conf (B, K)."""
        size = self.config.model.input_size
        imgs, pts, confs = [], [], []
        for i in index:
            img, p, c = data.images[i], data.keypoints[i], data.confidence[i]
            if img.shape[0] != size:
                f = size / img.shape[0]
                img, p = cv2.resize(img, (size, size), interpolation=cv2.INTER_AREA), p * f
            if rng is not None and self.config.augment:
                img, p, c = augment(img, p, c, rng, self.config.rotate_deg)
            imgs.append(img)
            pts.append(p)
            confs.append(c)
        points, conf = np.stack(pts), np.stack(confs)
        hm = self.config.model.heatmap_size
        targets = gaussian_heatmaps(
            to_heatmap_px(points, size / hm), conf >= self.config.min_confidence, (hm, hm), self.config.sigma
        )
        x = np.stack(imgs).astype(np.float32).transpose(0, 3, 1, 2) / 255.0
        return x, targets, points, conf

    def _batch_index(self, rng: np.random.Generator) -> np.ndarray:
        """batch_size training indices; with photo_share, that share of them from the still-photo people."""
        n, batch = len(self.train_data), self.config.batch_size
        photos = np.flatnonzero(self.train_data.frame < 0)
        k = int(round(batch * self.config.photo_share)) if 0 < len(photos) < n else 0
        if k == 0:
            return rng.integers(0, n, batch)
        others = np.flatnonzero(self.train_data.frame >= 0)
        picks = photos[rng.integers(0, len(photos), k)], others[rng.integers(0, len(others), batch - k)]
        return np.concatenate(picks)

    def train_step(self, step: int) -> dict[str, float]:
        import torch

        rng = np.random.default_rng((self.config.seed, step))
        index = self._batch_index(rng)
        if self.world > 1:
            index = shard(index, self.rank, self.world)
            rng = np.random.default_rng((self.config.seed, step, self.rank))
        x, target, _, _ = self._prepare(self.train_data, index, rng)
        self.model.train()
        pred = self.model(torch.from_numpy(x).to(self.device))  # (B, stacks, K, h, w)
        losses = stack_losses(pred, torch.from_numpy(target).to(self.device))
        loss = torch.stack(losses).sum()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        average_gradients(self.model, self.world)
        self.optimizer.step()
        self.last_batch = (x[0], target[0])
        out = {"loss": float(loss.detach())}
        out.update({f"stack_{s + 1}": float(v.detach()) for s, v in enumerate(losses)})
        return out

    # ---------------------------------------------------------------- evaluation
    def predict(self, x: np.ndarray, batch: int = 16) -> np.ndarray:
        """Heatmaps of every stack for images (N, 3, S, S) float [0, 1] -> (N, stacks, K, h, w) float32."""
        import torch

        self.model.eval()
        outs = []
        with torch.inference_mode():
            for i in range(0, len(x), batch):
                outs.append(self.model(torch.from_numpy(x[i : i + batch]).to(self.device)).float().cpu().numpy())
        return np.concatenate(outs) if outs else np.zeros((0,), np.float32)

    def evaluate(self) -> dict[str, float]:
        """PCK@0.2 (torso), per-stack losses on up to eval_samples held-out crops (no augmentation); rank 0 only."""
        if self.rank != 0:
            return {}
        data = self.val_data if self.val_data is not None and len(self.val_data) else self.train_data
        n = min(len(data), self.config.eval_samples)
        index = np.linspace(0, len(data) - 1, n).astype(int)
        x, target, points, conf = self._prepare(data, index, None)
        heat = self.predict(x)  # (N, stacks, K, h, w)
        size = self.config.model.input_size
        hm = self.config.model.heatmap_size
        pred, _ = decode_heatmaps(np.clip(heat[:, -1], 0, None))
        pred = to_input_px(pred, size / hm)
        norm = torso_size(points, conf, self.config.min_confidence)
        keep = np.isfinite(norm)
        visible = (conf >= self.config.min_confidence) & keep[:, None]
        score, _ = pck(pred, points, visible, np.nan_to_num(norm, nan=1.0), 0.2)
        baseline, _ = pck(np.broadcast_to(self.mean_pose, points.shape), points, visible, np.nan_to_num(norm, nan=1.0))
        out = {"pck@0.2": score, "pck@0.2_mean_pose": baseline, "eval_samples": float(n)}
        for s in range(heat.shape[1]):
            out[f"val_stack_{s + 1}"] = float(np.mean((heat[:, s] - target) ** 2))
        return out

    def preview(self) -> np.ndarray | None:
        """BGR uint8 strip for the UI: input crop | teacher target | each stack's heatmaps (joint max)."""
        if self.last_batch is None:
            return None
        import torch

        x, target = self.last_batch
        self.model.eval()
        with torch.inference_mode():
            heat = self.model(torch.from_numpy(x[None]).to(self.device))[0].float().cpu().numpy()
        size = x.shape[1]
        tiles = [cv2.cvtColor((x.transpose(1, 2, 0) * 255).astype(np.uint8), cv2.COLOR_RGB2BGR)]
        for maps in [target, *heat]:
            m = np.clip(maps.max(axis=0), 0, 1)
            tiles.append(
                cv2.applyColorMap(
                    cv2.resize((m * 255).astype(np.uint8), (size, size), interpolation=cv2.INTER_NEAREST),
                    cv2.COLORMAP_JET,
                )
            )
        return np.concatenate(tiles, axis=1)

    # ---------------------------------------------------------------- loop contract
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        for group in self.optimizer.param_groups:  # the config's lr wins: resume with a lower lr to anneal
            group["lr"] = self.config.lr


def task_from_frames(
    frames: list[np.ndarray], teacher: object, config: DistillConfig | None = None, device: str = "cpu",
    rank: int = 0, world: int = 1, progress=None,
) -> DistillTask:
    """A live-training task from frames the user's source produced (BGR uint8, in capture order).

    teacher: a loaded BlazePose PoseEngine with a detector. The last 20% of the frames are held out.
    Raises ValueError when the teacher finds nobody to learn from. progress(done, total): frames labelled.
    """
    from engines.pose.data import label_frames

    config = config or DistillConfig()
    data = label_frames(enumerate(frames), teacher, config.model.input_size, progress=progress, total=len(frames))
    return task_from_labels(data, config, device, rank, world)


def task_from_labels(data, config: DistillConfig, device: str = "cpu", rank: int = 0, world: int = 1) -> DistillTask:
    """A task from teacher labels (engines.pose.data.DistillData): the last 20% of frames held out."""
    if len(data) == 0:
        raise ValueError("the teacher found no person in these frames")
    if len(set(data.frame.tolist())) < 5:
        return DistillTask(config, data, data, device, rank, world)
    train, val = data.split_by_time(0.2, gap=0)
    return DistillTask(config, train if len(train) else data, val, device, rank, world)


def _frames(video: Path, step: int, limit: int) -> list:
    from engines.base import EngineError
    from engines.frames import video_frames

    frames = [image for _, image in video_frames(video, step, limit)]
    if not frames:
        raise EngineError(f"{video.name} gave no frames to learn from")
    return frames


LABELS_VERSION = 1  # bump when the teacher or the labelling changes


def label_frames_of(video: Path, settings: PoseDistillSettings, teacher: object, progress=None):
    from engines.pose.data import label_frames

    frames = _frames(video, settings.frame_step, settings.max_frames)
    return label_frames(enumerate(frames), teacher, settings.input_size, progress=progress, total=len(frames))


def cached_labels(video: Path, settings: PoseDistillSettings, make):
    """Teacher labels for (video, frame_step, max_frames, input_size), from <data dir>/datasets or made once."""
    import hashlib

    from engines.assets import data_dir
    from engines.pose.data import DistillData

    st = video.stat()
    key = hashlib.sha1(f"{video.resolve()}|{st.st_size}|{st.st_mtime_ns}|{settings.frame_step}|"
                       f"{settings.max_frames}|{settings.input_size}|{LABELS_VERSION}".encode()).hexdigest()[:16]
    cache = data_dir() / "datasets" / f"pose-labels-{key}.npz"
    if cache.is_file():
        try:
            with np.load(cache, allow_pickle=False) as z:
                return DistillData(z["images"], z["keypoints"], z["confidence"], z["frame"], str(z["source"]))
        except (OSError, ValueError, KeyError):
            cache.unlink(missing_ok=True)  # a damaged cache is rebuilt
    data = make()
    cache.parent.mkdir(parents=True, exist_ok=True)
    tmp = cache.with_name(f".{cache.stem}.{os.getpid()}.tmp.npz")
    np.savez(tmp, images=data.images, keypoints=data.keypoints, confidence=data.confidence, frame=data.frame,
             source=np.array(data.source))
    os.replace(tmp, cache)
    return data


def run(settings: PoseDistillSettings, *, device: str, run_dir: Path, stop: StopFlag,
        resume: str | Path | None = None, rank: int = 0, world: int = 1) -> Iterator[TrainStep]:
    """Label frames with the teacher, train the student, export RUN_DIR/student.pt at the end (rank 0)."""
    from engines import assets
    from engines.pose.config import student_config
    from engines.pose.engine import PoseEngine
    from engines.pose.joints import MPII_NAMES
    from engines.pose.model import save_student
    from engines.runtime import resolve_device
    from engines.training import LoopSettings, run_training

    device = resolve_device(device)
    video = Path(settings.video) if settings.video else assets.require("vtest.avi")
    teacher = PoseEngine()
    teacher.load(None, "cpu")
    model = student_config().with_(stacks=settings.stacks, features=settings.features,
                                   input_size=settings.input_size, depth=3 if settings.input_size < 256 else 4)
    config = DistillConfig(model=model, batch_size=settings.batch_size, lr=settings.lr)
    from engines.training import prepare

    def work(progress):
        data = cached_labels(video, settings, lambda: label_frames_of(video, settings, teacher, progress))
        return task_from_labels(data, config, device, rank, world)

    task = yield from prepare(f"the teacher (BlazePose) labels frames of {video.name} (once per video and size)",
                              work, stop)
    if task is None:
        return
    loop = LoopSettings(settings.steps, settings.eval_every, settings.checkpoint_every)
    last = None
    for item in run_training(task, loop, Path(run_dir), stop, settings, resume):
        if rank == 0 and settings.preview_every and item.step % settings.preview_every == 0:
            item = dataclasses.replace(item, preview=task.preview())
        last = item
        yield item
    if rank == 0 and last is not None and not last.message.startswith("stopped:"):
        save_student(Path(run_dir) / "student.pt", task.model, MPII_NAMES, {"step": last.step, **last.metrics})


RECIPE = TrainingRecipe(paper="pose", title="Stacked Hourglass (distilled)", config_type=PoseDistillSettings,
                        run=run)

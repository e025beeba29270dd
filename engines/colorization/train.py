"""Training tasks for the colorization net, and the headless command.

PhotoTrainTask trains on the photo data set (data.py); VideoTrainTask fine-tunes a trained model
on the frames of one video (self-supervised: the frames are their own targets). Both follow
engines.training.TrainTask, so `run_training` checkpoints, resumes and guards them.

    python -m engines.colorization.train --build-data
    python -m engines.colorization.train --width 0.25 --steps 4000 --threads 1 --export out.pt
    python -m engines.colorization.train --resume RUN/last.pt ...      (same flags as the first run)
    python -m engines.colorization.train --video clip.avi --init colorization.pt --minutes 5
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.colorization.config import ColorizationConfig
from engines.colorization.data import Batch, PhotoSet, to_arrays
from engines.colorization.model import LetThereBeColorNet, colorization_loss

WEIGHTS_FORMAT = "paperzoo-colorization-1"


class _TaskBase:
    """Shared optimiser, schedule, state and evaluation; subclasses supply `_batch` and `val_crops`."""

    def __init__(
        self,
        config: ColorizationConfig,
        total_steps: int,
        device: str = "cpu",
        categories: list[str] | None = None,
    ) -> None:
        self.config = config
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

    def lr(self) -> float:
        return self._lr

    def _schedule(self, step: int) -> float:
        """Linear warm-up (min(200, total/10) steps), then cosine from config.lr to config.lr_final."""
        c = self.config
        warm = max(1, min(200, self.total_steps // 10))
        if step <= warm:
            return c.lr * step / warm
        t = min(1.0, (step - warm) / max(1, self.total_steps - warm))
        return c.lr_final + 0.5 * (c.lr - c.lr_final) * (1 + math.cos(math.pi * t))

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
        l_local, l_glob, ab_true, labels = self._tensors(self._batch())
        ab, logits = self.model(l_local, l_glob)
        losses = colorization_loss(ab, ab_true, logits, labels if self.categories else None, self.config.class_weight)
        self.optimizer.zero_grad(set_to_none=True)
        losses["loss"].backward()
        self.optimizer.step()
        return {k: float(v.detach()) for k, v in losses.items()}

    @torch.inference_mode()
    def evaluate(self) -> dict[str, float]:
        """Chroma MSE ([0, 1] units, as the loss) and class accuracy on the fixed validation crops."""
        if not self.val_crops:
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
        self.rng.bit_generator.state = json.loads(state["numpy_rng"])
        torch.set_rng_state(state["torch_rng"])

    def export(self, path: Path, meta: dict[str, Any] | None = None) -> Path:
        """Write the inference weights file that ColorizationEngine.load reads (weights_only)."""
        from engines.training import save_checkpoint

        payload = {
            "config": asdict(self.config),
            "categories": list(self.categories),
            "state_dict": {k: v.detach().cpu() for k, v in self.model.state_dict().items()},
            "meta": meta or {},
        }
        save_checkpoint(path, payload)
        return path


class PhotoTrainTask(_TaskBase):
    """Train (or fine-tune) on the photo data set. num_classes is taken from the data set's index."""

    def __init__(
        self,
        config: ColorizationConfig,
        total_steps: int,
        data_root: Path | None = None,
        device: str = "cpu",
        init_weights: Path | None = None,
    ) -> None:
        self.train_set = PhotoSet("train", data_root, config.max_crops)
        cats = self.train_set.categories
        config = replace(config, num_classes=len(cats))
        super().__init__(config, total_steps, device, cats)
        if init_weights is not None:
            _load_model_weights(self.model, init_weights)
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
    ) -> None:
        frames = read_frames(video, stride, max_frames)
        if len(frames) < 5:
            from engines.base import EngineError

            raise EngineError(f"{video} gave only {len(frames)} frames; need at least 5")
        categories: list[str] = []
        if init_weights is not None:
            payload = _weights_payload(init_weights)
            config = replace(
                ColorizationConfig(**payload["config"]),
                lr=config.lr,
                lr_final=config.lr_final,
                batch_size=config.batch_size,
                seed=config.seed,
            )
            categories = list(payload.get("categories", []))
        super().__init__(config, total_steps, device, None)
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

    def export(self, path: Path, meta: dict[str, Any] | None = None) -> Path:
        self.categories = self.class_names
        return super().export(path, meta)


def read_frames(video: Path, stride: int = 1, max_frames: int = 600, max_side: int = 320) -> list[np.ndarray]:
    """Every `stride`-th frame of a video as uint8 BGR (H, W, 3), downscaled to max_side."""
    import cv2

    cap = cv2.VideoCapture(str(video))
    frames, n = [], 0
    while len(frames) < max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        if n % stride == 0:
            s = max_side / max(frame.shape[:2])
            frames.append(cv2.resize(frame, None, fx=s, fy=s, interpolation=cv2.INTER_AREA) if s < 1 else frame)
        n += 1
    cap.release()
    return frames


def _center_square(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    s = min(h, w)
    return np.ascontiguousarray(image[(h - s) // 2 : (h - s) // 2 + s, (w - s) // 2 : (w - s) // 2 + s])


def _weights_payload(path: Path) -> dict[str, Any]:
    from engines.colorization.engine import read_weights

    return read_weights(path)


def _load_model_weights(model: torch.nn.Module, path: Path) -> None:
    payload = _weights_payload(path)
    own = model.state_dict()
    model.load_state_dict(
        {k: v for k, v in payload["state_dict"].items() if k in own and own[k].shape == v.shape}, strict=False
    )


def _progress(step: int, total: int, losses: dict[str, float], t0: float, start: int) -> None:
    done = step - start
    per = (time.perf_counter() - t0) / max(1, done)
    bar = "#" * int(30 * step / total)
    print(
        f"step {step:6d}/{total} [{bar:30s}] loss {losses['loss']:.5f} mse {losses['mse']:.5f} "
        f"ce {losses['ce']:.3f}  {per:.2f} s/step  eta {(total - step) * per / 60:5.1f} min",
        flush=True,
    )


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m engines.colorization.train", description=__doc__.split("\n")[0])
    p.add_argument("--build-data", action="store_true", help="download the photo packages and build the set")
    p.add_argument("--add-folder", type=Path, help="add a folder of your own colour photos to the set")
    p.add_argument("--width", type=float, default=0.25)
    p.add_argument("--no-global", action="store_true", help="the ablation: no global features")
    p.add_argument("--global-size", type=int, default=128)
    p.add_argument("--local-size", type=int, default=128)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--steps", type=int, default=4000)
    p.add_argument("--minutes", type=float, default=0.0, help="stop (with a checkpoint) after this long")
    p.add_argument("--eval-every", type=int, default=250)
    p.add_argument("--checkpoint-every", type=int, default=100)
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a busy 2-core box)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--run-dir", type=Path)
    p.add_argument("--resume", type=Path, help="a last.pt from an earlier run with the same flags")
    p.add_argument("--init", type=Path, help="start from these weights (fine-tuning)")
    p.add_argument("--video", type=Path, help="fine-tune self-supervised on this video's frames")
    p.add_argument("--export", type=Path, help="write the inference weights file here at the end")
    return p


def _make_task(a: argparse.Namespace) -> _TaskBase:
    config = ColorizationConfig(
        width=a.width,
        use_global=not a.no_global,
        global_size=a.global_size,
        local_size=a.local_size,
        batch_size=a.batch,
        lr=a.lr,
        lr_final=a.lr / 10,
        seed=a.seed,
    )
    if a.video:
        return VideoTrainTask(config, a.steps, a.video, a.init)
    return PhotoTrainTask(config, a.steps, init_weights=a.init)


def _train(task: _TaskBase, a: argparse.Namespace) -> None:
    """Run the loop with a text progress line every 20 steps; export at the end if asked."""
    from engines.training import LoopSettings, new_run_dir, run_training

    run_dir = a.run_dir or (a.resume.parent if a.resume else new_run_dir("colorization"))
    params = sum(p.numel() for p in task.model.parameters()) / 1e6
    print(
        f"run dir {run_dir}; {params:.2f} M parameters; {task.steps_per_epoch} steps/epoch; "
        f"{len(task.val_crops)} validation crops",
        flush=True,
    )
    if a.init is not None and a.resume is None:
        start = "  ".join(f"{k} {v:.5f}" for k, v in task.evaluate().items())
        print(f"  eval before training (the --init weights): {start}", flush=True)
    t0, deadline = time.perf_counter(), time.monotonic() + a.minutes * 60 if a.minutes else math.inf
    settings = LoopSettings(a.steps, a.eval_every, a.checkpoint_every)
    first, last = None, 0
    for ts in run_training(task, settings, run_dir, lambda: time.monotonic() > deadline, task.config, a.resume):
        first = ts.step - 1 if first is None else first
        last = ts.step
        if ts.message:
            print(ts.message, flush=True)
        if ts.step % 20 == 0 or ts.evaluated:
            _progress(ts.step, ts.total_steps, dict(ts.losses), t0, first)
        if ts.evaluated:
            print("  eval " + "  ".join(f"{k} {v:.5f}" for k, v in ts.metrics.items()), flush=True)
    if a.export:
        meta = {
            "steps": last,
            "minutes_this_session": round((time.perf_counter() - t0) / 60, 1),
            "command": " ".join(sys.argv),
            "metrics": dict(task.evaluate()),
        }
        task.export(a.export, meta)
        print(f"exported {a.export}", flush=True)


def main(argv: list[str] | None = None) -> int:
    from engines.base import EngineError

    a = _parser().parse_args(argv)
    torch.set_num_threads(a.threads)
    try:
        if a.build_data or a.add_folder:
            from engines.colorization.data import add_folder, build_dataset

            if a.build_data:
                print(f"index written: {build_dataset()}")
            if a.add_folder:
                print(f"added {add_folder(a.add_folder)} photos from {a.add_folder}")
            return 0
        _train(_make_task(a), a)
    except EngineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

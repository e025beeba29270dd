"""Training YOLOv2: the YoloV2TrainTask (one step, evaluation, exact resume), the panel's RECIPE and its `run`.

Resume is exact: the image order is a seeded permutation per epoch plus a position; augmentation
noise comes from numpy generators seeded by (seed, step, rank) and the crop size from
(seed, step // multiscale_every), so no hidden generator state exists beyond the torch RNG state,
which the checkpoint carries with the model, optimiser and position.
Under torch.distributed each rank takes every world-th image of the global batch; DDP averages grads.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch

from engines.base import EngineError, StopFlag, TrainStep
from engines.detection.anchors import kmeans_anchors, mean_best_iou
from engines.detection.config import YoloV2TrainConfig
from engines.detection.data import DetectionSet, ImageCache, crop_batch, read_detection_folder, to_input
from engines.detection.loss import yolov2_loss
from engines.detection.model import YoloV2Layout, YoloV2Net, seed_from_darknet
from engines.training import LoopSettings, TrainingRecipe, new_run_dir, run_training

STRIDE = 32


def build_model(config: YoloV2TrainConfig, classes: int, anchors_cells: np.ndarray) -> YoloV2Net:
    layout = (YoloV2Layout.tiny if config.variant == "tiny" else YoloV2Layout.darknet19)(config.width)
    return YoloV2Net(classes, anchors_cells, layout)


def seed_weights(model: YoloV2Net, name: str) -> int:
    """Fine-tuning start from imported Darknet weights; returns the number of conv layers copied."""
    if name in ("", "none"):
        return 0
    from engines.detection.engine import DarknetWeights
    from engines.importers.darknet import load_darknet

    if name != "yolov3-tiny":
        raise EngineError(f"init_weights {name!r}: use 'yolov3-tiny' or 'none'")
    w = DarknetWeights.default()
    return seed_from_darknet(model, load_darknet(w.cfg, w.weights))


class YoloV2TrainTask:
    """See engines.training.TrainTask. data: a DetectionSet (default: read from config.data)."""

    def __init__(self, config: YoloV2TrainConfig, device: str = "cpu", data: DetectionSet | None = None,
                 rank: int = 0, world: int = 1) -> None:
        self.config, self.rank, self.world = config, rank, world
        if data is None:
            if not config.data:
                raise EngineError("choose a data folder (YOLO txt or Pascal VOC) to train on")
            data = read_detection_folder(config.data)
        self.data, self.cache = data, ImageCache()
        self.device = torch.device(device)
        wh = data.all_boxes()
        if len(wh) == 0:
            raise EngineError("the training images hold no boxes: nothing to learn")
        anchors_norm = kmeans_anchors(wh, config.anchors, seed=config.seed)  # (A, 2) of the image size
        self.anchor_iou = mean_best_iou(wh, anchors_norm)
        self.anchors = anchors_norm * (config.input_size / STRIDE)  # grid cells at the eval input size
        torch.manual_seed(config.seed)
        self.model = build_model(config, len(data.names), self.anchors)
        self.model.init_detector_bias()
        self.seeded = seed_weights(self.model, config.init_weights)
        self.frozen = list(self.model.stage1_16)[: min(config.freeze_stages, 5)]
        if config.freeze_stages > 5:
            self.frozen.append(self.model.stage32)
        for m in self.frozen:
            m.requires_grad_(False)
        self.model.to(self.device)
        if self.device.type == "cpu":
            self.model.to(memory_format=torch.channels_last)
        self.net: torch.nn.Module = self.model
        if world > 1:
            ids = [self.device.index] if self.device.type == "cuda" else None
            self.net = torch.nn.parallel.DistributedDataParallel(self.model, device_ids=ids)
        params = [p for p in self.model.parameters() if p.requires_grad]
        self.opt = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
        self.steps_per_epoch = max(1, len(data.train) // config.batch_size)
        self.epoch, self.position, self.step = 0, 0, 0
        self._order = self._permutation(0)
        self._anchor_t = torch.from_numpy(self.anchors)
        counts = np.bincount(np.concatenate([s.classes for s in data.train]), minlength=len(data.names))
        self.class_weights = 1.0 / np.maximum(counts, 1)  # class-balanced focus crops

    def _permutation(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.config.seed, epoch]).permutation(len(self.data.train))

    def _next_indices(self) -> np.ndarray:
        b = self.config.batch_size
        if self.position + b > len(self._order):
            self.epoch, self.position = self.epoch + 1, 0
            self._order = self._permutation(self.epoch)
        idx = self._order[self.position:self.position + b]
        self.position += b
        return idx[self.rank::self.world]

    def crop_size(self, step: int) -> int:
        """Multi-scale: a multiple of 32 in [crop_min, crop_max], new every multiscale_every steps."""
        c = self.config
        sizes = np.arange(c.crop_min, c.crop_max + 1, STRIDE)
        return int(np.random.default_rng([c.seed, step // c.multiscale_every, 7]).choice(sizes))

    def lr(self) -> float:
        """Linear warm-up, then cosine decay to 5% of learning_rate at `steps`."""
        c, s = self.config, max(self.step, 1)
        if s <= c.warmup_steps:
            return c.learning_rate * s / max(c.warmup_steps, 1)
        frac = min(1.0, (s - c.warmup_steps) / max(1, c.steps - c.warmup_steps))
        return c.learning_rate * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))

    def _train_mode(self) -> None:
        self.model.train()
        for m in self.frozen:
            m.eval()  # frozen stages keep their imported BN statistics

    def train_step(self, step: int) -> Mapping[str, float]:
        """One AdamW step on a batch of crops; returns loss (total), box, obj, noobj, cls."""
        c = self.config
        self.step = step
        idx = self._next_indices()
        rng = np.random.default_rng([c.seed, step, self.rank, 1])
        size = self.crop_size(step)
        images, targets = crop_batch([self.data.train[i] for i in idx], self.cache, rng, size, c.input_size,
                                     c.scale_jitter, c.jitter, c.hsv, c.focus_crops, self.class_weights)
        x = torch.from_numpy(images).to(self.device)
        if self.device.type == "cpu":
            x = x.contiguous(memory_format=torch.channels_last)
        self._train_mode()
        for g in self.opt.param_groups:
            g["lr"] = self.lr()
        t = self.net(x)
        terms = yolov2_loss(t, [torch.from_numpy(tg) for tg in targets], self._anchor_t, len(self.data.names),
                            object_scale=c.object_scale, noobject_scale=c.noobject_scale,
                            coord_scale=c.coord_scale, class_scale=c.class_scale, ignore_thresh=c.ignore_thresh)
        self.opt.zero_grad(set_to_none=True)
        terms["loss"].backward()
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), 10.0)
        self.opt.step()
        return {k: float(v.detach()) for k, v in terms.items()}

    @torch.no_grad()
    def predict(self, images: list[np.ndarray], conf: float = 0.005, nms: float = 0.45) -> list:
        """BGR uint8 images -> Detections (source pixels) with the current weights at input_size."""
        from engines.detection.decode import decode_rows

        self.model.eval()
        x = torch.from_numpy(np.stack([to_input(im, self.config.input_size) for im in images])).to(self.device)
        rows = self.model(x).float().cpu().numpy()
        return [decode_rows(r, im.shape[:2], self.data.names, conf, nms) for r, im in zip(rows, images)]

    def evaluate(self) -> dict[str, float]:
        """mAP@0.5 (COCOeval, see engines.detection.evaluate) on the val split at input_size; rank 0 only."""
        from engines.detection.evaluate import ImageBoxes, map50

        if self.rank != 0:
            return {}
        samples = self.data.val or self.data.train[: max(1, len(self.data.train) // 10)]
        if self.config.max_val_images:
            samples = samples[:: max(1, math.ceil(len(samples) / self.config.max_val_images))]
        truth, dets = [], []
        for a in range(0, len(samples), 8):
            part = samples[a:a + 8]
            images = [self.cache.load(s.image) for s in part]
            for s, im, det in zip(part, images, self.predict(images)):
                h, w = im.shape[:2]
                b = s.boxes
                xyxy = np.column_stack([(b[:, 0] - b[:, 2] / 2) * w, (b[:, 1] - b[:, 3] / 2) * h,
                                        (b[:, 0] + b[:, 2] / 2) * w, (b[:, 1] + b[:, 3] / 2) * h])
                truth.append(ImageBoxes(xyxy, s.classes))
                dets.append(ImageBoxes(det.boxes, det.class_ids, det.scores))
        self._train_mode()
        return map50(truth, dets, self.data.names)

    def state_dict(self) -> dict[str, Any]:
        return {"model": self.model.state_dict(), "optimizer": self.opt.state_dict(),
                "epoch": self.epoch, "position": self.position, "step": self.step,
                "torch_rng": torch.get_rng_state(), "anchors": torch.from_numpy(self.anchors.copy()),
                "names": list(self.data.names), "config": self.config.to_dict()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if list(state.get("names", [])) != list(self.data.names):
            raise EngineError(f"the checkpoint was trained on classes {state.get('names')}, "
                              f"this data has {self.data.names}")
        anchors = state["anchors"].numpy().astype(np.float32)
        if anchors.shape != self.anchors.shape:
            raise EngineError("the checkpoint has a different number of anchors")
        self.anchors = anchors
        self.model.anchors = anchors
        self.model.region.anchors.copy_(torch.from_numpy(anchors))
        self._anchor_t = torch.from_numpy(anchors)
        try:
            self.model.load_state_dict(state["model"])
        except RuntimeError as exc:
            raise EngineError(f"the checkpoint does not fit this model ({str(exc).splitlines()[0]})") from exc
        self.opt.load_state_dict(state["optimizer"])
        self.epoch, self.position, self.step = int(state["epoch"]), int(state["position"]), int(state["step"])
        self._order = self._permutation(self.epoch)
        torch.set_rng_state(state["torch_rng"])


def export_task(task: YoloV2TrainTask, stem: Path) -> tuple[Path, Path, Path]:
    """Darknet cfg/weights/names of the task's current model (what DetectionEngine loads)."""
    from engines.detection.export import export_darknet

    seen = task.step * task.config.batch_size
    return export_darknet(task.model, list(task.data.names), stem, task.config.input_size, seen)


def run(config: YoloV2TrainConfig, *, device: str = "cpu", run_dir: str | Path | None = None,
        stop: StopFlag = lambda: False, resume: str | Path | None = None, rank: int = 0,
        world: int = 1) -> Iterator[TrainStep]:
    """The panel's entry point (data "": the demo clip, pseudo-labelled): train with run_training, exporting
    RUN_DIR/yolov2.cfg/.weights/
    .names at every checkpoint. Evaluation (mAP@0.5, held-out split) every eval_every_epochs epochs and at the end.
    """
    from engines.runtime import resolve_device
    from engines.training import prepare

    device = resolve_device(device)
    if not config.data:  # the default: the demo clip, labelled by the pretrained teacher (built once)
        from engines.detection.pseudo_labels import demo_set

        data = yield from prepare("labelling the demo clip with YOLOv3-tiny (once)", demo_set, stop)
        if data is None:
            return
        config = dataclasses.replace(config, data=str(data))
    task = YoloV2TrainTask(config, device, rank=rank, world=world)
    settings = LoopSettings(total_steps=config.steps, eval_every=task.steps_per_epoch * config.eval_every_epochs,
                            checkpoint_every=config.checkpoint_every)
    run_dir = Path(run_dir) if run_dir is not None else new_run_dir("detection")
    last: TrainStep | None = None
    for item in run_training(task, settings, run_dir, stop, config, resume):
        if item.checkpoint and rank == 0:
            cfg, _, _ = export_task(task, run_dir / "yolov2")
            item = dataclasses.replace(item, message=(item.message + " " if item.message else "")
                                       + f"exported {cfg.with_suffix('.weights').name}")
        last = item
        yield item
    if rank == 0 and last is not None and last.checkpoint is None and "NaN" not in last.message:
        export_task(task, run_dir / "yolov2")  # a stop's checkpoint is written after the last yield


RECIPE = TrainingRecipe(paper="detection", title="YOLOv2", config_type=YoloV2TrainConfig, run=run)

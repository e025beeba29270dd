"""YoloV2TrainConfig: every knob of a YOLOv2 training run (the training panel turns the fields into a form)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class YoloV2TrainConfig:
    """Sizes in input pixels; input_size / crop sizes must be multiples of 32 (the net's stride).

    data: a YOLO-format or VOC folder (engines.detection.data); "" = the demo clip labelled by the teacher.
    variant: "tiny" (2 CPU cores) or
    "darknet19" (the paper's). init_weights: "yolov3-tiny" seeds the first convs from the COCO
    YOLOv3-tiny (width 1.0 tiny only), "none" starts from scratch. freeze_stages: how many of the
    first backbone stages keep their seeded weights fixed. Training runs on random crop x crop
    windows of the frame resized to about input_size (crop drawn every multiscale_every steps
    among multiples of 32 in [crop_min, crop_max]); a focus_crops share of them is placed around a
    box drawn class-balanced. Evaluation and export use the full frame at input_size.
    """

    data: str = ""
    variant: str = "tiny"
    width: float = 1.0
    init_weights: str = "yolov3-tiny"
    freeze_stages: int = 2
    anchors: int = 5
    input_size: int = 576
    crop_min: int = 128
    crop_max: int = 224
    multiscale_every: int = 10
    batch_size: int = 16
    steps: int = 650
    learning_rate: float = 1e-3
    weight_decay: float = 5e-4
    warmup_steps: int = 100
    object_scale: float = 5.0
    noobject_scale: float = 1.0
    coord_scale: float = 1.0
    class_scale: float = 1.0
    ignore_thresh: float = 0.6
    jitter: float = 0.1
    scale_jitter: float = 0.25
    hsv: float = 0.3
    focus_crops: float = 0.5
    eval_every_epochs: int = 5
    max_val_images: int = 0
    checkpoint_every: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        if self.variant not in ("tiny", "darknet19"):
            raise ValueError("variant must be 'tiny' or 'darknet19'")
        if not 0.05 <= self.width <= 4:
            raise ValueError("width must be in [0.05, 4]")
        for name in ("input_size", "crop_min", "crop_max"):
            v = getattr(self, name)
            if v < 32 or v % 32:
                raise ValueError(f"{name} must be a positive multiple of 32 (got {v})")
        if self.crop_min > self.crop_max:
            raise ValueError("crop_min must not exceed crop_max")
        positive = ("anchors", "multiscale_every", "batch_size", "steps", "eval_every_epochs", "learning_rate")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        for name in ("freeze_stages", "warmup_steps", "max_val_images", "checkpoint_every", "weight_decay",
                     "object_scale", "noobject_scale", "coord_scale", "class_scale", "jitter", "hsv"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.freeze_stages > 6:
            raise ValueError("freeze_stages must be in 0..6")
        if not 0 <= self.focus_crops <= 1:
            raise ValueError("focus_crops must be in [0, 1]")
        if not 0 < self.ignore_thresh <= 1:
            raise ValueError("ignore_thresh must be in (0, 1]")
        if not 0 <= self.scale_jitter < 1 or self.jitter >= 0.5:
            raise ValueError("scale_jitter must be in [0, 1) and jitter below 0.5")

    @classmethod
    def tiny(cls, **overrides) -> YoloV2TrainConfig:
        """A seconds-long configuration for tests: width 0.125, 64 px, batch 2, no seeding."""
        base = dict(width=0.125, init_weights="none", freeze_stages=0, input_size=64, crop_min=64, crop_max=64,
                    batch_size=2, steps=4, warmup_steps=1, checkpoint_every=2, multiscale_every=2)
        return cls(**{**base, **overrides})

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> YoloV2TrainConfig:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

"""Every config of the pose paper: the Stacked Hourglass, the distillation recipe and the panel's form."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class HourglassConfig:
    """joints K; stacks; features (channels through the hourglass, paper: 256); depth (max-pool
    steps per hourglass, paper: 4); blocks (residual modules per branch/step); input_size (px, square)."""

    joints: int = 16
    stacks: int = 2
    features: int = 256
    depth: int = 4
    blocks: int = 1
    input_size: int = 256

    def __post_init__(self) -> None:
        if self.joints < 1 or self.stacks < 1 or self.blocks < 1 or self.depth < 1:
            raise ValueError("joints, stacks, blocks and depth must be >= 1")
        if self.features < 8 or self.features % 4:
            raise ValueError("features must be a multiple of 4 and >= 8")
        # upper bounds: a 1.5 MB file must not make us build a 6 GB network (the paper: 8 stacks, 256 features)
        for name, top in (("joints", 64), ("stacks", 8), ("features", 512), ("depth", 6), ("blocks", 4),
                          ("input_size", 512)):
            if getattr(self, name) > top:
                raise ValueError(f"{name}={getattr(self, name)} is larger than {top}")
        if self.input_size % (4 * 2**self.depth):
            raise ValueError(
                f"input_size must be divisible by {4 * 2**self.depth} (stem /4, then depth pools)"
            )

    @property
    def heatmap_size(self) -> int:
        """Output heatmap side in px: input / 4 (the stem's stride-2 conv and its max pool)."""
        return self.input_size // 4

    @staticmethod
    def tiny() -> HourglassConfig:
        """For tests: 2 stacks at 64 px input, 16 feature channels."""
        return HourglassConfig(joints=16, stacks=2, features=16, depth=2, blocks=1, input_size=64)

    def with_(self, **changes: int) -> HourglassConfig:
        return replace(self, **changes)


def student_config() -> HourglassConfig:
    """The shipped student: 2 stacks, 64 features, 128 px input (32x32 heatmaps) - trainable on a CPU."""
    return HourglassConfig(joints=16, stacks=2, features=64, depth=3, blocks=1, input_size=128)


@dataclass(frozen=True)
class DistillConfig:
    """model: the student; lr for RMSprop (paper: 2.5e-4); sigma: target Gaussian (heatmap px);
    min_confidence: teacher confidence below which a joint's target is all zeros; photo_share: the share of
    each batch drawn from people in still photos (frame index -1) when there are any (0: drawn like the rest)."""

    model: HourglassConfig = field(default_factory=student_config)
    batch_size: int = 16
    lr: float = 2.5e-4
    sigma: float = 1.0
    min_confidence: float = 0.5
    augment: bool = True
    rotate_deg: float = 30.0
    eval_samples: int = 400
    seed: int = 0
    photo_share: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.photo_share <= 1:
            raise ValueError(f"photo_share must be in [0, 1], got {self.photo_share}")
        if self.batch_size < 1:
            raise ValueError("batch_size must be >= 1")
        if not self.lr > 0:
            raise ValueError("lr must be > 0")
        if not self.sigma > 0:
            raise ValueError("sigma must be > 0")
        if not 0 <= self.min_confidence <= 1:
            raise ValueError("min_confidence must be in [0, 1]")
        if self.model.joints != 16:
            raise ValueError("the distilled student predicts the 16 MPII joints")

    @staticmethod
    def tiny() -> DistillConfig:
        return DistillConfig(model=HourglassConfig.tiny(), batch_size=4, lr=1e-3, eval_samples=8)


@dataclass(frozen=True)
class PoseDistillSettings:
    """video: frames to learn from ("" = the street video asset); sizes in px; every N-th frame used."""

    video: str = ""
    frame_step: int = 4
    max_frames: int = 200
    steps: int = 600
    stacks: int = 2
    features: int = 64
    input_size: int = 128
    batch_size: int = 16
    lr: float = 2.5e-4
    eval_every: int = 50
    checkpoint_every: int = 50
    preview_every: int = 10

    def __post_init__(self) -> None:
        for name in ("frame_step", "max_frames", "steps", "stacks", "features", "batch_size", "eval_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if self.input_size % 32 or self.input_size < 64:
            raise ValueError("input_size must be a multiple of 32, at least 64")
        if not 0 < self.lr < 1:
            raise ValueError("lr must be in (0, 1)")

    @staticmethod
    def tiny() -> PoseDistillSettings:
        """For tests: a few frames, a 2-stack 16-feature student at 64 px."""
        return PoseDistillSettings(frame_step=8, max_frames=8, steps=3, features=16, input_size=64, batch_size=4,
                                   eval_every=2, checkpoint_every=2, preview_every=1)

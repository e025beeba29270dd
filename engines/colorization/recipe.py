"""The colorization tab's training recipe: train on the photo set, or fine-tune on a video (self-supervised).

Colour frames are their own targets (L in, a*b* out), so any colour video can teach the network;
the last fifth of a video is held out for the validation figures.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engines.base import StopFlag, TrainStep
from engines.training import TrainingRecipe


@dataclass(frozen=True)
class ColorizationTrainSettings:
    """video: a colour video to fine-tune on ("" = the photo data set); start_from_shipped: fine-tune the
    shipped weights (else train from scratch). width/use_global only apply from scratch."""

    video: str = ""
    start_from_shipped: bool = True
    steps: int = 300
    width: float = 0.25
    use_global: bool = True
    batch_size: int = 8
    lr: float = 3e-4
    eval_every: int = 50
    checkpoint_every: int = 50

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1 or self.eval_every < 1:
            raise ValueError("steps, batch_size and eval_every must be positive")
        if not 0 < self.lr < 1:
            raise ValueError("lr must be in (0, 1)")
        if self.video and not Path(self.video).is_file():
            raise ValueError(f"no video at {self.video}")


def run(settings: ColorizationTrainSettings, *, device: str, run_dir: Path, stop: StopFlag,
        resume: str | Path | None = None) -> Iterator[TrainStep]:
    """Train, then export RUN_DIR/colorization.pt (what ColorizationEngine.load reads)."""
    from engines.base import EngineError
    from engines.colorization.config import ColorizationConfig
    from engines.colorization.engine import SHIPPED_WEIGHTS
    from engines.colorization.train import PhotoTrainTask, VideoTrainTask
    from engines.runtime import resolve_device
    from engines.training import LoopSettings, run_training

    device = resolve_device(device)
    init = SHIPPED_WEIGHTS if settings.start_from_shipped else None
    if init is not None and not init.is_file():
        raise EngineError("no shipped colorization weights to start from; untick start_from_shipped")
    config = ColorizationConfig(width=settings.width, use_global=settings.use_global, batch_size=settings.batch_size,
                                lr=settings.lr, lr_final=settings.lr / 10)
    if settings.video:
        task = VideoTrainTask(config, settings.steps, Path(settings.video), init, device)
    else:
        task = PhotoTrainTask(config, settings.steps, None, device, init)
    loop = LoopSettings(settings.steps, settings.eval_every, settings.checkpoint_every)
    last = None
    for item in run_training(task, loop, Path(run_dir), stop, settings, resume):
        if last is not None:
            yield last
        last = item  # held back one step: the final one carries the exported file
    if last is not None and not last.message.startswith("stopped:"):
        out = task.export(Path(run_dir) / "colorization.pt", {"step": last.step, **last.metrics})
        last = dataclasses.replace(last, message=f"exported {out.name}", checkpoint=str(out))
    if last is not None:
        yield last


RECIPE = TrainingRecipe(paper="colorization", title="Let there be Color!", config_type=ColorizationTrainSettings,
                        run=run)

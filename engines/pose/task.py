"""The pose tab's training recipe: distil BlazePose's heatmaps into a Stacked Hourglass, live in the panel.

The teacher (BlazePose + the detector's person box) labels frames of a video; the student learns
Gaussian heatmaps of the 16 MPII joints with RMSprop and intermediate supervision on every stack.
Each step's preview shows input | teacher target | stack 1 | stack 2 heatmaps.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

from engines.base import StopFlag, TrainStep
from engines.pose.config import PoseDistillSettings
from engines.training import TrainingRecipe


def _frames(video: Path, step: int, limit: int) -> list:
    from engines.base import EngineError
    from engines.frames import video_frames

    frames = [image for _, image in video_frames(video, step, limit)]
    if not frames:
        raise EngineError(f"{video.name} gave no frames to learn from")
    return frames


def run(settings: PoseDistillSettings, *, device: str, run_dir: Path, stop: StopFlag,
        resume: str | Path | None = None, rank: int = 0, world: int = 1) -> Iterator[TrainStep]:
    """Label frames with the teacher, train the student, export RUN_DIR/student.pt at the end."""
    if world > 1:
        from engines.base import EngineError

        raise EngineError("pose distillation runs in one process (torchrun with more than one is not supported yet)")
    from engines import assets
    from engines.pose.config import DistillConfig, student_config
    from engines.pose.distill import task_from_frames
    from engines.pose.engine import PoseEngine
    from engines.pose.joints import MPII_NAMES
    from engines.pose.student import save_student
    from engines.runtime import resolve_device
    from engines.training import LoopSettings, run_training

    device = resolve_device(device)
    video = Path(settings.video) if settings.video else assets.require("vtest.avi")
    teacher = PoseEngine()
    teacher.load(None, "cpu")
    model = student_config().with_(stacks=settings.stacks, features=settings.features,
                                   input_size=settings.input_size, depth=3 if settings.input_size < 256 else 4)
    config = DistillConfig(model=model, batch_size=settings.batch_size, lr=settings.lr)
    task = task_from_frames(_frames(video, settings.frame_step, settings.max_frames), teacher, config, device)
    loop = LoopSettings(settings.steps, settings.eval_every, settings.checkpoint_every)
    last = None
    for item in run_training(task, loop, Path(run_dir), stop, settings, resume):
        if settings.preview_every and item.step % settings.preview_every == 0:
            item = dataclasses.replace(item, preview=task.preview())
        last = item
        yield item
    if last is not None and not last.message.startswith("stopped:"):
        save_student(Path(run_dir) / "student.pt", task.model, MPII_NAMES, {"step": last.step, **last.metrics})


RECIPE = TrainingRecipe(paper="pose", title="Stacked Hourglass (distilled)", config_type=PoseDistillSettings,
                        run=run)

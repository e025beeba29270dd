"""How well a pose student does on still photos: PCK@0.2 against the BlazePose teacher on every person the
detector finds (box >= 48 px tall, teacher presence >= 0.5) in photos, beside the mean-pose baseline.

`python -m engines.pose.cli photo-pck [--student S.pt] [PHOTO_OR_FOLDER ...]`; default photos: every image of
the colorization photo set (if built) and the demo photos of people (bus.jpg, zidane.jpg).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from engines.frames import IMAGE_SUFFIXES


def default_photos() -> list[Path]:
    from engines import assets

    found = [assets.asset_path(n) for n in ("bus.jpg", "zidane.jpg")]
    photo_set = assets.data_dir() / "colorization" / "photos"
    if photo_set.is_dir():
        found += sorted(p for p in photo_set.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    return [p for p in found if p.is_file()]


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given; folders -> their images (recursively)."""
    out: list[Path] = []
    for p in paths:
        out += sorted(q for q in p.rglob("*") if q.suffix.lower() in IMAGE_SUFFIXES) if p.is_dir() else [p]
    return out


def photo_pck(student_path: Path, photos: list[Path]) -> dict[str, float]:
    """{'people', 'pck@0.2', 'pck@0.2_mean_pose'} of the student on the teacher-labelled people in `photos`."""
    from engines.pose.config import DistillConfig
    from engines.pose.data import label_frames, photo_frames
    from engines.pose.engine import PoseEngine
    from engines.pose.model import load_student
    from engines.pose.task import DistillTask

    student, _, _ = load_student(student_path)
    teacher = PoseEngine(crop_scale=2.0, refine=0)
    teacher.load()
    data = label_frames(photo_frames(photos), teacher, student.config.input_size, min_box_px=48)
    if len(data) == 0:
        return {"people": 0.0}
    task = DistillTask(DistillConfig(model=student.config), data, data)
    task.model.load_state_dict(student.state_dict())
    task.model.eval()
    scores = task.evaluate()
    return {"people": float(len(data)), "photos": float(len(photos)), "pck@0.2": scores["pck@0.2"],
            "pck@0.2_mean_pose": scores["pck@0.2_mean_pose"]}

"""Turn a video or image folder into a labelled YOLO-format set, with the pretrained YOLOv3-tiny as teacher.

    python -m engines.detection.cli pseudo-labels VIDEO_OR_FOLDER --classes person,car --out DIR

The held-out split is by source, never by neighbouring frame: with several videos (a folder of
videos) whole videos go to val; with one video or one image sequence the last `val_fraction` of the
frames form the val segment and `gap` frames before it are dropped, so no training frame sits next
to a val frame. Output: DIR/classes.txt, DIR/images/{train,val}/*.jpg, DIR/labels/{train,val}/*.txt,
DIR/pseudo_labels.json (source, teacher, thresholds, frame ranges).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engines.base import EngineError
from engines.detection.data import write_yolo_labels
from engines.frames import IMAGE_SUFFIXES, VIDEO_SUFFIXES, open_video, video_frames


@dataclass(frozen=True)
class Frame:
    """One source frame: which source it came from, its index there, and the BGR uint8 image."""

    source: str
    index: int
    image: np.ndarray


def frame_count(path: Path) -> int:
    """Frames in a video (decoded, not the container's guess) or images in a folder."""
    if path.is_dir():
        return len([p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES])
    cap = open_video(path)  # its declared frame size checked before anything is decoded
    n = 0
    while cap.grab():
        n += 1
    cap.release()
    return n


def read_frames(path: Path, every: int = 1) -> Iterator[Frame]:
    """Frames of a video file or a folder of images (sorted by name), every `every`-th one."""
    if path.is_dir():
        for i, p in enumerate(sorted(q for q in path.iterdir() if q.suffix.lower() in IMAGE_SUFFIXES)):
            if i % every == 0:
                image = cv2.imread(str(p), cv2.IMREAD_COLOR)
                if image is not None:
                    yield Frame(p.stem, i, image)
        return
    for i, image in video_frames(path, every):
        yield Frame(path.stem, i, image)


def split_sources(source: Path, val_fraction: float, gap: int) -> list[tuple[Path, dict[str, tuple[int, int]]]]:
    """Decide each source's frame ranges per split: [(path, {"train": (a, b), "val": (c, d)})], end exclusive."""
    if not 0 < val_fraction < 1:
        raise ValueError("val_fraction must be in (0, 1)")
    videos = [source] if source.is_file() else sorted(p for p in source.iterdir()
                                                       if p.suffix.lower() in VIDEO_SUFFIXES)
    if source.is_dir() and len(videos) >= 2:  # whole videos held out
        n_val = max(1, round(len(videos) * val_fraction))
        return [(v, {"train" if i < len(videos) - n_val else "val": (0, 1 << 62)}) for i, v in enumerate(videos)]
    path = videos[0] if videos else source
    n = frame_count(path)
    if n < 3:
        raise EngineError(f"{path} has {n} frames: too few to split into train and val")
    val_start = n - max(1, round(n * val_fraction))
    train_end = max(1, val_start - gap)
    return [(path, {"train": (0, train_end), "val": (val_start, n)})]


def teacher_labels(detect: Callable[[np.ndarray], object], image: np.ndarray,
                   class_map: dict[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Run the teacher on a BGR image; keep the chosen classes -> (boxes cxcywh normalised, new class ids)."""
    det = detect(image)
    h, w = image.shape[:2]
    keep = np.array([int(c) in class_map for c in det.class_ids], bool)
    xyxy = det.boxes[keep].astype(np.float32).reshape(-1, 4)
    boxes = np.column_stack([(xyxy[:, 0] + xyxy[:, 2]) / 2 / w, (xyxy[:, 1] + xyxy[:, 3]) / 2 / h,
                             (xyxy[:, 2] - xyxy[:, 0]) / w, (xyxy[:, 3] - xyxy[:, 1]) / h]).astype(np.float32)
    classes = np.array([class_map[int(c)] for c in det.class_ids[keep]], np.int64)
    ok = (boxes[:, 2] > 1e-3) & (boxes[:, 3] > 1e-3)
    return boxes[ok].reshape(-1, 4), classes[ok]


def build_pseudo_labels(source: str | Path, classes: list[str], out: str | Path, *, val_fraction: float = 0.25,
                        gap: int = 50, every: int = 1, conf: float = 0.3, nms: float = 0.45,
                        progress: Callable[[int, int], None] | None = None) -> dict:
    """Label every `every`-th frame of `source` with the YOLOv3-tiny COCO teacher; write a YOLO set to `out`.

    classes: COCO names to keep (e.g. ["person", "car"]), renumbered 0.. in this order.
    Returns the summary also written to out/pseudo_labels.json.
    """
    from engines.detection.engine import DetectionEngine

    source, out = Path(source), Path(out)
    if not source.exists():
        raise EngineError(f"{source} does not exist")
    teacher = DetectionEngine()
    teacher.load(None, "cpu")
    class_map: dict[int, int] = {}
    for new_id, name in enumerate(classes):
        if name not in teacher.names:
            raise EngineError(f"the teacher does not know class {name!r} (COCO names, e.g. person, car)")
        class_map[teacher.names.index(name)] = new_id
    plan = split_sources(source, val_fraction, gap)
    out.mkdir(parents=True, exist_ok=True)
    (out / "classes.txt").write_text("\n".join(classes) + "\n", encoding="utf-8")
    summary: dict = {"source": str(source), "classes": classes, "teacher": "yolov3-tiny COCO (416)",
                     "conf": conf, "nms": nms, "every": every, "gap": gap, "splits": [],
                     "counts": {"train": 0, "val": 0}, "boxes": {"train": 0, "val": 0}}
    done, total = 0, sum(min(b, 10 ** 9) - a for _, ranges in plan for a, b in ranges.values())
    for path, ranges in plan:
        summary["splits"].append({"path": str(path), **{k: list(v) for k, v in ranges.items()}})
        for frame in read_frames(path, every):
            split = next((k for k, (a, b) in ranges.items() if a <= frame.index < b), None)
            if split is None:
                continue
            boxes, ids = teacher_labels(lambda im: teacher.infer(im, conf, nms), frame.image, class_map)
            stem = f"{frame.source}_{frame.index:06d}"
            (out / "images" / split).mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out / "images" / split / f"{stem}.jpg"), frame.image, [cv2.IMWRITE_JPEG_QUALITY, 92])
            write_yolo_labels(out / "labels" / split / f"{stem}.txt", boxes, ids)
            summary["counts"][split] += 1
            summary["boxes"][split] += len(ids)
            done += every
            if progress:
                progress(min(done, total), total)
    (out / "pseudo_labels.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    return summary


DEMO_CLASSES = ("person", "car")


def demo_set(progress: Callable[[int, int], None] | None = None, every: int = 4) -> Path:
    """The default training set: the demo street clip labelled by the teacher (built once, then reused).

    Lives in <data dir>/datasets/detection-demo; built in a temp folder and renamed, so a build that was
    interrupted is never taken for a finished one.
    """
    import shutil

    from engines import assets

    out = assets.data_dir() / "datasets" / "detection-demo"
    if (out / "pseudo_labels.json").is_file():
        return out
    tmp = out.with_name(out.name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    build_pseudo_labels(assets.require("vtest.avi"), list(DEMO_CLASSES), tmp, every=every, progress=progress)
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    return out

"""Distillation data: person crops labelled by the BlazePose teacher, mapped to the 16 MPII joints.

A sample is one detected person: the square crop at the student's input size (RGB uint8), the
teacher's keypoints in that crop's pixels, their confidences, and the source frame's index (for
a held-out split by time segment). Augmentation follows the paper: flip, rotation, scale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engines.pose.joints import MPII_NAMES, blazepose_to_mpii, swap_permutation
from engines.pose.result import crop_square

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DistillData:
    """images uint8 (N, S, S, 3) RGB; keypoints float32 (N, 16, 2) crop px; confidence float32 (N, 16);
    frame int32 (N,) source frame index (-1 for still photos); source: a label of where frames came from."""

    images: np.ndarray
    keypoints: np.ndarray
    confidence: np.ndarray
    frame: np.ndarray
    source: str = ""

    def __len__(self) -> int:
        return len(self.images)

    @property
    def size(self) -> int:
        return int(self.images.shape[1])

    def subset(self, index: np.ndarray) -> DistillData:
        return DistillData(
            self.images[index], self.keypoints[index], self.confidence[index], self.frame[index], self.source
        )

    def split_by_time(self, val_fraction: float = 0.2, gap: int = 10) -> tuple[DistillData, DistillData]:
        """(train, held-out): held-out = the last `val_fraction` of the video's frames; `gap` frames
        before that segment are dropped so near-duplicate neighbours do not leak. Photos train."""
        frames = self.frame[self.frame >= 0]
        if len(frames) == 0:
            raise ValueError("no video frames to hold out")
        cut = int(frames.min() + (1 - val_fraction) * (frames.max() - frames.min() + 1))
        val = self.frame >= cut
        train = self.frame < cut - gap
        return self.subset(np.flatnonzero(train)), self.subset(np.flatnonzero(val))

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(
            tmp,
            images=self.images,
            keypoints=self.keypoints,
            confidence=self.confidence,
            frame=self.frame,
            source=np.array(self.source),
        )
        tmp.replace(path)
        return path

    @staticmethod
    def load(path: Path) -> DistillData:
        with np.load(path, allow_pickle=False) as z:
            return DistillData(z["images"], z["keypoints"], z["confidence"], z["frame"], str(z["source"]))



def label_frames(
    frames: Iterable[tuple[int, np.ndarray]],
    teacher: object,
    size: int,
    min_box_px: float = 24.0,
    min_presence: float = 0.5,
    max_people: int = 8,
    progress: Progress | None = None,
    total: int = 0,
) -> DistillData:
    """Run the teacher (a loaded BlazePose PoseEngine with a detector) on every person in `frames`.

    Keeps people whose box is at least `min_box_px` tall and whose teacher presence is >= min_presence.
    """
    images, kps, conf, index = [], [], [], []
    for n, (fi, frame) in enumerate(frames):
        det = teacher.detector.infer(frame, conf=teacher.min_person_score)
        people = [
            (b, s)
            for b, s, label in zip(det.boxes, det.scores, det.labels, strict=True)
            if label == "person" and b[3] - b[1] >= min_box_px
        ]
        for box, score in sorted(people, key=lambda p: -p[1])[:max_people]:
            res = teacher.infer_box(frame, box, float(score))
            if not res.found or res.presence < min_presence:
                continue
            crop_box = res.crop_box
            pts, c = blazepose_to_mpii(res.keypoints, res.confidence)
            scale = size / float(crop_box[2] - crop_box[0])
            images.append(cv2.cvtColor(crop_square(frame, crop_box, size), cv2.COLOR_BGR2RGB))
            kps.append((pts - crop_box[:2]) * scale)
            conf.append(c)
            index.append(fi)
        if progress:
            progress(n + 1, total)
    if not images:
        return DistillData(
            np.zeros((0, size, size, 3), np.uint8),
            np.zeros((0, 16, 2), np.float32),
            np.zeros((0, 16), np.float32),
            np.zeros(0, np.int32),
        )
    return DistillData(
        np.stack(images),
        np.stack(kps).astype(np.float32),
        np.stack(conf).astype(np.float32),
        np.asarray(index, np.int32),
    )


def concat(parts: Iterable[DistillData], source: str = "") -> DistillData:
    parts = [p for p in parts if len(p)]
    return DistillData(
        np.concatenate([p.images for p in parts]),
        np.concatenate([p.keypoints for p in parts]),
        np.concatenate([p.confidence for p in parts]),
        np.concatenate([p.frame for p in parts]),
        source,
    )


_SWAP = swap_permutation(MPII_NAMES)


def augment(
    image: np.ndarray,
    points: np.ndarray,
    conf: np.ndarray,
    rng: np.random.Generator,
    rotate_deg: float = 30.0,
    scale: tuple[float, float] = (0.75, 1.25),
    flip: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Random flip (left/right joints swapped), rotation within +-rotate_deg and scaling about the centre.

    image (S, S, 3) uint8, points (16, 2) crop px, conf (16,). Joints pushed outside the crop get conf 0.
    """
    s = image.shape[0]
    pts, c = points.astype(np.float32).copy(), conf.copy()
    if flip and rng.random() < 0.5:
        image = image[:, ::-1]
        pts[:, 0] = (s - 1) - pts[:, 0]
        pts, c = pts[_SWAP], c[_SWAP]
    angle = float(rng.uniform(-rotate_deg, rotate_deg)) if rng.random() < 0.6 else 0.0
    m = cv2.getRotationMatrix2D(((s - 1) / 2, (s - 1) / 2), angle, float(rng.uniform(*scale)))
    image = cv2.warpAffine(
        np.ascontiguousarray(image),
        m,
        (s, s),
        flags=cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=0,
    )
    pts = pts @ m[:, :2].T + m[:, 2]
    inside = (pts >= 0).all(axis=1) & (pts <= s - 1).all(axis=1)
    return image, pts.astype(np.float32), np.where(inside, c, 0.0).astype(np.float32)


def torso_size(points: np.ndarray, conf: np.ndarray, min_conf: float = 0.5) -> np.ndarray:
    """FLIC-style PCK reference: the longer torso diagonal (shoulder to opposite hip), (N,) px; NaN if hidden.

    points (N, 16, 2), conf (N, 16) in MPII order (right_hip 2, left_hip 3, shoulders 12 and 13).
    """
    d1 = np.linalg.norm(points[:, 12] - points[:, 3], axis=-1)
    d2 = np.linalg.norm(points[:, 13] - points[:, 2], axis=-1)
    ok = (conf[:, [2, 3, 12, 13]] >= min_conf).all(axis=1)
    return np.where(ok, np.maximum(d1, d2), np.nan).astype(np.float32)


def photo_frames(paths: Iterable[Path]) -> Iterator[tuple[int, np.ndarray]]:
    """Still photos as frames with index -1 (they always go to the training split)."""
    for p in paths:
        img = cv2.imread(str(p))
        if img is not None:
            yield -1, img

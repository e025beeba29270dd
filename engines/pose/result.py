"""PoseResult (frozen, CPU numpy) and the crop geometry shared by every pose backend."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engines.base import frozen_array


@dataclass(frozen=True)
class PoseResult:
    """One person's pose in one frame.

    keypoints  float32 (K, 2) (x, y) in source-frame pixels
    confidence float32 (K,) in [0, 1] (BlazePose: sigmoid(visibility); Hourglass: heatmap peak)
    heatmaps   float32 (K, h, w) in [0, 1], over the square crop (BlazePose 39x64x64, Hourglass K x S/4 x S/4)
    crop_box   float32 (4,) xyxy source px of the square crop fed to the model (may extend past the frame)
    person_box float32 (4,) xyxy source px of the person box the crop came from
    found      False for the "no person" result: arrays keep their shapes, filled with zeros
    presence   the model's whole-person score in [0, 1] (BlazePose `Identity_1`; Hourglass: mean confidence)
    others     the other people found in the same frame (each a PoseResult without `others`), most prominent first
    """

    keypoints: np.ndarray
    confidence: np.ndarray
    heatmaps: np.ndarray
    crop_box: np.ndarray
    person_box: np.ndarray
    joint_names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    image_hw: tuple[int, int]
    found: bool = True
    presence: float = 0.0
    person_score: float = 0.0
    model: str = ""
    backend: str = ""
    elapsed_ms: float = 0.0
    message: str = ""
    others: tuple[PoseResult, ...] = ()

    @property
    def people(self) -> tuple[PoseResult, ...]:
        """Everyone found: this person first, then the others (empty when no one was found)."""
        return ((self,) if self.found else ()) + self.others

    @staticmethod
    def no_person(
        image_hw: tuple[int, int],
        joint_names: tuple[str, ...],
        edges: tuple[tuple[int, int], ...],
        heatmap_hw: tuple[int, int],
        model: str = "",
        backend: str = "",
        elapsed_ms: float = 0.0,
        message: str = "no person found",
    ) -> PoseResult:
        k = len(joint_names)
        return PoseResult(
            frozen_array(np.zeros((k, 2), np.float32)),
            frozen_array(np.zeros(k, np.float32)),
            frozen_array(np.zeros((k, *heatmap_hw), np.float32)),
            frozen_array(np.zeros(4, np.float32)),
            frozen_array(np.zeros(4, np.float32)),
            joint_names,
            edges,
            image_hw,
            False,
            0.0,
            0.0,
            model,
            backend,
            elapsed_ms,
            message,
        )


def square_box(box: np.ndarray, scale: float = 1.25) -> np.ndarray:
    """The square xyxy box centred on `box` (xyxy px) with side = scale x its longer side."""
    x0, y0, x1, y1 = (float(v) for v in box)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    half = max(x1 - x0, y1 - y0, 1.0) * scale / 2
    return np.array([cx - half, cy - half, cx + half, cy + half], np.float32)


def crop_square(image: np.ndarray, crop_box: np.ndarray, size: int) -> np.ndarray:
    """Resample the square `crop_box` (xyxy px) of `image` (H, W, C) to (size, size, C); outside is black."""
    x0, y0, x1, _ = (float(v) for v in crop_box)
    s = size / (x1 - x0)
    m = np.array([[s, 0.0, -x0 * s], [0.0, s, -y0 * s]], np.float32)
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    return cv2.warpAffine(image, m, (size, size), flags=interp, borderMode=cv2.BORDER_CONSTANT, borderValue=0)


def crop_to_frame(points: np.ndarray, crop_box: np.ndarray, size: int) -> np.ndarray:
    """Points (K, 2) in crop pixels (0..size) -> source-frame pixels."""
    x0, y0, x1, _ = (float(v) for v in crop_box)
    scale = (x1 - x0) / size
    out = np.asarray(points, np.float32) * scale
    out[:, 0] += x0
    out[:, 1] += y0
    return out


def frame_to_crop(points: np.ndarray, crop_box: np.ndarray, size: int) -> np.ndarray:
    """Inverse of crop_to_frame: source-frame pixels (K, 2) -> crop pixels."""
    x0, y0, x1, _ = (float(v) for v in crop_box)
    out = np.asarray(points, np.float32).copy()
    out[:, 0] -= x0
    out[:, 1] -= y0
    return out * (size / (x1 - x0))


def pick_person(boxes: np.ndarray, scores: np.ndarray) -> int | None:
    """Index of the most prominent person (score x area), or None when there is none."""
    if len(boxes) == 0:
        return None
    area = (boxes[:, 2] - boxes[:, 0]).clip(0) * (boxes[:, 3] - boxes[:, 1]).clip(0)
    return int(np.argmax(scores * area))


def person_at(people: tuple[PoseResult, ...], point: tuple[float, float]) -> int:
    """Index of the person whose box holds `point` (x, y frame px; the smallest such box), else the nearest box
    centre's; -1 when there is no one."""
    if not people:
        return -1
    x, y = point
    boxes = np.stack([p.person_box for p in people])
    inside = (boxes[:, 0] <= x) & (x <= boxes[:, 2]) & (boxes[:, 1] <= y) & (y <= boxes[:, 3])
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    if inside.any():
        return int(np.flatnonzero(inside)[np.argmin(area[inside])])
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    return int(np.argmin(np.hypot(centres[:, 0] - x, centres[:, 1] - y)))

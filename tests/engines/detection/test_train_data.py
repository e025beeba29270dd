"""Training data: crops keep boxes on their objects; the pseudo-label builder splits by time with a gap."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engines.detection.data import augment, crop_sample, read_yolo_folder
from engines.detection.pseudo_labels import build_pseudo_labels, split_sources
from tests.conftest import require_assets


def _video(path: Path, frames: int, size=(96, 64)) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, size)
    for i in range(frames):
        writer.write(np.full((size[1], size[0], 3), (i * 7) % 255, np.uint8))
    writer.release()
    return path


def _box_pixels_are_red(image_chw: np.ndarray, target: np.ndarray) -> bool:
    size = image_chw.shape[1]
    for _, cx, cy, _w, _h in target:
        x, y = int(cx * size), int(cy * size)
        r, g, b = image_chw[:, y, x]
        if not (r > 0.8 and g < 0.2 and b < 0.2):
            return False
    return True


@pytest.mark.parametrize("crop", [64, 160])
def test_crop_keeps_boxes_on_their_objects(crop: int):
    image = np.full((120, 200, 3), 128, np.uint8)
    cv2.rectangle(image, (40, 30), (79, 89), (0, 0, 255), -1)  # red (BGR) box: x 40..79, y 30..89
    boxes = np.array([[60 / 200, 60 / 120, 40 / 200, 60 / 120]], np.float32)
    rng = np.random.default_rng(3)
    seen = 0
    for _ in range(20):
        aug, b, keep = augment(image, boxes, rng, jitter=0.1, hsv=0.0)
        chw, target = crop_sample(aug, b[keep], np.zeros(int(keep.sum()), np.int64), rng, crop, 128, 0.2)
        assert chw.shape == (3, crop, crop) and target.shape[1] == 5
        assert ((target[:, 1:] >= 0) & (target[:, 1:] <= 1)).all()
        assert _box_pixels_are_red(chw, target)
        seen += len(target)
    assert seen > 0


def test_time_split_with_gap(tmp_path: Path):
    video = _video(tmp_path / "clip.avi", 30)
    [(path, ranges)] = split_sources(video, 0.25, gap=5)
    assert path == video
    assert ranges == {"train": (0, 17), "val": (22, 30)}  # 8 val frames, 5 dropped, no frame in both


def test_split_by_whole_video(tmp_path: Path):
    for i in range(4):
        _video(tmp_path / f"v{i}.avi", 3)
    plan = split_sources(tmp_path, 0.25, gap=5)
    assert [next(iter(r)) for _, r in plan] == ["train", "train", "train", "val"]


def test_builder_writes_a_yolo_set(tmp_path: Path):
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")
    video = _video(tmp_path / "clip.avi", 8)
    summary = build_pseudo_labels(video, ["person", "car"], tmp_path / "set", val_fraction=0.25, gap=2)
    assert summary["counts"] == {"train": 4, "val": 2}
    data = read_yolo_folder(tmp_path / "set")
    assert data.names == ["person", "car"] and len(data.train) == 4 and len(data.val) == 2
    assert data.val[0].image.name == "clip_000006.jpg"
    with pytest.raises(Exception, match="teacher does not know"):
        build_pseudo_labels(video, ["unicorn"], tmp_path / "bad")


def test_focus_crop_contains_the_chosen_box():
    image = np.full((300, 400, 3), 128, np.uint8)
    cv2.rectangle(image, (360, 10), (379, 39), (0, 0, 255), -1)  # a small red box in the top-right corner
    boxes = np.array([[370 / 400, 25 / 300, 20 / 400, 30 / 300]], np.float32)
    rng = np.random.default_rng(0)
    for _ in range(10):
        chw, target = crop_sample(image, boxes, np.zeros(1, np.int64), rng, 96, 256, 0.2, focus=0)
        assert len(target) == 1 and _box_pixels_are_red(chw, target)

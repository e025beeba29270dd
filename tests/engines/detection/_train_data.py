"""A synthetic YOLO-format set for the YOLOv2 training tests: coloured rectangles on noise, two classes."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engines.detection.data import write_yolo_labels

NAMES = ["red", "blue"]


def make_yolo_set(root: Path, n_train: int = 8, n_val: int = 4, size: int = 64, seed: int = 0) -> Path:
    """root/classes.txt + images/{train,val} + labels/{train,val}; 1-2 boxes per image."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("\n".join(NAMES) + "\n")
    for split, n in (("train", n_train), ("val", n_val)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        for i in range(n):
            img = rng.integers(90, 140, (size, size, 3), dtype=np.uint8)
            boxes, classes = [], []
            for _ in range(int(rng.integers(1, 3))):
                c = int(rng.integers(0, 2))
                w, h = int(rng.integers(size // 5, size // 2)), int(rng.integers(size // 5, size // 2))
                x, y = int(rng.integers(0, size - w)), int(rng.integers(0, size - h))
                cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), (0, 0, 230) if c == 0 else (230, 0, 0), -1)
                boxes.append([(x + w / 2) / size, (y + h / 2) / size, w / size, h / size])
                classes.append(c)
            cv2.imwrite(str(root / "images" / split / f"im{i:03d}.png"), img)
            write_yolo_labels(root / "labels" / split / f"im{i:03d}.txt", np.array(boxes, np.float32),
                              np.array(classes))
    return root

"""A real frame of the demo street clip with many people (frame 160: YOLOv3-tiny finds ten, BlazePose confirms
eight), for the pose-for-everyone tests."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engines.assets import asset_path


def street_frame(index: int = 160) -> np.ndarray:
    """BGR uint8 (576, 768, 3) frame `index` of vtest.avi."""
    cap = cv2.VideoCapture(str(asset_path("vtest.avi")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, index)
    ok, frame = cap.read()
    cap.release()
    assert ok, f"vtest.avi has no frame {index}"
    return frame


def street_photo(folder: Path, index: int = 160) -> Path:
    """The frame written as a PNG in `folder` (a still-photo source)."""
    path = Path(folder) / f"street{index}.png"
    cv2.imwrite(str(path), street_frame(index))
    return path

"""A real frame of the demo street clip with many people (frame 160: YOLOv3-tiny finds ten, BlazePose confirms
eight), for the pose-for-everyone tests."""

from __future__ import annotations

from pathlib import Path

import cv2

from engines.pose.bench_people import street_frame


def street_photo(folder: Path, index: int = 160) -> Path:
    """The frame written as a PNG in `folder` (a still-photo source)."""
    path = Path(folder) / f"street{index}.png"
    cv2.imwrite(str(path), street_frame(index))
    return path

"""Frames for calibration and accuracy gates: the demo clip shipped in assets/media."""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import cv2
import numpy as np

DEMO_CLIP = Path(__file__).resolve().parents[2] / "assets" / "media" / "demo_street.webm"


def demo_frames(count: int = 48, step: int = 5, clip: Path = DEMO_CLIP) -> list[np.ndarray]:
    """`count` BGR uint8 frames of the demo clip, every `step`-th frame (looping if the clip is short)."""
    cap = cv2.VideoCapture(str(clip))
    frames: list[np.ndarray] = []
    i = 0
    while len(frames) < count:
        ok, frame = cap.read()
        if not ok:
            if i == 0:
                break
            cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            i, step = 0, max(1, step - 1)  # loop with a new phase: no frame twice
            continue
        if i % step == 0:
            frames.append(frame)
        i += 1
    cap.release()
    return frames


@functools.lru_cache(maxsize=8)
def demo_frames_signature(count: int = 48, step: int = 5, clip: Path = DEMO_CLIP) -> str:
    """Names the frames demo_frames(count, step, clip) gives, by the clip's sha256: for the gate memo."""
    h = hashlib.sha256()
    with open(clip, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return f"{clip.name}:{h.hexdigest()[:16]}:{count}:{step}"

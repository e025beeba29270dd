"""Full-resolution colorization in bounded memory: the photo is only read, and written strip by strip.

The net sees a small copy; its a*b* (h, w, 2) are upsampled to (H, W) and joined with the photo's
own lightness. Done on the whole photo at once this needs about 50 bytes per pixel (4.5 GB for
90 MP); here each strip of about `STRIP_PIXELS` is converted, upsampled and composited alone, so
the only full-size arrays are the two uint8 outputs (6 bytes per pixel). The upsampling gives the
same floats as `cv2.resize(ab, (W, H), INTER_LINEAR)` whatever the strip height.
"""

from __future__ import annotations

import cv2
import numpy as np

from engines.colorization.lab import bgr_to_lab, to_gray_bgr

STRIP_PIXELS = 1 << 20  # pixels per strip (about 60 MB of temporaries)


def check_image(image: np.ndarray) -> None:
    """ValueError unless `image` is uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4)."""
    if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(f"expected uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {image.dtype} {image.shape}")


def small_lightness(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """L in [0, 100] float32 (h, w) of `image` (uint8 gray/BGR/BGRA) area-resized to size = (w, h).

    Resized first, converted second (no full-size copy), as the training crops are (data.to_arrays)."""
    return bgr_to_lab(to_gray_bgr(cv2.resize(image, size, interpolation=cv2.INTER_AREA)))[..., 0]


def _rows_up(ab: np.ndarray, width: int, height: int, y0: int, y1: int) -> np.ndarray:
    """Rows y0..y1 of cv2.resize(ab, (width, height), INTER_LINEAR) for an upsampling (height >= h).

    ab: float32 (h, w, 2). Same arithmetic as OpenCV: horizontal pass, then rows blended with
    float32 weights at fy = (y + 0.5) * h / height - 0.5, source rows clamped to the edge."""
    h = ab.shape[0]
    fy = ((np.arange(y0, y1) + 0.5) * (1.0 / (height / h)) - 0.5).astype(np.float32)
    sy = np.floor(fy)
    fy = (fy - sy)[:, None, None]
    sy = sy.astype(np.int64)
    r0, r1 = np.clip(sy, 0, h - 1), np.clip(sy + 1, 0, h - 1)
    lo, hi = int(r0.min()), int(r1.max())
    wide = cv2.resize(ab[lo:hi + 1], (width, hi + 1 - lo), interpolation=cv2.INTER_LINEAR)  # (n, W, 2)
    return wide[r0 - lo] * (np.float32(1.0) - fy) + wide[r1 - lo] * fy


def compose(image: np.ndarray, ab: np.ndarray, strip_rows: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(colorized, gray): uint8 BGR (H, W, 3) each, from `image`'s lightness and `ab` upsampled.

    image: uint8 (H, W), (H, W, 1), (H, W, 3) or (H, W, 4); ab: float32 (h, w, 2) in Lab units.
    strip_rows: rows per strip (default: STRIP_PIXELS // W); the result does not depend on it."""
    height, width = image.shape[:2]
    rows = max(1, strip_rows or STRIP_PIXELS // width)
    upsampling = height >= ab.shape[0] and width >= ab.shape[1]
    whole = None if upsampling else cv2.resize(ab, (width, height), interpolation=cv2.INTER_LINEAR)  # small photo
    colorized = np.empty((height, width, 3), np.uint8)
    gray = np.empty((height, width, 3), np.uint8)
    for y0 in range(0, height, rows):
        y1 = min(height, y0 + rows)
        lab = cv2.cvtColor(to_gray_bgr(np.ascontiguousarray(image[y0:y1])), cv2.COLOR_BGR2Lab)  # L*255/100, ab+128
        big_ab = _rows_up(ab, width, height, y0, y1) if whole is None else whole[y0:y1]  # (n, W, 2) Lab units
        lab[..., 1:] = 128
        gray[y0:y1] = cv2.cvtColor(lab, cv2.COLOR_Lab2BGR)
        lab[..., 1:] = np.clip(big_ab + 128.0 + 0.5, 0, 255).astype(np.uint8)
        colorized[y0:y1] = cv2.cvtColor(lab, cv2.COLOR_Lab2BGR)
    return colorized, gray

"""CIE Lab conversion (OpenCV, D65) and the network's normalised units.

Units: L in [0, 100]; a*, b* roughly in [-110, 110] for sRGB colours. The network sees
L / 100 in [0, 1] and predicts chroma as (ab + 128) / 256 in [0, 1] (its sigmoid output).
"""

from __future__ import annotations

import cv2
import numpy as np

AB_OFFSET = 128.0
AB_SCALE = 256.0


def bgr_to_lab(bgr: np.ndarray) -> np.ndarray:
    """uint8 BGR (H, W, 3) -> float32 Lab (H, W, 3): L in [0, 100], a*, b* in about [-110, 110]."""
    if bgr.dtype != np.uint8 or bgr.ndim != 3 or bgr.shape[2] != 3:
        raise ValueError(f"expected uint8 (H, W, 3) BGR, got {bgr.dtype} {bgr.shape}")
    return cv2.cvtColor(bgr.astype(np.float32) / 255.0, cv2.COLOR_BGR2Lab)


def lab_to_bgr(lab: np.ndarray) -> np.ndarray:
    """float32 Lab (H, W, 3) -> uint8 BGR (H, W, 3); out-of-gamut colours are clipped."""
    bgr = cv2.cvtColor(np.ascontiguousarray(lab, dtype=np.float32), cv2.COLOR_Lab2BGR)
    return np.clip(bgr * 255.0 + 0.5, 0, 255).astype(np.uint8)


def gray_of(bgr: np.ndarray) -> np.ndarray:
    """The lightness-only version of a BGR image: Lab with a* = b* = 0, as uint8 BGR (H, W, 3)."""
    lab = bgr_to_lab(bgr)
    lab[..., 1:] = 0.0
    return lab_to_bgr(lab)


def to_gray_bgr(image: np.ndarray) -> np.ndarray:
    """Accept gray (H, W), (H, W, 1), BGR (H, W, 3) or BGRA (H, W, 4) uint8; return uint8 BGR (H, W, 3)."""
    if image.dtype != np.uint8:
        raise ValueError(f"expected a uint8 image, got {image.dtype}")
    if image.ndim == 2 or (image.ndim == 3 and image.shape[2] == 1):
        return cv2.cvtColor(image.reshape(image.shape[:2]), cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise ValueError(f"expected (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {image.shape}")


def ab_to_unit(ab: np.ndarray) -> np.ndarray:
    """a*b* (..., 2) in Lab units -> the network's [0, 1] target."""
    return (ab + AB_OFFSET) / AB_SCALE


def unit_to_ab(unit: np.ndarray) -> np.ndarray:
    """The network's [0, 1] output (..., 2) -> a*b* in Lab units."""
    return unit * AB_SCALE - AB_OFFSET


def colourfulness(bgr: np.ndarray) -> float:
    """Hasler & Suesstrunk (2003) colourfulness M of a uint8 BGR image (0 = gray; ~100+ = very vivid)."""
    b, g, r = (bgr[..., i].astype(np.float64) for i in range(3))
    rg, yb = r - g, 0.5 * (r + g) - b
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))

"""Stroke formats and conversions (numpy only, no torch).

Three formats, all with y pointing down (SVG / screen frame):

* polylines: ``list[float32[n_i, 2]]`` of absolute points, one array per pen-down stroke.
* stroke-3 (QuickDraw files): ``float32[N, 3]`` rows ``(dx, dy, lift)``; ``dx, dy`` is the offset from
  the previous point (the first row's offset is from the origin), ``lift = 1`` on the last point of
  a stroke (the pen leaves the paper after it).
* stroke-5 (sketch-rnn): ``float32[N, 5]`` rows ``(dx, dy, p1, p2, p3)`` with one-hot pen state:
  p1 = pen stays down to the next point, p2 = pen lifts after this point, p3 = drawing has ended
  (rows after the end are padding).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def rdp(points: np.ndarray, epsilon: float) -> np.ndarray:
    """Ramer-Douglas-Peucker simplification of one polyline (float[n, 2]) by the `simplification` library."""
    points = np.asarray(points, dtype=np.float64)
    if epsilon <= 0 or len(points) < 3:
        return points.astype(np.float32)
    from simplification.cutil import simplify_coords

    return np.asarray(simplify_coords(np.ascontiguousarray(points), float(epsilon)), dtype=np.float32)


def polylines_to_stroke3(polylines: Sequence[np.ndarray], origin: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """Absolute polylines -> stroke-3 float32[N, 3]; the first offset is measured from `origin`."""
    lines = [np.asarray(p, dtype=np.float32).reshape(-1, 2) for p in polylines if len(p)]
    if not lines:
        return np.zeros((0, 3), dtype=np.float32)
    pts = np.concatenate(lines)
    lift = np.concatenate([np.eye(1, len(p), len(p) - 1, dtype=np.float32)[0] for p in lines])
    prev = np.vstack([np.asarray(origin, dtype=np.float32)[None], pts[:-1]])
    return np.column_stack([pts - prev, lift]).astype(np.float32)


def stroke3_to_polylines(s3: np.ndarray, origin: tuple[float, float] = (0.0, 0.0)) -> list[np.ndarray]:
    """stroke-3 float[N, 3] -> absolute polylines (inverse of `polylines_to_stroke3`)."""
    s3 = np.asarray(s3, dtype=np.float32)
    if len(s3) == 0:
        return []
    pts = np.cumsum(s3[:, :2], axis=0) + np.asarray(origin, dtype=np.float32)
    ends = np.flatnonzero(s3[:, 2] > 0.5) + 1
    if len(ends) == 0 or ends[-1] != len(s3):
        ends = np.append(ends, len(s3))
    starts = np.concatenate([[0], ends[:-1]])
    return [pts[a:b] for a, b in zip(starts, ends, strict=True) if b > a]


def stroke3_to_stroke5(s3: np.ndarray, max_len: int | None = None) -> np.ndarray:
    """stroke-3 float[N, 3] -> stroke-5 float32[max_len or N, 5], padded with (0, 0, 0, 0, 1) rows.

    The last real point keeps p2 = 1 (pen lifts); padding rows carry p3 (end of drawing).
    """
    s3 = np.asarray(s3, dtype=np.float32)
    n = len(s3)
    length = n if max_len is None else max_len
    if n > length:
        raise ValueError(f"drawing has {n} points, more than max_len={length}")
    out = np.zeros((length, 5), dtype=np.float32)
    out[:n, :2] = s3[:, :2]
    out[:n, 3] = s3[:, 2]
    out[:n, 2] = 1.0 - s3[:, 2]
    out[n:, 4] = 1.0
    return out


def stroke5_to_stroke3(s5: np.ndarray) -> np.ndarray:
    """stroke-5 float[N, 5] -> stroke-3 float32[M, 3], cut at the first end-of-drawing (p3) row."""
    s5 = np.asarray(s5, dtype=np.float32)
    ends = np.flatnonzero(s5[:, 4] > 0.5)
    n = int(ends[0]) if len(ends) else len(s5)
    out = np.zeros((n, 3), dtype=np.float32)
    out[:, :2] = s5[:n, :2]
    out[:, 2] = s5[:n, 3]
    if n:
        out[-1, 2] = 1.0
    return out


def stroke5_to_polylines(s5: np.ndarray, origin: tuple[float, float] = (0.0, 0.0)) -> list[np.ndarray]:
    """stroke-5 offsets -> absolute polylines (float32[n_i, 2]) starting from `origin`."""
    return stroke3_to_polylines(stroke5_to_stroke3(s5), origin)


def simplify_polylines(polylines: Sequence[np.ndarray], epsilon: float) -> list[np.ndarray]:
    """RDP on every stroke; strokes that collapse keep at least one point (dots survive)."""
    return [rdp(p, epsilon) for p in polylines if len(p)]


def bounds(polylines: Sequence[np.ndarray]) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) of all points; zeros when there are none."""
    if not polylines:
        return (0.0, 0.0, 0.0, 0.0)
    pts = np.concatenate([np.asarray(p).reshape(-1, 2) for p in polylines])
    return (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))

"""SVG drawing elements -> absolute polylines, one per pen-down stroke (svg.path parses `d`).

Coordinates stay in the SVG's user units (y down). Curves are sampled about every `step` units
along their length; straight segments keep only their end points (RDP would drop the rest).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np


def _curve_points(seg: object, step: float) -> list[complex]:
    """Points after seg.start along a curved segment, about `step` apart (chord estimate of length)."""
    probe = [seg.point(t / 8) for t in range(9)]  # type: ignore[attr-defined]
    length = sum(abs(b - a) for a, b in zip(probe, probe[1:], strict=False))
    n = max(1, math.ceil(length / step))
    return [seg.point(i / n) for i in range(1, n + 1)]  # type: ignore[attr-defined]


def path_polylines(d: str, step: float = 2.0) -> list[np.ndarray]:
    """An SVG path's `d` -> one float32[n, 2] polyline per subpath (each M starts a new stroke)."""
    from svg.path import Close, Line, Move, parse_path

    strokes: list[list[complex]] = []
    current: list[complex] = []
    for seg in parse_path(d):
        if isinstance(seg, Move) or not current or seg.start != current[-1]:
            if len(current):
                strokes.append(current)
            current = [seg.start] if not isinstance(seg, Move) else [seg.end]
            if isinstance(seg, Move):
                continue
        if isinstance(seg, Line | Close):
            current.append(seg.end)
        else:
            current.extend(_curve_points(seg, step))
    if current:
        strokes.append(current)
    return [np.array([[p.real, p.imag] for p in s], dtype=np.float32) for s in strokes]


def _num(attrs: Mapping[str, str], key: str, default: float = 0.0) -> float:
    value = attrs.get(key)
    return float(value) if value not in (None, "") else default


def _ellipse(cx: float, cy: float, rx: float, ry: float, step: float) -> np.ndarray:
    n = max(8, math.ceil(2 * math.pi * max(rx, ry) / step))
    t = np.linspace(0.0, 2 * math.pi, n + 1)
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)]).astype(np.float32)


def _points_attr(text: str) -> np.ndarray:
    vals = [float(v) for v in text.replace(",", " ").split()]
    return np.asarray(vals, dtype=np.float32).reshape(-1, 2)


def element_polylines(tag: str, attrs: Mapping[str, str], step: float = 2.0) -> list[np.ndarray]:
    """One SVG shape element (path, circle, ellipse, rect, line, polyline, polygon) -> polylines.

    Elements drawn with stroke="none" (e.g. an invisible bounding frame) give no strokes.
    """
    if attrs.get("stroke") == "none":
        return []
    if tag == "path":
        return path_polylines(attrs.get("d", ""), step)
    if tag == "circle":
        r = _num(attrs, "r")
        return [_ellipse(_num(attrs, "cx"), _num(attrs, "cy"), r, r, step)]
    if tag == "ellipse":
        return [_ellipse(_num(attrs, "cx"), _num(attrs, "cy"), _num(attrs, "rx"), _num(attrs, "ry"), step)]
    if tag == "line":
        return [
            np.array(
                [[_num(attrs, "x1"), _num(attrs, "y1")], [_num(attrs, "x2"), _num(attrs, "y2")]],
                dtype=np.float32,
            )
        ]
    if tag == "rect":
        x, y, w, h = (_num(attrs, k) for k in ("x", "y", "width", "height"))
        return [np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h], [x, y]], dtype=np.float32)]
    if tag in ("polyline", "polygon"):
        pts = _points_attr(attrs.get("points", ""))
        if tag == "polygon" and len(pts):
            pts = np.vstack([pts, pts[:1]])
        return [pts] if len(pts) else []
    return []


def nodes_polylines(nodes: Iterable[tuple[str, Mapping[str, str]]], step: float = 2.0) -> list[np.ndarray]:
    """A list of (tag, attrs) nodes, as in tabler-nodes-outline.json, -> polylines in node order."""
    out: list[np.ndarray] = []
    for tag, attrs in nodes:
        out.extend(element_polylines(tag, attrs, step))
    return out

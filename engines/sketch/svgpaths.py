"""SVG drawing elements -> absolute polylines, one per pen-down stroke (svg.path parses `d`).

Coordinates stay in the SVG's user units (y down). Curves are sampled about every `step` units
along their length; straight segments keep only their end points (RDP would drop the rest).
A damaged or hostile element (unparsable `d`, non-numeric or non-finite numbers, coordinates past
MAX_COORD, more than MAX_POINTS samples) raises EngineError before anything large is made.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from engines.base import EngineError

MAX_COORD = 1e5  # user units (KanjiVG draws in 109, tabler in 24)
MAX_POINTS = 20_000  # samples per element


def _checked(points: list[complex]) -> list[complex]:
    if not all(math.isfinite(p.real) and math.isfinite(p.imag) for p in points):
        raise EngineError("a path has a non-finite coordinate")
    if any(abs(p.real) > MAX_COORD or abs(p.imag) > MAX_COORD for p in points):
        raise EngineError(f"a coordinate is past {MAX_COORD:g} units")
    return points


def _curve_points(seg: object, step: float) -> list[complex]:
    """Points after seg.start along a curved segment, about `step` apart (chord estimate of length)."""
    probe = _checked([seg.point(t / 8) for t in range(9)])  # type: ignore[attr-defined]
    length = sum(abs(b - a) for a, b in zip(probe, probe[1:], strict=False))
    n = max(1, math.ceil(length / step))
    if n > MAX_POINTS:
        raise EngineError(f"a curve {length:.0f} units long would need {n} samples (limit {MAX_POINTS})")
    return _checked([seg.point(i / n) for i in range(1, n + 1)])  # type: ignore[attr-defined]


def path_polylines(d: str, step: float = 2.0) -> list[np.ndarray]:
    """An SVG path's `d` -> one float32[n, 2] polyline per subpath (each M starts a new stroke)."""
    from svg.path import Close, Line, Move, parse_path

    try:
        segments = parse_path(d)
    except (ValueError, IndexError, TypeError, AssertionError, ArithmeticError) as exc:  # svg.path asserts arc flags
        raise EngineError(f"an unreadable path ({type(exc).__name__}: {exc})") from exc
    strokes: list[list[complex]] = []
    current: list[complex] = []
    for seg in segments:
        _checked([seg.start, seg.end])
        if isinstance(seg, Move) or not current or seg.start != current[-1]:
            if len(current):
                strokes.append(current)
            current = [seg.start] if not isinstance(seg, Move) else [seg.end]
            if isinstance(seg, Move):
                continue
        if isinstance(seg, Line | Close):
            current.append(seg.end)
        else:
            try:
                current.extend(_curve_points(seg, step))
            except (ArithmeticError, ValueError) as exc:  # e.g. a degenerate arc
                raise EngineError(f"an unreadable curve ({type(exc).__name__}: {exc})") from exc
    if current:
        strokes.append(current)
    return [np.array([[p.real, p.imag] for p in s], dtype=np.float32) for s in strokes]


def _num(attrs: Mapping[str, str], key: str, default: float = 0.0) -> float:
    value = attrs.get(key)
    if value in (None, ""):
        return default
    try:
        x = float(value)
    except (TypeError, ValueError) as exc:
        raise EngineError(f"{key}={value!r} is not a number") from exc
    if not math.isfinite(x) or abs(x) > MAX_COORD:
        raise EngineError(f"{key}={value!r} is not a finite number within {MAX_COORD:g}")
    return x


def _ellipse(cx: float, cy: float, rx: float, ry: float, step: float) -> np.ndarray:
    n = max(8, math.ceil(2 * math.pi * max(abs(rx), abs(ry)) / step))
    if n > MAX_POINTS:
        raise EngineError(f"an ellipse of radius {max(rx, ry):g} would need {n} samples (limit {MAX_POINTS})")
    t = np.linspace(0.0, 2 * math.pi, n + 1)
    return np.column_stack([cx + rx * np.cos(t), cy + ry * np.sin(t)]).astype(np.float32)


def _points_attr(text: str) -> np.ndarray:
    try:
        vals = np.asarray([float(v) for v in str(text).replace(",", " ").split()], dtype=np.float64)
    except ValueError as exc:
        raise EngineError(f"points={text[:40]!r} holds a non-number") from exc
    if len(vals) % 2 or len(vals) > 2 * MAX_POINTS or not np.all(np.abs(vals) <= MAX_COORD):
        raise EngineError(f"points= needs at most {MAX_POINTS} finite x,y pairs within {MAX_COORD:g}")
    return vals.astype(np.float32).reshape(-1, 2)


def element_polylines(tag: str, attrs: Mapping[str, str], step: float = 2.0) -> list[np.ndarray]:
    """One SVG shape element (path, circle, ellipse, rect, line, polyline, polygon) -> polylines.

    Elements drawn with stroke="none" (e.g. an invisible bounding frame) give no strokes.
    """
    if not isinstance(attrs, Mapping):
        raise EngineError(f"a <{tag}> element without attributes")
    if attrs.get("stroke") == "none":
        return []
    if tag == "path":
        return path_polylines(str(attrs.get("d", "")), step)
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

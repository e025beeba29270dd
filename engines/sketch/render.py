"""Drawing sketches to pixels (cv2) and SVG text, for previews, exports and sample sheets.

Input polylines are absolute canvas coordinates (see engines.sketch.engine); each drawing is
fitted into its cell keeping its aspect ratio.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from engines.sketch.strokes import bounds


def _fit(
    polylines: Sequence[np.ndarray], size: int, margin: float, box: tuple[float, float, float, float] | None
) -> list[np.ndarray]:
    x0, y0, x1, y1 = box if box is not None else bounds(polylines)
    extent = max(x1 - x0, y1 - y0, 1e-6)
    s = (size - 2 * margin) / extent
    ox = margin + (size - 2 * margin - (x1 - x0) * s) / 2
    oy = margin + (size - 2 * margin - (y1 - y0) * s) / 2
    return [(np.asarray(p, np.float32) - (x0, y0)) * s + (ox, oy) for p in polylines]


def render(
    polylines: Sequence[np.ndarray],
    size: int = 160,
    margin: float = 8.0,
    thickness: int = 2,
    colour: tuple[int, int, int] = (0, 0, 0),
    box: tuple[float, float, float, float] | None = None,
) -> np.ndarray:
    """One drawing -> uint8[size, size, 3] BGR image on white.

    box (x0, y0, x1, y1) in canvas units maps that region to the cell (true size; outside is
    clipped); None fits the drawing's own bounds to the cell.
    """
    import cv2

    img = np.full((size, size, 3), 255, np.uint8)
    for p in _fit(polylines, size, margin, box):
        pts = np.round(p * 4).astype(np.int32).reshape(-1, 1, 2)  # 2 fractional bits
        if len(pts) == 1:
            cv2.circle(img, tuple(int(v) for v in pts[0, 0]), thickness * 4, colour, -1, cv2.LINE_AA, 2)
        else:
            cv2.polylines(img, [pts], False, colour, thickness, cv2.LINE_AA, 2)
    return img


def grid(images: Sequence[np.ndarray], cols: int) -> np.ndarray:
    """Tile equally sized images (H, W, 3) row-major into one image, with 1-pixel grey lines."""
    h, w = images[0].shape[:2]
    rows = (len(images) + cols - 1) // cols
    out = np.full((rows * (h + 1) + 1, cols * (w + 1) + 1, 3), 200, np.uint8)
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        out[1 + r * (h + 1) : 1 + r * (h + 1) + h, 1 + c * (w + 1) : 1 + c * (w + 1) + w] = im
    return out


def label(img: np.ndarray, text: str, height: int = 22) -> np.ndarray:
    """img with a white strip of text above it."""
    import cv2

    strip = np.full((height, img.shape[1], 3), 255, np.uint8)
    cv2.putText(strip, text, (4, height - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 1, cv2.LINE_AA)
    return np.vstack([strip, img])


def to_svg(polylines: Sequence[np.ndarray], size: float = 109.0, stroke_width: float = 3.0) -> str:
    """Polylines in canvas units -> an SVG document (viewBox 0 0 size size), one <polyline> per stroke."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size:g} {size:g}" width="{size:g}" '
        f'height="{size:g}"><g fill="none" stroke="#000" stroke-width="{stroke_width:g}" '
        'stroke-linecap="round" stroke-linejoin="round">'
    ]
    for p in polylines:
        pts = " ".join(f"{x:.2f},{y:.2f}" for x, y in np.asarray(p).reshape(-1, 2))
        if len(p) == 1:
            pts = f"{pts} {pts}"
        parts.append(f'<polyline points="{pts}"/>')
    parts.append("</g></svg>")
    return "\n".join(parts)


def sample_sheet(
    engine, taus: Sequence[float] = (0.2, 0.5, 0.9), per_row: int = 8, seed: int = 0, cell: int = 128
) -> np.ndarray:
    """A picture of unconditional samples: one labelled row per temperature (BGR uint8)."""
    size = float(getattr(engine, "canvas_size", 0.0))
    box = (0.0, 0.0, size, size) if size > 0 else None  # the training box: true size and position
    rows = []
    for i, tau in enumerate(taus):
        sketches = engine.sample(per_row, tau=tau, steps=250, seed=seed + i)
        cells = [render(s.polylines(), cell, box=box) for s in sketches]
        rows.append(label(grid(cells, per_row), f"tau = {tau:g}"))
    return np.vstack(rows)


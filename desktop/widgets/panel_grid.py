"""Panels of one size tiled in the grid that shows them largest in a view of a given shape.

Three 4:3 panels in a row fill a 16:9 view's width but only a third of its height; at 900x600 each was under
200 px wide in empty bands. best_columns picks the column count whose tiling, scaled to fit the view, makes
each panel largest (ties keep more columns); tile lays them out, a short last row centred.
"""

from __future__ import annotations

import math

import numpy as np

BACKGROUND = (26, 22, 24)  # BGR: the view's own dark background, so empty cells do not show


def best_columns(n: int, panel_aspect: float, view_aspect: float) -> int:
    """Columns (1..n) that show `n` panels of aspect w/h `panel_aspect` largest in a view of aspect `view_aspect`."""
    best, best_scale = n, 0.0
    for cols in range(n, 0, -1):
        rows = math.ceil(n / cols)
        scale = min(view_aspect / (cols * panel_aspect), 1.0 / rows)  # panel height over view height
        if scale > best_scale * 1.0001:
            best, best_scale = cols, scale
    return best


def tile(panels: list[np.ndarray], cols: int) -> tuple[np.ndarray, tuple[tuple[int, int], ...]]:
    """Equal-size uint8 (h, w, 3) panels in rows of `cols` -> (the tiled image, each panel's top-left (x, y))."""
    h, w = panels[0].shape[:2]
    cols = max(1, min(cols, len(panels)))
    rows = math.ceil(len(panels) / cols)
    out = np.empty((rows * h, cols * w, 3), np.uint8)
    out[:] = BACKGROUND
    origins = []
    for i, panel in enumerate(panels):
        r, c = divmod(i, cols)
        in_row = min(cols, len(panels) - r * cols)
        x = c * w + (cols - in_row) * w // 2  # a short last row sits in the middle
        out[r * h:(r + 1) * h, x:x + w] = panel
        origins.append((x, r * h))
    return out, tuple(origins)

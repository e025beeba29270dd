"""Panel tiling: the column count that shows the panels largest, and the layout with a centred short row."""

from __future__ import annotations

import numpy as np

from desktop.widgets.panel_grid import BACKGROUND, best_columns, tile


def test_best_columns_follows_the_view_shape():
    assert best_columns(3, 4 / 3, 16 / 9) == 2  # 2 + 1: each panel half the view's height, not a third
    assert best_columns(3, 4 / 3, 3.0) == 3  # a wide strip: one row
    assert best_columns(3, 4 / 3, 0.6) == 1  # a tall view: one column
    assert best_columns(2, 4 / 3, 16 / 9) == 2  # two panels share a row whenever it is wide enough
    assert best_columns(1, 4 / 3, 0.2) == 1


def test_tile_places_each_panel_and_centres_the_short_row():
    panels = [np.full((30, 40, 3), v, np.uint8) for v in (10, 20, 30)]
    image, origins = tile(panels, 2)
    assert image.shape == (60, 80, 3) and origins == ((0, 0), (40, 0), (20, 30))
    for (x, y), p in zip(origins, panels, strict=True):
        assert np.array_equal(image[y:y + 30, x:x + 40], p)
    assert tuple(image[45, 5]) == BACKGROUND  # the empty strip beside the centred panel
    row, origins = tile(panels, 3)
    assert row.shape == (30, 120, 3) and origins == ((0, 0), (40, 0), (80, 0))

"""DCGAN's vector arithmetic: the grid geometry finds the tile under a pixel, marks outline picked tiles, and
Y = mean A - mean B + mean C with noisy neighbours on the noise part only."""

from __future__ import annotations

import numpy as np

from engines.gan.arithmetic import arithmetic_latents, arithmetic_strip, mark_tiles, tile_at, with_strip
from engines.gan.render import sample_grid


def test_tile_at_inverts_the_grid_layout():
    sheet = sample_grid(np.zeros((64, 32, 32), np.uint8))
    assert sheet.shape[:2] == (548, 548)
    for index in (0, 7, 9, 63):
        r, c = divmod(index, 8)
        x, y = 4 + c * 68 + 32, 4 + r * 68 + 32  # the centre of the tile, in sheet pixels
        assert tile_at(x, y) == index
    assert tile_at(2, 2) is None and tile_at(4 + 64 + 1, 10) is None and tile_at(600, 10) is None


def test_marks_and_the_strip():
    sheet = sample_grid(np.zeros((64, 32, 32), np.uint8))
    marked = mark_tiles(sheet, {"A": [0], "B": [9], "C": []})
    assert not np.array_equal(marked[:70, :70], sheet[:70, :70]) and np.array_equal(marked[300:], sheet[300:])
    strip = arithmetic_strip(np.full((8, 32, 32), 200, np.uint8))
    assert with_strip(sheet, strip).shape == (548 + 6 + 72, 548, 3)


def test_y_is_a_minus_b_plus_c_of_the_means():
    rng = np.random.default_rng(0)
    za, zb, zc = rng.normal(size=(3, 5)), rng.normal(size=(2, 5)), rng.normal(size=(1, 5))
    z = arithmetic_latents(za, zb, zc, latent_dim=3, n_noisy=4)
    assert z.shape == (8, 5)
    assert np.allclose(z[3], za.mean(0) - zb.mean(0) + zc[0], atol=1e-6)
    assert np.allclose(z[4:, 3:], z[3, 3:]) and np.abs(z[4:, :3] - z[3, :3]).max() <= 0.25 + 1e-6

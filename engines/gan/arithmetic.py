"""DCGAN's latent vector arithmetic on the tab's sample grid, and the grid's geometry (which tile is where).

Radford et al. average the z of three exemplars per concept, compute Y = mean(z_A) - mean(z_B) + mean(z_C),
and show G(Y) together with samples of Y plus uniform noise (+-0.25 in the paper's uniform-z space; we scale it
by the latent's unit normal). Pictures uint8[N, 32, 32]; z float32[N, Z]; sheets BGR uint8.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from engines.gan.render import sample_grid

GRID_COLS = 8
TILE, GAP, SCALE = 32, 2, 2  # render.sample_grid's defaults: 32 px tiles, 2 px gaps, drawn 2x
SLOT_COLOURS = {"A": (60, 60, 230), "B": (230, 140, 40), "C": (60, 200, 60)}  # BGR: red, blue, green
NOISE = 0.25


@dataclass(frozen=True)
class TilePick:
    """One picked tile: the grid it came from (seed, seed_b, mix t, InfoGAN category / codes) and its index."""

    seed: int
    seed_b: int
    t: float
    category: int
    codes: tuple[float, ...]
    index: int


def tile_at(x: float, y: float, n: int = 64, cols: int = GRID_COLS) -> int | None:
    """The index of the tile under sheet pixel (x, y) of a sample_grid sheet of n tiles, None on a gap/outside."""
    cell = (TILE + GAP) * SCALE
    gx, gy = x - GAP * SCALE, y - GAP * SCALE
    if gx < 0 or gy < 0:
        return None
    col, row = int(gx // cell), int(gy // cell)
    if col >= cols or gx - col * cell >= TILE * SCALE or gy - row * cell >= TILE * SCALE:
        return None
    index = row * cols + col
    return index if index < n else None


def mark_tiles(sheet: np.ndarray, marks: dict[str, list[int]]) -> np.ndarray:
    """Outline picked tiles on a sample_grid sheet (a copy), in each slot's colour with its letter."""
    out = sheet.copy()
    cell = (TILE + GAP) * SCALE
    for slot, indices in marks.items():
        for i in indices:
            r, c = divmod(i, GRID_COLS)
            x0, y0 = GAP * SCALE + c * cell - 2, GAP * SCALE + r * cell - 2
            x1, y1 = x0 + TILE * SCALE + 3, y0 + TILE * SCALE + 3
            cv2.rectangle(out, (x0, y0), (x1, y1), SLOT_COLOURS[slot], 2)
            cv2.putText(out, slot, (x0 + 3, y0 + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, SLOT_COLOURS[slot], 1,
                        cv2.LINE_AA)
    return out


def arithmetic_latents(za: np.ndarray, zb: np.ndarray, zc: np.ndarray, latent_dim: int, n_noisy: int = 4,
                       seed: int = 0) -> np.ndarray:
    """[mean A, mean B, mean C, Y, Y + noise x n_noisy] as float32[4 + n_noisy, Z] for exemplar latents
    za/zb/zc float[k, Z] (k >= 1 each). Noise U(-0.25, 0.25) goes on the first latent_dim (noise) entries only."""
    means = [np.asarray(z, np.float32).mean(0) for z in (za, zb, zc)]
    y = means[0] - means[1] + means[2]
    noise = np.zeros((n_noisy, y.shape[0]), np.float32)
    noise[:, :latent_dim] = np.random.default_rng(seed).uniform(-NOISE, NOISE, (n_noisy, latent_dim))
    return np.concatenate([np.stack(means + [y]), y[None] + noise]).astype(np.float32)


def arithmetic_strip(pictures: np.ndarray) -> np.ndarray:
    """One row under the grid: mean A, mean B, mean C, then = Y and its noisy neighbours, labelled (BGR sheet
    as wide as an 8-column grid)."""
    strip = sample_grid(pictures[:GRID_COLS], GRID_COLS)
    cell = (TILE + GAP) * SCALE
    for i, text in enumerate(("A", "-B", "+C", "=Y")):
        colour = SLOT_COLOURS.get(text[-1], (255, 255, 255))
        cv2.putText(strip, text, (GAP * SCALE + i * cell + 3, GAP * SCALE + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                    colour, 1, cv2.LINE_AA)
    return strip


def with_strip(sheet: np.ndarray, strip: np.ndarray) -> np.ndarray:
    """The grid sheet with the arithmetic strip below it (a 6 px dark band between)."""
    band = np.full((6, sheet.shape[1], 3), 20, np.uint8)
    return np.concatenate([sheet, band, strip])

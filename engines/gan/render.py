"""Pictures of a GAN: a sample grid and GAN Lab's 2-D view (numpy + cv2 only; used by previews and the tab).

Both return BGR uint8 (H, W, 3) images.
"""

from __future__ import annotations

import cv2
import numpy as np

VIEW_EXTENT = 5.0  # the 2-D view shows [-5, 5]^2 in data units


def sample_grid(pictures: np.ndarray, cols: int = 8, scale: int = 2, gap: int = 2) -> np.ndarray:
    """uint8[N, H, W] grey pictures -> one BGR grid, cols per row, each tile upscaled `scale` x (nearest)."""
    n, h, w = pictures.shape
    rows = -(-n // cols)
    sheet = np.full((rows * (h + gap) + gap, cols * (w + gap) + gap), 40, np.uint8)
    for i, pic in enumerate(pictures):
        r, c = divmod(i, cols)
        sheet[gap + r * (h + gap): gap + r * (h + gap) + h, gap + c * (w + gap): gap + c * (w + gap) + w] = pic
    if scale > 1:
        sheet = cv2.resize(sheet, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    return cv2.cvtColor(sheet, cv2.COLOR_GRAY2BGR)


def to_view(points: np.ndarray, size: int, extent: float = VIEW_EXTENT) -> np.ndarray:
    """Data units float[n, 2] (y up) -> view pixels int32[n, 2] (y down)."""
    px = (points[:, 0] + extent) / (2 * extent) * (size - 1)
    py = (extent - points[:, 1]) / (2 * extent) * (size - 1)
    return np.stack([px, py], 1).round().astype(np.int32)


def heatmap_grid(size: int, extent: float = VIEW_EXTENT) -> np.ndarray:
    """Centres of a size x size lattice over [-extent, extent]^2, float32[size * size, 2] in data units, row-major
    from the top (y = +extent) -- the points at which D is evaluated for the view's background."""
    axis = np.linspace(-extent, extent, size, dtype=np.float32)
    xs, ys = np.meshgrid(axis, axis[::-1])
    return np.stack([xs.ravel(), ys.ravel()], 1)


def toy_view(real: np.ndarray, fake: np.ndarray, d_map: np.ndarray | None = None, size: int = 320,
             arrows: np.ndarray | None = None, extent: float = VIEW_EXTENT) -> np.ndarray:
    """GAN Lab's picture: D's decision map (float[g, g] in [0, 1], 1 = "real", green; 0 = "fake", purple) behind
    real points (dark green) and generated points (purple); arrows: float[n, 2] G-gradient directions at `fake`
    (data units, drawn scaled to 12 px). The view spans [-extent, extent]^2 (d_map must be on that lattice)."""
    if d_map is not None:
        g = np.clip(d_map, 0, 1).astype(np.float32)
        fake_c, real_c = np.array([230, 200, 235], np.float32), np.array([200, 235, 200], np.float32)
        img = (g[..., None] * real_c + (1 - g[..., None]) * fake_c).astype(np.uint8)
        img = cv2.resize(img, (size, size), interpolation=cv2.INTER_LINEAR)
    else:
        img = np.full((size, size, 3), 245, np.uint8)
    for p in to_view(real, size, extent):
        cv2.circle(img, (int(p[0]), int(p[1])), 2, (60, 140, 40), -1, cv2.LINE_AA)
    fp = to_view(fake, size, extent)
    if arrows is not None:
        norm = np.linalg.norm(arrows, axis=1, keepdims=True) + 1e-12
        tips = fp + (arrows / norm * np.array([12, -12])).round().astype(np.int32)
        for a, b in zip(fp, tips):
            cv2.arrowedLine(img, (int(a[0]), int(a[1])), (int(b[0]), int(b[1])), (150, 90, 150), 1, cv2.LINE_AA,
                            tipLength=0.3)
    for p in fp:
        cv2.circle(img, (int(p[0]), int(p[1])), 2, (160, 40, 150), -1, cv2.LINE_AA)
    return img


SIGMOID_VARIANTS = ("gan-minimax", "gan-ns", "dcgan", "infogan")


def decision_map(variant: str, score: np.ndarray, size: int) -> np.ndarray:
    """D's scores on the view lattice -> float[size, size] in [0, 1] (1 = "real"): sigmoid for GAN variants,
    min-max scaled critic values otherwise (BEGAN: low reconstruction error = "real")."""
    s = score.reshape(size, size).astype(np.float64)
    if variant in SIGMOID_VARIANTS:
        return 1 / (1 + np.exp(-np.clip(s, -30, 30)))
    if variant == "began":
        s = -s
    return (s - s.min()) / max(float(np.ptp(s)), 1e-12)

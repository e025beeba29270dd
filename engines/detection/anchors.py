"""Anchor shapes by k-means with the YOLO9000 distance d(box, centroid) = 1 - IoU(box, centroid).

Boxes and centroids are compared by shape only (both centred at the origin), so large boxes do
not dominate as they would with a Euclidean distance.
"""

from __future__ import annotations

import numpy as np


def shape_iou(wh: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """IoU of origin-centred boxes: wh (N, 2), centroids (K, 2), same units -> (N, K)."""
    inter = np.minimum(wh[:, None, 0], centroids[None, :, 0]) * np.minimum(wh[:, None, 1], centroids[None, :, 1])
    union = (wh[:, 0] * wh[:, 1])[:, None] + (centroids[:, 0] * centroids[:, 1])[None, :] - inter
    return inter / np.maximum(union, 1e-12)


def kmeans_anchors(wh: np.ndarray, k: int = 5, seed: int = 0, iterations: int = 300) -> np.ndarray:
    """k anchor shapes (K, 2) from box shapes wh (N, 2), sorted by area; units as given.

    k-means++ seeding under the 1 - IoU distance, then Lloyd iterations (centroid = median of
    its members, robust to a few huge boxes) until assignments stop changing. With fewer distinct
    boxes than k, the missing anchors repeat the largest one.
    """
    wh = np.asarray(wh, np.float64).reshape(-1, 2)
    wh = wh[(wh[:, 0] > 0) & (wh[:, 1] > 0)]
    if len(wh) == 0:
        raise ValueError("k-means anchors need at least one box with positive width and height")
    rng = np.random.default_rng(seed)
    uniq = np.unique(wh, axis=0)
    kk = min(k, len(uniq))
    centroids = [uniq[rng.integers(len(uniq))]]
    for _ in range(1, kk):
        d = 1.0 - shape_iou(uniq, np.array(centroids)).max(1)
        p = d ** 2 / (d ** 2).sum() if d.sum() > 0 else None
        centroids.append(uniq[rng.choice(len(uniq), p=p)])
    c = np.array(centroids)
    assign = np.full(len(wh), -1)
    for _ in range(iterations):
        new = (1.0 - shape_iou(wh, c)).argmin(1)
        if np.array_equal(new, assign):
            break
        assign = new
        for j in range(kk):
            if (assign == j).any():
                c[j] = np.median(wh[assign == j], axis=0)
    c = c[np.argsort(c[:, 0] * c[:, 1])]
    if kk < k:
        c = np.concatenate([c, np.repeat(c[-1:], k - kk, 0)])
    return c.astype(np.float32)


def mean_best_iou(wh: np.ndarray, anchors: np.ndarray) -> float:
    """Average over boxes of the best anchor IoU (the paper's 'Avg IOU' for comparing anchor sets)."""
    return float(shape_iou(np.asarray(wh, np.float64), np.asarray(anchors, np.float64)).max(1).mean())

"""k-means anchors on known boxes; the COCOeval-based mAP@0.5 on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from engines.detection.anchors import kmeans_anchors, mean_best_iou, shape_iou
from engines.detection.evaluate import ImageBoxes, map50


def test_shape_iou_known_values():
    iou = shape_iou(np.array([[2.0, 2.0]]), np.array([[2.0, 2.0], [1.0, 1.0], [4.0, 1.0]]))
    np.testing.assert_allclose(iou[0], [1.0, 0.25, 2.0 / 6.0])


def test_kmeans_recovers_three_shape_clusters():
    rng = np.random.default_rng(0)
    centres = np.array([[0.05, 0.15], [0.3, 0.3], [0.6, 0.2]])
    wh = np.concatenate([c * rng.uniform(0.95, 1.05, (40, 2)) for c in centres])
    anchors = kmeans_anchors(wh, k=3, seed=1)
    order = np.argsort(centres.prod(1))
    np.testing.assert_allclose(anchors, centres[order], rtol=0.04)
    assert mean_best_iou(wh, anchors) > 0.9


def test_kmeans_with_fewer_distinct_boxes_than_k():
    anchors = kmeans_anchors(np.array([[1.0, 2.0], [1.0, 2.0], [3.0, 1.0]]), k=5)
    assert anchors.shape == (5, 2)
    assert {tuple(a) for a in anchors} == {(1.0, 2.0), (3.0, 1.0)}
    with pytest.raises(ValueError):
        kmeans_anchors(np.zeros((0, 2)))


def _img(boxes, classes, scores=None):
    return ImageBoxes(np.array(boxes, float).reshape(-1, 4), np.array(classes),
                      None if scores is None else np.array(scores, float))


def test_perfect_detections_give_ap_one():
    gt = [_img([[0, 0, 10, 10], [20, 20, 40, 40]], [0, 1])]
    out = map50(gt, [_img([[0, 0, 10, 10], [20, 20, 40, 40]], [0, 1], [0.9, 0.8])], ["a", "b"])
    assert out == pytest.approx({"AP50/a": 1.0, "AP50/b": 1.0, "mAP50": 1.0})


def test_hand_computed_101_point_ap():
    # scores 0.9 TP, 0.8 FP, 0.7 TP over 2 truths: recall 0.5 at precision 1, recall 1 at precision 2/3.
    # Monotone envelope read at 101 recall points: 51 points (r <= 0.5) at 1, 50 points at 2/3.
    gt = [_img([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 0])]
    det = [_img([[0, 0, 10, 10], [50, 50, 60, 60], [20, 20, 30, 31]], [0, 0, 0], [0.9, 0.8, 0.7])]
    assert map50(gt, det, ["a"])["mAP50"] == pytest.approx((51 + 50 * 2 / 3) / 101)


def test_iou_threshold_wrong_class_and_missing_class():
    gt = [_img([[0, 0, 10, 10]], [0]), _img([[0, 0, 10, 10]], [1])]
    # image 1: IoU 50/150 = 0.33 < 0.5 -> FP, truth missed; image 2: right box but wrong class
    det = [_img([[5, 0, 15, 10]], [0], [0.9]), _img([[0, 0, 10, 10]], [0], [0.9])]
    out = map50(gt, det, ["a", "b"])
    assert out["AP50/a"] == 0.0 and out["AP50/b"] == 0.0 and out["mAP50"] == 0.0
    # a class with no truth is left out of the mean (COCO's convention)
    out = map50([_img([[0, 0, 10, 10]], [0])], [_img([[0, 0, 10, 10], [30, 30, 40, 40]], [0, 1], [0.9, 0.9])],
                ["a", "b"])
    assert out == pytest.approx({"AP50/a": 1.0, "mAP50": 1.0})


def test_half_recall_and_no_detections():
    gt = [_img([[0, 0, 10, 10], [20, 20, 30, 30]], [0, 0])]
    out = map50(gt, [_img([[0, 0, 10, 10]], [0], [0.5])], ["a"])
    assert out["mAP50"] == pytest.approx(51 / 101)  # precision 1 up to recall 0.5, then 0
    assert map50(gt, [_img([], [], [])], ["a"])["mAP50"] == 0.0

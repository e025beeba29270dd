"""Decoding and NMS on hand-made head rows."""

import numpy as np

from engines.detection.decode import decode_rows

NAMES = ["person", "car", "dog"]


def row(cx, cy, w, h, obj, cls, classes=3):
    r = np.zeros(5 + classes, np.float32)
    r[:5] = cx, cy, w, h, obj
    r[5 + cls] = obj * 0.9
    return r


def test_overlapping_same_class_keeps_the_best():
    rows = np.stack([row(0.5, 0.5, 0.2, 0.4, 0.9, 0), row(0.51, 0.5, 0.2, 0.4, 0.8, 0)])
    det = decode_rows(rows, (100, 200), NAMES, conf=0.25, nms=0.45)
    assert det.labels == ("person",)
    assert np.isclose(det.scores[0], 0.81)
    np.testing.assert_allclose(det.boxes[0], [80, 30, 120, 70], atol=1e-4)  # xyxy in source pixels


def test_overlapping_different_classes_both_kept():
    rows = np.stack([row(0.5, 0.5, 0.2, 0.4, 0.9, 0), row(0.5, 0.5, 0.2, 0.4, 0.8, 1)])
    det = decode_rows(rows, (100, 200), NAMES)
    assert sorted(det.labels) == ["car", "person"]


def test_low_scores_dropped_and_sorted_descending():
    rows = np.stack([row(0.2, 0.2, 0.1, 0.1, 0.5, 2), row(0.8, 0.8, 0.1, 0.1, 0.95, 1),
                     row(0.5, 0.5, 0.1, 0.1, 0.2, 0)])
    det = decode_rows(rows, (50, 50), NAMES, conf=0.3)
    assert det.labels == ("car", "dog")
    assert det.scores[0] > det.scores[1]


def test_nms_threshold_changes_result():
    rows = np.stack([row(0.5, 0.5, 0.4, 0.4, 0.9, 0), row(0.6, 0.5, 0.4, 0.4, 0.8, 0)])  # IoU = 0.6
    assert len(decode_rows(rows, (100, 100), NAMES, nms=0.45)) == 1
    assert len(decode_rows(rows, (100, 100), NAMES, nms=0.7)) == 2


def test_class_filter_and_empty():
    rows = np.stack([row(0.5, 0.5, 0.2, 0.2, 0.9, 0), row(0.2, 0.2, 0.2, 0.2, 0.9, 1)])
    assert decode_rows(rows, (10, 10), NAMES, classes=frozenset({1})).labels == ("car",)
    empty = decode_rows(rows, (10, 10), NAMES, conf=0.99)
    assert len(empty) == 0 and empty.boxes.shape == (0, 4)


def test_boxes_clipped_to_image_and_read_only():
    det = decode_rows(row(0.05, 0.05, 0.3, 0.3, 0.9, 0)[None], (100, 100), NAMES)
    assert det.boxes.min() >= 0
    assert not det.boxes.flags.writeable

"""The shipped YOLOv2 street weights load in the live engine unchanged and find people in a held-out frame."""

from __future__ import annotations

import cv2

from engines.detection.engine import DarknetWeights, DetectionEngine
from tests.conftest import require_assets


def test_shipped_weights_detect_people_in_a_held_out_frame():
    require_assets("vtest.avi")
    from engines import assets

    engine = DetectionEngine()
    engine.load(DarknetWeights.shipped_yolov2())
    assert engine.names == ["person", "car"] and engine.input_size == 576
    cap = cv2.VideoCapture(str(assets.asset_path("vtest.avi")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 700)  # inside the held-out segment (frames 596-794)
    ok, frame = cap.read()
    cap.release()
    assert ok
    det = engine.infer(frame, conf=0.3)
    assert det.labels.count("person") >= 3
    assert (det.boxes[:, 2] <= frame.shape[1]).all() and (det.boxes[:, 3] <= frame.shape[0]).all()

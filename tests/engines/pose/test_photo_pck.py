"""photo-pck: the student's PCK on still photos, against the teacher, with the mean-pose baseline."""

from __future__ import annotations

import math

from tests.conftest import require_assets


def test_photo_pck_scores_the_shipped_student_on_the_demo_photos():
    require_assets("bus.jpg", "zidane.jpg", "pose_landmark_full.tflite", "yolov3-tiny.weights")
    from engines import assets
    from engines.pose.cpu_backend import STUDENT
    from engines.pose.photo_pck import photo_pck

    out = photo_pck(STUDENT, [assets.asset_path("bus.jpg"), assets.asset_path("zidane.jpg")])
    assert out["people"] >= 2 and out["photos"] == 2
    assert 0.0 <= out["pck@0.2"] <= 1.0 and math.isfinite(out["pck@0.2_mean_pose"])

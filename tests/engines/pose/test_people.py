"""Pose for everyone (issue 16): every detected person up to a limit, and the one a click chose first."""

from __future__ import annotations

import numpy as np
import pytest

from engines.pose.result import person_at
from tests.street import street_frame


@pytest.fixture(scope="module")
def street():
    return street_frame()


@pytest.fixture(scope="module")
def engine():
    from engines.pose.engine import PoseEngine

    e = PoseEngine()
    e.load()
    return e


def test_everyone_up_to_the_limit_gets_a_skeleton(engine, street):
    one = engine.infer(street, max_people=1)
    four = engine.infer(street, max_people=4)
    assert len(one.people) == 1 and one.others == ()
    assert len(four.people) == 4
    boxes = np.stack([p.person_box for p in four.people])
    assert len({tuple(b.round()) for b in boxes}) == 4, "the same person twice"
    assert all(p.found and p.keypoints.shape[1] == 2 and len(p.keypoints) >= 33 for p in four.people)
    for p in four.people:  # each skeleton sits on its own person
        x0, y0, x1, y1 = p.person_box
        hips = p.keypoints[23:25].mean(0)
        assert x0 - 20 <= hips[0] <= x1 + 20 and y0 - 20 <= hips[1] <= y1 + 20


def test_a_point_in_a_persons_box_makes_them_the_chosen_one(engine, street):
    four = engine.infer(street, max_people=4)
    target = four.others[-1]
    x0, y0, x1, y1 = (float(v) for v in target.person_box)
    chosen = engine.infer(street, max_people=4, select_at=((x0 + x1) / 2, (y0 + y1) / 2))
    assert np.allclose(chosen.person_box, target.person_box)
    assert len(chosen.people) == 4


def test_person_at_prefers_the_smallest_box_holding_the_point():
    class P:
        def __init__(self, box):
            self.person_box = np.array(box, np.float32)

    people = (P([0, 0, 100, 100]), P([40, 40, 60, 60]), P([200, 0, 240, 50]))
    assert person_at(people, (50, 50)) == 1
    assert person_at(people, (10, 10)) == 0
    assert person_at(people, (230, 70)) == 2  # outside every box: the nearest centre
    assert person_at((), (0, 0)) == -1


def test_a_close_photo_gets_a_skeleton_on_every_person_the_detector_finds(engine):
    """bus.jpg: YOLOv3-tiny finds three people; the one cut by the right edge had presence 0.0 in the 2x crop
    and was dropped until the engine retried tall boxes at 1.25x. zidane.jpg: the second man's box ends at his
    chest; he is found once the box is extended down (CLOSE_RETRIES)."""
    import cv2

    from engines import assets
    from tests.conftest import require_assets

    require_assets("bus.jpg", "zidane.jpg")
    two = engine.infer(cv2.imread(str(assets.asset_path("zidane.jpg"))), max_people=8)
    assert len(two.people) == 2
    image = cv2.imread(str(assets.asset_path("bus.jpg")))
    people = [b for b, _ in engine.find_people(image)]
    result = engine.infer(image, max_people=8)
    assert len(people) == 3 and len(result.people) == 3
    for p in result.people:  # each skeleton's hips and shoulders lie inside its own person's box (10% slack)
        x0, y0, x1, y1 = p.person_box
        pad = 0.1 * (x1 - x0)
        torso = p.keypoints[[11, 12, 23, 24]]
        assert ((torso[:, 0] > x0 - pad) & (torso[:, 0] < x1 + pad) & (torso[:, 1] > y0) & (torso[:, 1] < y1)).all()

"""`paperzoo infer pose|colorization IMAGE`: scripted checks of the live tabs' engines on one image."""

from __future__ import annotations

import json

import cv2

from engines.assets import asset_path
from engines.cli import infer_main
from tests.street import street_photo


def test_infer_pose_lists_every_person(tmp_path):
    out = tmp_path / "pose.json"
    assert infer_main(["pose", str(street_photo(tmp_path)), "--json", str(out), "--max-people", "6"]) == 0
    record = json.loads(out.read_text())
    assert len(record["people"]) >= 4 and record["model"] == "blazepose"
    assert "left_hip" in record["people"][0]["keypoints"]


def test_infer_colorization_writes_the_full_size_image(tmp_path):
    out = tmp_path / "colour.png"
    assert infer_main(["colorization", str(asset_path("messi5.jpg")), "--out", str(out)]) == 0
    assert cv2.imread(str(out)).shape == cv2.imread(str(asset_path("messi5.jpg"))).shape


def test_infer_refuses_a_missing_file_in_one_line(tmp_path, capsys):
    assert infer_main(["pose", str(tmp_path / "none.png")]) == 2
    assert "does not exist" in capsys.readouterr().err

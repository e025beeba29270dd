"""Qt-free parts of the desktop product: paper cards, the system check's facts, PNG text chunks."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from engines.base import EngineError
from engines.cards import paper_card
from engines.png_text import add_png_text, read_png_text
from engines.registry import default_registry
from engines.system_check import MISSING, OK, facts, report


@pytest.mark.parametrize("key", default_registry().keys())
def test_every_paper_has_a_card_with_its_numbers_and_citation(key):
    card = paper_card(key)
    assert card.startswith("# ") and "No paper card yet" not in card
    for heading in ("**The idea.**", "**What the demo shows.**", "**Try this.**", "**Cite.**"):
        assert heading in card, f"{key}'s card has no {heading}"
    assert any(ch.isdigit() for ch in card.split("**What the demo shows.**")[0]), "no headline number"


def test_png_text_round_trip_keeps_the_pixels(tmp_path):
    image = np.random.default_rng(0).integers(0, 255, (20, 30, 3), np.uint8)
    path = tmp_path / "a.png"
    cv2.imwrite(str(path), image)
    settings = {"paper": "detection", "model": "YOLOv3-tiny", "note": "résumé \u2713"}
    add_png_text(path, {"paperzoo:settings": json.dumps(settings)})
    assert json.loads(read_png_text(path)["paperzoo:settings"]) == settings
    assert np.array_equal(cv2.imread(str(path)), image)


def test_png_text_refuses_damaged_files(tmp_path):
    path = tmp_path / "bad.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x10\x00tEXtshort")
    with pytest.raises(EngineError):
        read_png_text(path)
    with pytest.raises(EngineError):
        add_png_text(path, {"k": "v"})


def test_system_check_reports_missing_and_corrupt_files(tmp_path, monkeypatch):
    from engines.assets import all_assets

    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path))
    first = all_assets()[0]
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / first.name).write_bytes(b"not the real file")
    checks = list(facts(verify=True))
    by_name = {c.name: c for c in checks}
    assert by_name[first.name].status == MISSING and "sha256" in by_name[first.name].detail
    assert all(by_name[a.name].status == MISSING for a in all_assets()[1:])
    assert by_name["data folder"].status == OK and by_name["torch"].status == OK
    text = report(checks)
    assert "pretrained files" in text and "compute" in text and "[missing]" in text

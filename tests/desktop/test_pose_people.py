"""Pose for everyone in the real tab: a still street photo with many people gets up to the limit's skeletons,
a click on a person shows their heatmaps, and the limit is a control the user sets."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from desktop.sources import SourceChoice
from tests.street import street_photo


def test_every_person_gets_a_skeleton_and_a_click_chooses_whose_heatmaps(qtbot, make_window, tmp_path):
    window = make_window("pose", choice=SourceChoice("file", path=street_photo(tmp_path)))
    tab = window.tab_widget("pose")
    assert tab.people_spin.value() == 4
    qtbot.waitUntil(lambda: tab.latest is not None and len(tab.latest.result.people) == 4, timeout=90_000)
    assert tab.status.text().startswith("4 people")
    first = tab.latest.result
    target = first.others[-1]
    centre = QPointF(float(target.person_box[[0, 2]].mean()), float(target.person_box[[1, 3]].mean()))
    where = tab.view.image_to_view().map(centre).toPoint()
    qtbot.mouseClick(tab.view, Qt.MouseButton.LeftButton, pos=where)
    qtbot.waitUntil(lambda: np.allclose(tab.latest.result.person_box, target.person_box), timeout=60_000)
    tab.people_spin.setValue(1)
    qtbot.waitUntil(lambda: len(tab.latest.result.people) == 1, timeout=60_000)

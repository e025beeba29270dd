"""The compare view: the same frames through two models, split by a wipe line, each side timed."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage, QPainter, QTransform

from engines.compare import PairResult


def _choose(tab, label: str) -> None:
    combo = tab.compare.compare_combo
    index = combo.findText(label)
    assert index > 0, [combo.itemText(i) for i in range(combo.count())]
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


@pytest.mark.parametrize("key, b_label", [("detection", "YOLOv2 trained here (street: person, car)"),
                                          ("pose", "Stacked Hourglass (our student)"),
                                          ("style", "style 5")])
def test_two_models_on_the_same_frames(qtbot, make_window, key, b_label):
    window = make_window(key)
    tab = window.tab_widget(key)
    qtbot.waitUntil(lambda: tab.latest is not None, timeout=90_000)
    _choose(tab, b_label)
    qtbot.waitUntil(lambda: isinstance(tab.compare.last_pair, PairResult), timeout=90_000)
    pair = tab.compare.last_pair
    assert pair.label_b == b_label and pair.ms_a > 0 and pair.ms_b > 0
    assert type(pair.a) is type(pair.b) and not isinstance(tab.latest.result, PairResult)  # tab hooks see A
    tab.compare.compare_combo.setCurrentIndex(0)
    tab.compare.compare_combo.activated.emit(0)
    qtbot.waitUntil(lambda: tab.compare.runner.engine_b is None, timeout=30_000)


def test_the_wipe_composes_two_images_at_the_line(qtbot, make_window):
    window = make_window("colorization")
    tab = window.tab_widget("colorization")
    qtbot.waitUntil(lambda: tab.latest is not None, timeout=90_000)
    live = tab.latest
    red, blue = np.zeros((10, 100, 3), np.uint8), np.zeros((10, 100, 3), np.uint8)
    red[..., 2], blue[..., 0] = 255, 255
    tab.display_image = lambda item: red if item.result == "A" else blue
    tab.paint_result = lambda p, t, r: None
    from dataclasses import replace

    tab.compare.wipe.setValue(30)
    _, image, paint = tab.compare.split(replace(live, result=PairResult("A", "B", 5.0, 7.0, "B model")))
    assert (image[:, :30, 2] == 255).all() and (image[:, 30:, 0] == 255).all()
    canvas = QImage(200, 40, QImage.Format.Format_RGB32)
    painter = QPainter(canvas)
    paint(painter, QTransform.fromScale(2, 2))  # draws the line and both labels without error
    painter.end()


def test_two_styles_split_the_same_frame(qtbot, make_window):
    """Style: B paints the same frame in its own style; strength and colours stay the tab's."""
    window = make_window("style")
    tab = window.tab_widget("style")
    qtbot.waitUntil(lambda: tab.latest is not None, timeout=90_000)
    _choose(tab, "style 12")
    qtbot.waitUntil(lambda: isinstance(tab.compare.last_pair, PairResult), timeout=90_000)
    pair = tab.compare.last_pair
    assert pair.a.stylized.shape == pair.b.stylized.shape
    assert np.abs(pair.a.stylized.astype(int) - pair.b.stylized.astype(int)).mean() > 5  # another style
    assert tab.compare_label() == "style 0"

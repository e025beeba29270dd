"""Sketch tab details (issue 11): stroke minimum, temperature re-samples, interpolation captions,
SVG export of the canvas, model switch clears, previews stay inside their frame."""

from __future__ import annotations

import re

import numpy as np
import pytest
from PySide6.QtGui import QColor

from tests.desktop.test_sketch_tab import draw, open_tab

WAIT_MS = 60_000


@pytest.fixture
def tab(qtbot):
    t = open_tab(qtbot, WAIT_MS)
    yield t
    t.shutdown()
    assert not t.workers.running()


def cross(qtbot, tab, kind: str = "complete"):
    """Draw a 十 and wait for the reply of `kind` it triggers."""
    c = tab.canvas
    w, h = c.width(), c.height()
    with qtbot.waitSignal(tab.reply_shown, timeout=WAIT_MS, check_params_cb=lambda r: r.request.kind == kind) as got:
        draw(qtbot, c, [(w // 3, h // 2), (w // 2, h // 2), (2 * w // 3, h // 2)])
        draw(qtbot, c, [(w // 2, h // 3), (w // 2, h // 2), (w // 2, 2 * h // 3)])
    return got.args[0]


def added_strokes(d) -> int:
    rows = d.strokes[d.prefix_len :]
    down = np.concatenate([[False], rows[:-1, 2] > 0.5])
    return int(((rows[:, 3] > 0.5) & down).sum())


def test_completions_add_the_minimum_strokes(qtbot, tab):
    assert tab.min_strokes.value() == 2
    reply = cross(qtbot, tab)
    assert reply.request.min_strokes == 2
    assert all(added_strokes(d) >= 2 or not d.finished for d in reply.drawings)
    with qtbot.waitSignal(tab.reply_shown, timeout=WAIT_MS,
                          check_params_cb=lambda r: r.request.kind == "complete" and r.request.min_strokes == 4) as got:
        tab.min_strokes.setValue(4)  # the control re-runs the completions
    assert all(added_strokes(d) >= 4 or not d.finished for d in got.args[0].drawings)


def test_temperature_change_resamples(qtbot, tab):
    with qtbot.waitSignal(tab.reply_shown, timeout=WAIT_MS,
                          check_params_cb=lambda r: abs(r.request.tau - 0.85) < 1e-6) as got:
        tab.tau.setValue(85)  # no Generate click: the tiles refresh by themselves
    assert got.args[0].request.kind == "sample"
    assert all("0.85" in pv.caption for pv in tab.previews)
    reply = cross(qtbot, tab)
    with qtbot.waitSignal(tab.reply_shown, timeout=WAIT_MS,
                          check_params_cb=lambda r: abs(r.request.tau - 0.3) < 1e-6) as got:
        tab.tau.setValue(30)
    assert got.args[0].request.kind == reply.request.kind == "complete"


def test_interpolation_tiles_say_how_far_from_a(qtbot, tab):
    cross(qtbot, tab)
    tab.set_a()
    tab.clear()
    c = tab.canvas
    w, h = c.width(), c.height()
    draw(qtbot, c, [(w // 3, h // 3), (2 * w // 3, 2 * h // 3)])
    with qtbot.waitSignal(tab.reply_shown, timeout=WAIT_MS, check_params_cb=lambda r: r.request.kind == "interpolate"):
        tab.interpolate()
    captions = [pv.caption for pv in tab.previews]
    assert not any("tau" in c for c in captions)
    assert captions[0].startswith("A") and "100%" in captions[-1]
    assert captions[1] == "20% A -> drawing" and captions[4] == "80% A -> drawing"


def test_export_svg_is_the_users_drawing(qtbot, tab, tmp_path):
    cross(qtbot, tab)
    svg = tab.export_svg(tmp_path / "s.svg").read_text()
    groups = svg.split("<g ")[1:]
    ink = [g for g in groups if 'stroke="black"' in g]
    assert len(ink) == 1 and ink[0].count("<path") == len(tab.canvas.strokes) == 2
    first = re.search(r'd="M([-\d.]+),([-\d.]+)', ink[0])
    np.testing.assert_allclose([float(first[1]), float(first[2])], tab.canvas.strokes[0][0], atol=0.01)
    assert len(groups) == 2  # the faint completion from the canvas is there too, beneath the ink


def test_model_switch_clears_canvas_and_tiles(qtbot, tab):
    cross(qtbot, tab)
    tab.set_a()
    tab.model_combo.setCurrentIndex(1 if tab.model_combo.count() > 2 else 0)
    with qtbot.waitSignal(tab.reply_shown, timeout=WAIT_MS, check_params_cb=lambda r: r.request.kind == "load"):
        tab._on_model()
        assert tab.canvas.strokes == [] and tab.canvas.ghost == [] and tab.drawing_a == ()
        assert all(pv.total_points == 0 for pv in tab.previews)
    assert tab.canvas.strokes == [] and tab.canvas.ghost == []
    assert all(pv.total_points > 0 for pv in tab.previews)  # the new model's samples


def test_previews_stay_inside_their_frame(qtbot):
    from desktop.widgets.sketch_canvas import GHOST_RGBA, SketchCanvas, SketchPreview

    wild = [np.array([[10, 10], [-60, 50], [150, 190]], np.float32), np.array([[50, 50], [200, -80]], np.float32)]
    pv = SketchPreview()
    qtbot.addWidget(pv)
    pv.resize(160, 130)
    pv.set_canvas((0.0, 0.0), 100.0)
    pv.set_drawing(wild, "x", animate=False)
    frame = pv.frame_rect().adjusted(-0.5, -0.5, 0.5, 0.5)
    assert all(frame.contains(pv.to_widget(*pt)) for line in wild for pt in line)
    canvas = SketchCanvas()
    qtbot.addWidget(canvas)
    canvas.resize(300, 300)
    canvas.set_canvas((0.0, 0.0), 100.0)
    canvas.ghost = wild
    image = canvas.grab().toImage()
    inside = canvas.frame_rect().adjusted(-3, -3, 3, 3)
    ghost = QColor(*GHOST_RGBA[:3])
    for x in range(0, 300, 3):
        for y in range(0, 300, 3):
            if not inside.contains(x, y):
                c = image.pixelColor(x, y)
                assert abs(c.blue() - c.red()) < 30, f"completion drawn outside the canvas at {(x, y)}: {c.name()}"
    assert ghost.blue() - ghost.red() > 30

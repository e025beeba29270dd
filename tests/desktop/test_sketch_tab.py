"""The sketch canvas under pytest-qt: draw strokes with the mouse, completions appear, clear, export."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt

from engines.base import PaperInfo
from engines.registry import default_registry


def weights() -> dict[str, Path]:
    from engines.sketch.engine import shipped_weights

    found = shipped_weights()
    if not found:
        pytest.fail("no shipped sketch-rnn weights in assets/weights")
    return found


def open_tab(qtbot, wait_ms: int = 0):
    """A shown SketchTab on the shipped weights, activated (and, with wait_ms, its first reply shown)."""
    from desktop.tabs.sketch import SketchTab

    info: PaperInfo = default_registry()["sketch"]
    t = SketchTab(info, {"sketch_weights": weights()})
    qtbot.addWidget(t)
    t.resize(1100, 700)
    t.show()
    if wait_ms:
        with qtbot.waitSignal(t.reply_shown, timeout=wait_ms):
            t.activate()
    else:
        t.activate()
    return t


@pytest.fixture
def tab(qtbot):
    t = open_tab(qtbot)
    yield t
    t.shutdown()
    assert not t.workers.running()


def draw(qtbot, canvas, points):
    qtbot.mousePress(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[0]))
    for x, y in points[1:]:
        qtbot.mouseMove(canvas, QPoint(x, y))
    qtbot.mouseRelease(canvas, Qt.MouseButton.LeftButton, pos=QPoint(*points[-1]))


def test_generate_draw_complete_clear_export(qtbot, tab, tmp_path):
    with qtbot.waitSignal(tab.reply_shown, timeout=60_000) as first:
        pass
    assert first.args[0].request.kind == "sample" and len(first.args[0].drawings) == 6
    canvas = tab.canvas
    w, h = canvas.width(), canvas.height()
    with qtbot.waitSignal(tab.reply_shown, timeout=60_000,
                          check_params_cb=lambda r: r.request.kind == "complete") as done:
        draw(qtbot, canvas, [(w // 3, h // 3), (w // 2, h // 3), (2 * w // 3, h // 3)])
        draw(qtbot, canvas, [(w // 2, h // 4), (w // 2, h // 2), (w // 2, 2 * h // 3)])
    reply = done.args[0]
    assert len(canvas.strokes) == 2
    assert all(d.prefix_len > 0 for d in reply.drawings)  # each completion starts with the user's strokes
    assert all(pv.total_points > 0 for pv in tab.previews)
    assert canvas.ghost  # the selected completion is shown behind the user's strokes
    svg = tab.export_svg(tmp_path / "s.svg").read_text()
    assert svg.count("<path") >= 2
    assert tab.export_png(tmp_path / "s.png").stat().st_size > 500
    tab.clear()
    assert canvas.strokes == [] and canvas.ghost == []


def test_temperature_reaches_the_model(qtbot, tab):
    with qtbot.waitSignal(tab.reply_shown, timeout=60_000):
        pass
    tab.tau.setValue(90)
    with qtbot.waitSignal(tab.reply_shown, timeout=60_000) as got:
        tab.generate()
    assert all(abs(d.tau - 0.9) < 1e-6 for d in got.args[0].drawings)

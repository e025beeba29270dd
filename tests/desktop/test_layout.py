"""Every tab, with its training panel open, at the smallest and a large window size.

The window keeps the size it was given, no visible control is squeezed below its minimum size hint,
no two visible buttons overlap, and both training plots are at least 120 px tall.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractButton, QCheckBox, QComboBox, QLabel, QPushButton, QWidget

from engines.registry import default_registry

PAPERS = default_registry().keys()
SIZES = [(900, 600), (1920, 1080)]


def event_loop_turns(qtbot, turns: int = 10) -> None:
    """Wait for `turns` passes of the event loop: each delivers the events (layout requests, resizes)
    posted before it, so a change that was going to resize or move something has done so."""
    count = [0]
    timer = QTimer()
    timer.setInterval(0)  # fires once per pass
    timer.timeout.connect(lambda: count.__setitem__(0, count[0] + 1))
    timer.start()
    try:
        qtbot.waitUntil(lambda: count[0] >= turns, timeout=5_000)
    finally:
        timer.stop()


def _shown(w: QWidget) -> bool:
    return w.isVisible() and w.width() > 0 and not w.visibleRegion().isEmpty()


def _rect_in(window: QWidget, w: QWidget):
    """w's rect in window coordinates, clipped by every ancestor (a scroll area's viewport hides what scrolled
    out of it: a button half under the viewport's edge does not overlap what lies beyond that edge)."""
    rect = w.rect().translated(w.mapTo(window, w.rect().topLeft()))
    parent = w.parentWidget()
    while parent is not None and parent is not window:
        rect = rect.intersected(parent.rect().translated(parent.mapTo(window, parent.rect().topLeft())))
        parent = parent.parentWidget()
    return rect


def overlapping_buttons(window: QWidget) -> list[tuple[str, str]]:
    buttons = [b for b in window.findChildren(QAbstractButton) if _shown(b)]
    found = []
    for i, a in enumerate(buttons):
        for b in buttons[i + 1:]:
            if _rect_in(window, a).intersects(_rect_in(window, b)) and not (a.isAncestorOf(b) or b.isAncestorOf(a)):
                found.append((a.text(), b.text()))
    return found


def squeezed(window: QWidget) -> list[str]:
    """Visible labels/buttons/boxes narrower or lower than their minimum size hint (text cut off)."""
    out = []
    for w in window.findChildren(QWidget):
        if isinstance(w, (QPushButton, QCheckBox, QLabel, QComboBox)) and _shown(w) and w.maximumWidth() > 100:
            if isinstance(w, QLabel) and (w.wordWrap() or not w.text()):
                continue
            hint = w.minimumSizeHint()
            if w.width() < hint.width() - 2 or w.height() < hint.height() - 2:
                out.append(f"{type(w).__name__} {getattr(w, 'text', lambda: '')()[:40]!r} {w.width()}x{w.height()}")
    return out


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("key", PAPERS)
def test_layout_holds_with_the_training_panel_open(qtbot, make_window, key, size):
    window = make_window(key)
    window.resize(*size)
    tab = window.tab_widget(key)
    tab.show_training(True)
    qtbot.waitUntil(lambda: tab.training_panel is not None, timeout=60_000)
    event_loop_turns(qtbot)  # let the layouts settle
    assert (window.width(), window.height()) == size, "the window resized itself"
    assert min(tab.training_panel.curves.plot_heights()) >= 120
    assert overlapping_buttons(window) == []
    assert squeezed(window) == []
    start = tab.training_panel.start_button
    where = start.mapTo(window, start.rect().topLeft())
    say = getattr(tab, "show_notice", None) or tab.status.setText  # live tabs' banner, the sketch tab's status
    say("A message long enough to wrap onto a second line at this width, or a third " * 3)
    event_loop_turns(qtbot)
    assert (window.width(), window.height()) == size, "a banner resized the window"
    assert start.mapTo(window, start.rect().topLeft()) == where, "a message moved the controls"
    tab.training_panel.use_button.show()  # what the end of a run offers (seen growing the sketch window by 7 px)
    event_loop_turns(qtbot)
    assert (window.width(), window.height()) == size, "'Use these weights' resized the window"
    assert start.mapTo(window, start.rect().topLeft()) == where, "'Use these weights' moved the controls"
    import numpy as np

    tab.training_panel._show_preview(np.zeros((400, 800, 3), np.uint8))  # a run's preview (style, GAN grids)
    event_loop_turns(qtbot)
    assert (window.width(), window.height()) == size, "the training preview resized the window"


def test_long_trained_run_labels_do_not_squeeze_the_model_list(qtbot, make_window, tmp_path):
    """A user's runs ("trained 2026-12-05 16:51 (stopped at 6/40)") made the pose model list wider than its
    column, so its text was cut."""
    import json

    for name in ("2026-12-05-1651", "2026-12-05-1648"):
        run = tmp_path / "pose" / name
        run.mkdir(parents=True)
        (run / "config.json").write_text(json.dumps({"steps": 40}))
        (run / "metrics.jsonl").write_text(json.dumps({"step": 6, "total_steps": 40}) + "\n")
        (run / "student.pt").write_bytes(b"x")
    window = make_window("pose", runs_root=tmp_path)
    window.resize(900, 600)
    event_loop_turns(qtbot)
    assert window.tab_widget("pose").model_list.count() >= 4
    assert squeezed(window) == []


def test_the_missing_files_bar_does_not_widen_the_window(qtbot, make_window, tmp_path, monkeypatch):
    """A fresh user with nothing downloaded: the bar listing the missing files made a 900x600 window 975 px wide."""
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path))
    window = make_window("detection")
    window.resize(900, 600)
    event_loop_turns(qtbot)
    tab = window.tab_widget("detection")
    assert tab.download_panel.isVisible() and "yolov3-tiny.weights" in tab.download_panel.label.text()
    assert (window.width(), window.height()) == (900, 600)

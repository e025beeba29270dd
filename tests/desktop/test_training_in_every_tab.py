"""Every tab opens the shared training panel below its view, readable at the default window size."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("key", ["detection", "pose", "colorization", "sketch"])
def test_training_panel_opens_with_room_for_the_curves(qtbot, make_window, key):
    window = make_window(key)
    size = window.size()
    tab = window.tab_widget(key)
    tab.show_training(True)
    qtbot.waitUntil(lambda: tab.training_panel is not None, timeout=60_000)
    qtbot.wait(50)  # let the layout settle
    curves = tab.training_panel.curves
    assert curves.isVisible() and curves.graphics.height() >= 200
    assert window.size() == size  # the settings form scrolls instead of stretching the window

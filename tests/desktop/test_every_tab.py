"""Contracts every registered tab meets, parametrised over the registry (a new paper's tab is covered for free).

Each tab builds in the real window, shows a result from the fake source, opens the shared training
panel with its recipe's defaults at a readable size, and closes with no worker left (make_window checks).
"""

from __future__ import annotations

import dataclasses

import pytest

from engines.registry import default_registry

PAPERS = default_registry().keys()


@pytest.mark.parametrize("key", PAPERS)
def test_tab_shows_a_result_from_the_fake_source(qtbot, make_window, key):
    window = make_window(key)
    tab = window.tab_widget(key)
    with qtbot.waitSignal(tab.result_shown, timeout=90_000) as shown:
        pass
    assert shown.args[0] is not None


@pytest.mark.parametrize("key", PAPERS)
def test_training_panel_opens_with_the_defaults_and_room_for_the_curves(qtbot, make_window, key):
    window = make_window(key)
    size = window.size()
    tab = window.tab_widget(key)
    tab.show_training(True)
    qtbot.waitUntil(lambda: tab.training_panel is not None, timeout=60_000)
    panel = tab.training_panel
    defaults = panel.recipe.defaults()
    assert type(panel.config()) is type(defaults)
    for field in dataclasses.fields(defaults):
        assert getattr(panel.config(), field.name) == getattr(defaults, field.name), field.name
    curves = panel.curves
    qtbot.waitUntil(lambda: curves.isVisible() and curves.graphics.height() >= 200, timeout=5_000)
    assert window.size() == size  # the settings form scrolls instead of stretching the window

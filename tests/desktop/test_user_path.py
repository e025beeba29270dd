"""The path a new user walks on every tab: open Training, press Start on the defaults, watch, press Stop.

Real window, real recipe, real default data (the demo clip labelled by the teacher, the kanji set,
the demo clip for colorization; built once into the user data dir), a training child process.
Only the step count is lowered. Stop must leave the live model as it was and offer the run.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from engines.registry import default_registry

PAPERS = default_registry().keys()


def _live_model(tab) -> tuple:
    combo = tab.model_list
    return combo.currentIndex(), combo.currentText(), getattr(tab, "weights", None)


@pytest.mark.parametrize("key", PAPERS)
def test_start_on_the_defaults_then_stop_keeps_the_live_model(qtbot, make_window, tmp_path, key):
    window = make_window(key, runs_root=tmp_path)
    tab = window.tab_widget(key)
    before = _live_model(tab)
    listed_before = tab.model_list.count()
    qtbot.mouseClick(tab.training_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.training_panel is not None, timeout=60_000)
    panel = tab.training_panel
    panel.set_field("steps", 40)  # the only change from the defaults: fewer steps
    assert panel.device_combo.currentText() == "auto"
    steps = []
    panel.step_received.connect(steps.append)
    qtbot.mouseClick(panel.start_button, Qt.MouseButton.LeftButton)
    assert panel.running, panel.status.text()
    qtbot.waitUntil(lambda: len(steps) >= 2 or not panel.running, timeout=240_000)
    assert len(steps) >= 2, panel.status.text()
    assert len(panel.curves.series["loss"].steps) >= 2  # the curve the user watches
    with qtbot.waitSignal(panel.run_ended, timeout=120_000) as ended:
        qtbot.mouseClick(panel.stop_button, Qt.MouseButton.LeftButton)
    assert ended.args == ["stopped"], panel.status.text()
    assert _live_model(tab)[:2] == before[:2], "Stop changed the model the user was watching"
    assert tab.model_list.count() == listed_before + 1, "the stopped run is not listed"
    assert panel.use_button.isVisibleTo(panel) and "Stopped at step" in panel.status.text()
    assert (panel.run_dir / tab.trained_export).is_file()
    run_label = tab.model_list.itemText(tab.trained_insert_at)
    window.close()  # a restart: the run is still in the list, not selected
    again = make_window(key, runs_root=tmp_path).tab_widget(key)
    labels = [again.model_list.itemText(i) for i in range(again.model_list.count())]
    assert run_label in labels and again.model_list.currentIndex() == before[0]

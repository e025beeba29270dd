"""State survives a restart: tab, source, a slider, a check box, the window size; stale state is skipped."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from desktop.sources import DEMO_CLIP


def test_tab_source_controls_and_size_survive_a_restart(qtbot, make_window, tmp_path):
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    first = make_window("detection", settings=store)
    first.resize(1000, 700)
    first.show_tab("pose")
    pose = first.tab_widget("pose")
    pose.open_path(DEMO_CLIP)
    pose.alpha.setValue(17)
    pose.skeleton_box.setChecked(False)
    first.close()

    second = make_window(None, settings=store)
    again = second.tab_widget("pose")
    assert second.current_tab() is again
    assert again.choice.kind == "file" and again.choice.path.resolve() == DEMO_CLIP.resolve()
    assert not again.skeleton_box.isChecked()
    assert again.alpha.value() == 17
    assert (second.width(), second.height()) == (1000, 700)


def test_stale_or_momentary_state_is_not_restored(qtbot, make_window, tmp_path):
    store = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    store.setValue("window/tab", "no-such-tab")
    store.setValue("tabs/pose/source", str(tmp_path / "gone.mp4"))
    store.setValue("tabs/pose/model_combo", "a model deleted since")
    store.setValue("tabs/pose/freeze_box", True)
    store.setValue("tabs/pose/alpha", "not a number")
    window = make_window("detection", settings=store)
    pose = window.tab_widget("pose")
    assert window.current_tab() is window.tab_widget("detection")
    assert pose.choice.kind == "fake", "a vanished file replaced the default source"
    assert pose.model_combo.currentIndex() == 0
    assert not pose.freeze_box.isChecked(), "freeze is momentary, not a preference"
    assert pose.alpha.value() == 60

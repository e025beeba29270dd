"""State survives a restart: tab, source, a slider, a check box, the window size; the wheel leaves unfocused
form controls alone."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, QSettings, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QFormLayout, QScrollArea, QSpinBox, QWidget

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


def _wheel(target: QWidget) -> None:
    event = QWheelEvent(QPointF(5, 5), QPointF(target.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(target, event)


def test_the_wheel_changes_a_spin_box_only_when_it_has_focus(qtbot):
    from desktop.persistence import install_wheel_guard

    install_wheel_guard(QApplication.instance())
    form_holder = QWidget()
    form = QFormLayout(form_holder)
    spin = QSpinBox()
    spin.setRange(0, 100)
    spin.setValue(50)
    form.addRow("width", spin)
    area = QScrollArea()
    area.setWidget(form_holder)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    _wheel(spin)
    assert spin.value() == 50, "an unfocused spin box took the wheel"
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    _wheel(spin)
    assert spin.value() != 50

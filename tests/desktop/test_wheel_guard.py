"""The wheel scrolls a form instead of changing the spin or combo box under the pointer, unless it has focus."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QFormLayout, QScrollArea, QSpinBox, QWidget

from desktop.wheel_guard import install_wheel_guard


def _wheel(target: QWidget) -> None:
    event = QWheelEvent(QPointF(5, 5), QPointF(target.mapToGlobal(QPoint(5, 5))), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(target, event)


def _form(qtbot, *widgets: QWidget) -> QScrollArea:
    holder = QWidget()
    form = QFormLayout(holder)
    for i, w in enumerate(widgets):
        form.addRow(f"field {i}", w)
    for _ in range(30):  # taller than the area: the form can scroll
        form.addRow("filler", QWidget(minimumHeight=20))
    area = QScrollArea()
    area.setWidget(holder)
    area.resize(300, 200)
    qtbot.addWidget(area)
    area.show()
    qtbot.waitExposed(area)
    return area


def test_the_wheel_changes_a_spin_box_only_when_it_has_focus(qtbot):
    install_wheel_guard()
    spin = QSpinBox()
    spin.setRange(0, 100)
    spin.setValue(50)
    area = _form(qtbot, spin)
    _wheel(spin)
    assert spin.value() == 50, "an unfocused spin box took the wheel"
    assert area.verticalScrollBar().value() > 0, "the form did not scroll instead"
    spin.setFocus()
    qtbot.waitUntil(spin.hasFocus, timeout=2000)
    _wheel(spin)
    assert spin.value() != 50


def test_an_unfocused_combo_box_keeps_its_item(qtbot):
    install_wheel_guard()
    combo = QComboBox()
    combo.addItems(["a", "b", "c"])
    area = _form(qtbot, combo)
    assert area.isVisible()
    _wheel(combo)
    assert combo.currentIndex() == 0


def test_the_wheel_cannot_give_focus(qtbot):
    """Qt's default WheelFocus would focus the box on the first wheel turn, before any filter sees it."""
    app = QApplication.instance()
    old = install_wheel_guard()
    app.removeEventFilter(old)  # start over: a box shown before the guard exists
    old.setParent(None)
    early = QSpinBox()
    area = _form(qtbot, early)
    assert early.focusPolicy() == Qt.FocusPolicy.WheelFocus
    guard = install_wheel_guard()
    assert guard is not old and install_wheel_guard() is guard, "installing twice added a second filter"
    late = QComboBox()
    area.widget().layout().addRow("late", late)
    late.show()
    for w in (early, late):
        assert w.focusPolicy() == Qt.FocusPolicy.StrongFocus

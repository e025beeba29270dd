"""The wheel guard: spin boxes and combo boxes ignore the mouse wheel unless they have focus.

Scrolling a form must scroll the form, not change the value under the pointer. Installed once on the
QApplication; every spin/combo box gets Qt.StrongFocus (Qt's default, WheelFocus, would hand it focus
on the first wheel turn, before any event filter sees the event).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QAbstractScrollArea, QAbstractSpinBox, QApplication, QComboBox, QWidget

GUARDED = (QAbstractSpinBox, QComboBox)


def _no_wheel_focus(widget: QWidget) -> None:
    if widget.focusPolicy() == Qt.FocusPolicy.WheelFocus:
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)


class WheelGuard(QObject):
    """App-wide event filter: an unfocused spin/combo box passes the wheel to the scroll area around it."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        kind = event.type()
        if kind == QEvent.Type.Polish and isinstance(obj, GUARDED):
            _no_wheel_focus(obj)
        elif kind == QEvent.Type.Wheel and isinstance(obj, GUARDED) and not obj.hasFocus():
            _no_wheel_focus(obj)
            area = obj.parentWidget()
            while area is not None and not isinstance(area, QAbstractScrollArea):
                area = area.parentWidget()
            if area is not None:  # the form scrolls instead
                QApplication.sendEvent(area.viewport(), event)
            return True
        return False


def install_wheel_guard(app: QApplication | None = None) -> WheelGuard | None:
    """Install the guard on `app` (default: the running QApplication) once; later calls return the same one."""
    app = app or QApplication.instance()
    if app is None:
        return None
    guard = app.findChild(WheelGuard, "paperzoo-wheel-guard")
    if guard is None:
        guard = WheelGuard(app)
        guard.setObjectName("paperzoo-wheel-guard")
        app.installEventFilter(guard)
        for widget in app.allWidgets():  # built before the guard: already polished
            if isinstance(widget, GUARDED):
                _no_wheel_focus(widget)
    return guard

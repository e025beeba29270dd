"""Presenter mode (F11) and the single-key shortcuts a teacher uses in front of a class.

Presenter mode: full screen, larger type and HUD, each live tab's side controls hidden until the pointer
reaches the right edge of the view (they hide again when it leaves them). Keys: Space freezes/pauses the
live view, S saves a snapshot, R starts/stops recording, T opens/closes the training panel, F11 toggles.
A focused text or number field keeps its keys (Qt gives typing precedence over these shortcuts).
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QWidget

EDGE_PX = 48  # the pointer this close to the view's right edge shows the side controls
SCALE = 1.35  # type size in presenter mode


class PresenterMode(QObject):
    """Owns the full-screen state of one main window."""

    def __init__(self, window) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self._font = None
        self._was_maximized = False
        self._geometry = None

    def toggle(self) -> None:
        self.set_active(not self.active)

    def set_active(self, on: bool) -> None:
        if on == self.active:
            return
        self.active = on
        app = QApplication.instance()
        if on:
            self._was_maximized = self.window.isMaximized()
            self._geometry = self.window.geometry()
            self._font = app.font()
            bigger = app.font()
            bigger.setPointSizeF(bigger.pointSizeF() * SCALE)
            app.setFont(bigger)
            self.window.setGeometry(self.window.screen().geometry())  # also fills the screen with no window manager
            self.window.showFullScreen()
        else:
            app.setFont(self._font)
            self.window.showMaximized() if self._was_maximized else self.window.showNormal()
            if not self._was_maximized:
                self.window.setGeometry(self._geometry)
        for tab in self.window.paper_tabs.values():
            view, side = getattr(tab, "view", None), getattr(tab, "side_column", None)
            if view is not None:
                view.hud_points = round(9 * SCALE * 1.3) if on else 9
                view.update()
                if on:
                    view.installEventFilter(self)
                else:
                    view.removeEventFilter(self)
            if side is not None:
                side.setVisible(not on)
                if on:
                    side.installEventFilter(self)
                else:
                    side.removeEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if not self.active:
            return False
        tab = self.window.current_tab()
        side: QWidget | None = getattr(tab, "side_column", None)
        if side is None:
            return False
        if watched is getattr(tab, "view", None) and event.type() == QEvent.Type.MouseMove:
            if event.position().x() >= watched.width() - EDGE_PX:
                side.show()
        elif watched is side and event.type() == QEvent.Type.Leave:
            side.hide()
        return False


def _action(window, text: str, key, slot) -> QAction:
    act = QAction(text, window)
    act.setShortcut(QKeySequence(key))
    act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act.triggered.connect(slot)
    return act


def presenter_actions(window, presenter: PresenterMode, capture) -> dict[str, QAction]:
    """The View/File actions with their keys; `capture` provides snapshot() and toggle_recording()."""

    def toggle_training() -> None:
        tab = window.current_tab()
        if tab is not None:
            panel = getattr(tab, "training_panel", None)
            tab.show_training(not (panel is not None and panel.isVisible()))

    def freeze() -> None:
        tab = window.current_tab()
        bar = getattr(tab, "source_bar", None)
        if bar is not None and bar.pause_button.isVisible():
            bar.pause_button.toggle()  # a video or a folder: pause its playback
            return
        box = getattr(tab, "freeze_box", None)  # the pose tab: freeze the frame on screen
        if box is not None:
            box.toggle()

    return {
        "presenter": _action(window, "&Presenter mode (full screen)", Qt.Key.Key_F11, presenter.toggle),
        "training": _action(window, "&Training panel", Qt.Key.Key_T, toggle_training),
        "freeze": _action(window, "&Freeze / pause the view", Qt.Key.Key_Space, freeze),
        "snapshot": _action(window, "&Snapshot (PNG + settings)", Qt.Key.Key_S, capture.snapshot),
        "record": _action(window, "&Record the view (MP4) / stop", Qt.Key.Key_R, capture.toggle_recording),
    }

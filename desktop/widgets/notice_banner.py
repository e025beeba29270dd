"""The notice banner of a live tab: one line (wrapped) floating along the bottom of the view, so showing it
never moves a control under the user's pointer; blue for information, red for errors; a click hides it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QLabel, QWidget


class NoticeBanner(QLabel):
    """A child of `view` that follows its width and sits on its bottom edge."""

    def __init__(self, view: QWidget) -> None:
        super().__init__(view)
        self.view = view
        self.setWordWrap(True)
        self.setToolTip("Click to dismiss")
        self.hide()
        view.installEventFilter(self)

    def show_text(self, text: str, error: bool = False) -> None:
        color = "#ffb4b4" if error else "#d8e8ff"
        self.setStyleSheet(f"background:{'#5a1e1e' if error else '#1e2e4a'}; color:{color}; padding:6px;")
        self.setText(text)
        self.setVisible(bool(text))
        self.place()

    def place(self) -> None:
        width = self.view.width()  # along the bottom of the view: the HUD stays readable at the top
        height = self.heightForWidth(width)
        self.setGeometry(0, max(0, self.view.height() - height), width, height)
        self.raise_()

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt)
        self.hide()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt)
        if watched is self.view and event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False

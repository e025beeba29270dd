"""The paper card: an info button in the tab bar's corner (F1) opens the current tab's card beside the window."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QDialog, QPushButton, QStyle, QTabWidget, QTextBrowser, QVBoxLayout, QWidget

from engines.cards import paper_card


class PaperCard(QDialog):
    """A non-modal window that shows one paper's card (Markdown); follows the current tab while open."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About this paper")
        self.text = QTextBrowser(self)
        self.text.setOpenExternalLinks(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text)
        self.resize(560, 640)
        self.key = ""

    def show_paper(self, key: str) -> None:
        self.key = key
        self.text.setMarkdown(paper_card(key))


def install_paper_cards(window, tabs: QTabWidget) -> PaperCard:
    """Put an "About this paper" button in the tab bar's corner and an F1 action on `window`."""
    card = PaperCard(window)
    button = QPushButton(tabs.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation),
                         "About this paper", tabs)
    button.setToolTip("The paper behind this tab: its idea, its numbers, what to try (F1)")
    button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    tabs.setCornerWidget(button, Qt.Corner.TopRightCorner)

    def current_key() -> str:
        tab = window.current_tab()
        return tab.info.key if tab is not None else ""

    def toggle() -> None:
        if card.isVisible() and card.key == current_key():
            card.hide()
            return
        card.show_paper(current_key())
        card.show()
        card.raise_()

    button.clicked.connect(toggle)
    act = QAction("About this &paper", window)
    act.setShortcut(QKeySequence(Qt.Key.Key_F1))
    act.triggered.connect(toggle)
    window.addAction(act)
    tabs.currentChanged.connect(lambda _i: card.isVisible() and card.show_paper(current_key()))
    card.button, card.action = button, act
    return card

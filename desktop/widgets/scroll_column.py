"""A settings column that scrolls vertically, so its height never sets the window's."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QScrollArea, QWidget


def scroll_column(content: QWidget, width: int, parent: QWidget | None = None) -> QScrollArea:
    """`content` in a frameless vertical scroll area `width` px wide plus room for the scroll bar."""
    content.setFixedWidth(width)  # wider content would be cut off: there is no horizontal scroll bar
    area = QScrollArea(parent)
    area.setWidget(content)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setFixedWidth(width + area.verticalScrollBar().sizeHint().width())
    return area

"""A status label of a fixed number of lines: long text is cut at a word with an ellipsis, whole in the tooltip.

A label that grows would resize the plots beside it mid-run (a full repaint); one that is clipped shows half a
line. This one keeps its height and shows as many whole words as fit at its current width.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import QLabel, QWidget


class StatusLines(QLabel):
    """QLabel of `lines` text lines; text() returns the whole text, the screen shows what fits."""

    def __init__(self, text: str = "", lines: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.setFixedHeight(lines * self.fontMetrics().lineSpacing() + 4)
        self._full = ""
        self.setText(text)

    def text(self) -> str:  # the whole message, not the part on screen
        return self._full

    def setText(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._fit()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def _fits(self, text: str) -> bool:
        box = QRect(0, 0, max(self.width(), 1), 10**6)
        return self.fontMetrics().boundingRect(box, int(Qt.TextFlag.TextWordWrap), text).height() <= self.height()

    def _fit(self) -> None:
        text = self._full
        if not self._fits(text):
            words = text.split(" ")
            lo, hi = 0, len(words)  # the most words that fit with an ellipsis
            while lo < hi:
                mid = (lo + hi + 1) // 2
                if self._fits(" ".join(words[:mid]) + " \u2026"):
                    lo = mid
                else:
                    hi = mid - 1
            text = " ".join(words[:lo]) + " \u2026"
        super().setText(text)

    def shown_text(self) -> str:
        """What the screen shows (the whole text, or its first words and an ellipsis)."""
        return super().text()

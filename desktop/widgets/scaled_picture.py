"""A picture that fits whatever space the layout gives it (keeping its aspect), and never asks for more: its
size plays no part in the window's minimum size."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ScaledPicture(QLabel):
    """set_picture(QPixmap): shown scaled to the label's current size, at most `max_height` px tall."""

    def __init__(self, parent: QWidget | None = None, max_height: int = 320) -> None:
        super().__init__(parent)
        self.max_height = max_height
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._source: QPixmap | None = None

    def set_picture(self, pix: QPixmap) -> None:
        self._source = pix
        self._fit()

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        if self._source is None or self.width() < 2 or self.height() < 2:
            return
        self.setPixmap(self._source.scaled(self.width(), min(self.max_height, self.height()),
                                           Qt.AspectRatioMode.KeepAspectRatio,
                                           Qt.TransformationMode.SmoothTransformation))

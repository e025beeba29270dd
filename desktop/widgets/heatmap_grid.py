"""A grid of per-joint heatmap thumbnails; clicking one selects that joint (clicking it again, all)."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget


def colorize(heat: np.ndarray, normalize: bool = True) -> np.ndarray:
    """A heatmap (h, w) in [0, 1] -> BGRA uint8 (h, w, 4), colour map INFERNO, alpha = heat.

    normalize: scale by the map's own peak so a confident but narrow peak stays visible.
    """
    if normalize:
        heat = heat / max(float(heat.max()), 1e-6)
    h8 = np.clip(np.sqrt(np.clip(heat, 0, 1)) * 255, 0, 255).astype(np.uint8)
    bgr = cv2.applyColorMap(h8, cv2.COLORMAP_INFERNO)
    return np.dstack([bgr, h8])


def bgra_qimage(bgra: np.ndarray) -> QImage:
    """Wrap BGRA uint8 (h, w, 4) as a QImage (little-endian ARGB32 is B, G, R, A in memory); copies."""
    h, w = bgra.shape[:2]
    return QImage(np.ascontiguousarray(bgra).data, w, h, w * 4, QImage.Format.Format_ARGB32).copy()


class HeatmapGrid(QWidget):
    """Shows K heatmaps (K, h, w) as thumbnails with joint names; emits `selected(index or -1)`."""

    selected = Signal(int)

    def __init__(self, parent: QWidget | None = None, columns: int = 4) -> None:
        super().__init__(parent)
        self.columns = columns
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)  # square cells: as tall as the rows need (scroll it, see scrolling())
        self.setSizePolicy(policy)
        self._images: list[QImage] = []
        self._names: list[str] = []
        self._conf: np.ndarray = np.zeros(0)
        self.current = -1

    def set_heatmaps(self, heatmaps: np.ndarray, names: list[str], confidence: np.ndarray) -> None:
        """heatmaps: float32 (K, h, w) in [0, 1]; names: K labels; confidence: (K,)."""
        self._images = [bgra_qimage(colorize(h)) for h in heatmaps]
        self._names, self._conf = names, np.asarray(confidence)
        self._fit_height()
        self.update()

    def _fit_height(self) -> None:
        """Grow to the height all rows need at the current width (a scroll area then scrolls it)."""
        need = self.heightForWidth(self.width())
        if self.minimumHeight() != need:
            self.setMinimumHeight(need)

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit_height()

    def cell_rect(self, i: int) -> QRectF:
        cols = self.columns
        side = self.width() / cols
        return QRectF((i % cols) * side, (i // cols) * side, side, side)

    def index_at(self, x: float, y: float) -> int:
        side = self.width() / self.columns
        i = int(y // side) * self.columns + int(x // side)
        return i if 0 <= i < len(self._images) else -1

    def mousePressEvent(self, event) -> None:  # noqa: N802
        i = self.index_at(event.position().x(), event.position().y())
        if i >= 0:
            self.current = -1 if i == self.current else i
            self.selected.emit(self.current)
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(20, 20, 24))
        font = QFont()
        font.setPointSize(7)
        p.setFont(font)
        for i, img in enumerate(self._images):
            r = self.cell_rect(i).adjusted(2, 2, -2, -2)
            p.fillRect(r, QColor(0, 0, 0))
            p.drawImage(r, img)
            if i == self.current:
                p.setPen(QColor(80, 220, 255))
                p.drawRect(r)
            p.setPen(QColor(230, 230, 230))
            conf = f" {self._conf[i]:.2f}" if i < len(self._conf) else ""
            p.drawText(r.adjusted(2, 0, 0, 0), Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignLeft,
                       f"{self._names[i]}{conf}")
        p.end()

    def hasHeightForWidth(self) -> bool:  # noqa: N802
        return True

    def heightForWidth(self, w: int) -> int:  # noqa: N802
        rows = max(1, -(-len(self._images) // self.columns))
        return int(np.ceil(rows * w / self.columns))

    def scrolling(self, min_height: int = 200) -> QScrollArea:
        """This grid in a vertical scroll area (every joint reachable however short the window)."""
        area = QScrollArea(self.parentWidget())
        area.setWidget(self)
        area.setWidgetResizable(True)
        area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        area.setFrameShape(QFrame.Shape.NoFrame)
        area.setMinimumHeight(min_height)
        return area

"""A widget that shows the latest frame, scaled to fit, with a paper's overlay and the live HUD."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QFont, QImage, QPainter, QTransform
from PySide6.QtWidgets import QSizePolicy, QWidget

from engines.frames import RateMeter

Overlay = Callable[[QPainter, QTransform], None]
"""overlay(painter, image_to_view): draw in image pixels mapped through the transform."""


def qimage_from_bgr(image: np.ndarray) -> QImage:
    """Wrap a BGR uint8 (H, W, 3) array as a QImage (the array must outlive the QImage)."""
    h, w = image.shape[:2]
    return QImage(image.data, w, h, image.strides[0], QImage.Format.Format_BGR888)


@dataclass(frozen=True)
class HudStats:
    camera_fps: float
    model_fps: float
    display_fps: float
    dropped: int
    age_ms: float
    device: str

    def lines(self) -> list[str]:
        return [
            f"camera {self.camera_fps:5.1f} fps   model {self.model_fps:5.1f} fps   "
            f"display {self.display_fps:5.1f} fps",
            f"dropped {self.dropped}   frame age {self.age_ms:5.0f} ms   device {self.device}",
        ]


class FrameView(QWidget):
    """Paints a frame (BGR numpy) letterboxed into the widget, the overlay, then the HUD text."""

    painted = Signal(float)  # frame age in ms at the moment it was painted (GUI thread)
    hovered = Signal(QPointF)  # mouse position in image pixels

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(240, 135)  # small enough that the training panel fits a 900x600 window
        self.setMouseTracking(True)
        self._image: np.ndarray | None = None
        self._qimage: QImage | None = None
        self._t_capture = 0.0
        self._overlay: Overlay | None = None
        self._hud: list[str] = []
        self._placeholder = "No source yet"
        self._new_frame = False
        self.display_meter = RateMeter()
        self.last_age_ms = 0.0
        self.hud_points = 9  # the HUD's font size (presenter mode makes it larger)

    def show_frame(self, image: np.ndarray, t_capture: float, overlay: Overlay | None = None) -> None:
        self._image, self._qimage = image, qimage_from_bgr(image)
        self._t_capture, self._overlay, self._new_frame = t_capture, overlay, True
        self.update()

    def set_hud(self, lines: list[str]) -> None:
        self._hud = lines
        self.update()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        if self._image is None:
            self.update()

    def clear(self) -> None:
        self._image = self._qimage = None
        self.update()

    @property
    def image(self) -> np.ndarray | None:
        return self._image

    def image_to_view(self) -> QTransform:
        """The transform from image pixels to widget pixels (uniform scale, centred)."""
        if self._image is None:
            return QTransform()
        h, w = self._image.shape[:2]
        s = min(self.width() / w, self.height() / h)
        return QTransform().translate((self.width() - w * s) / 2, (self.height() - h * s) / 2).scale(s, s)

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(24, 24, 28))
        if self._qimage is None:
            p.setPen(QColor(180, 180, 190))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self._placeholder)
            p.end()
            return
        t = self.image_to_view()
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(t.mapRect(QRectF(self._qimage.rect())), self._qimage)
        if self._overlay is not None:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._overlay(p, t)
        if self._new_frame:
            self._new_frame = False
            self.display_meter.tick()
            self.last_age_ms = (time.perf_counter() - self._t_capture) * 1000
            self.painted.emit(self.last_age_ms)
        self._paint_hud(p)
        p.end()

    def _paint_hud(self, p: QPainter) -> None:
        if not self._hud:
            return
        p.setFont(QFont("monospace", self.hud_points))
        fm = p.fontMetrics()
        width = max(fm.horizontalAdvance(s) for s in self._hud) + 12
        height = fm.height() * len(self._hud) + 8
        p.fillRect(QRectF(6, 6, width, height), QColor(0, 0, 0, 160))
        p.setPen(QColor(120, 255, 160))
        for i, line in enumerate(self._hud):
            p.drawText(QPointF(12, 6 + fm.ascent() + 4 + i * fm.height()), line)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._image is not None:
            inv, ok = self.image_to_view().inverted()
            if ok:
                self.hovered.emit(inv.map(event.position()))
        super().mouseMoveEvent(event)

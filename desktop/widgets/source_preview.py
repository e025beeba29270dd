"""While a live tab's model loads (seconds; on a first start also the CPU backends' export, gate and timing),
show the source itself instead of a black view: the newest frame is peeked from the worker's slot (not taken,
so the worker still gets it) about 15 times a second and drawn with a label saying what is happening."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QPainter, QTransform

from desktop.widgets.frame_view import FrameView
from engines.frames import LatestSlot


class SourcePreview(QObject):
    """start(slot, text) until stop(): the raw frames in `view`, with `text` in a box over them."""

    def __init__(self, view: FrameView, interval_ms: int = 66) -> None:
        super().__init__(view)
        self.view = view
        self.text = ""
        self.shown = 0  # frames shown since start (tests read it)
        self._slot: LatestSlot | None = None
        self._last = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)

    @property
    def active(self) -> bool:
        return self._timer.isActive()

    def start(self, slot: LatestSlot, text: str) -> None:
        self._slot, self.text, self._last, self.shown = slot, text, None, 0
        self._timer.start()

    def stop(self, clear: bool = False) -> None:
        """Stop previewing; clear: also blank the view if it still shows a preview frame (the placeholder
        text then shows, e.g. after the model failed to load)."""
        if clear and self._timer.isActive() and self.shown:
            self.view.clear()
        self._timer.stop()
        self._slot = self._last = None

    def _tick(self) -> None:
        frame = self._slot.peek() if self._slot is not None else None
        if frame is None or frame is self._last:
            return
        self._last = frame
        self.shown += 1
        self.view.show_frame(frame.image, frame.t_capture, self._paint_label)

    def _paint_label(self, p: QPainter, _to_view: QTransform) -> None:
        """The label in view coordinates (centred), not image pixels."""
        area = QRectF(p.window())
        box = p.boundingRect(area, int(Qt.AlignmentFlag.AlignCenter), self.text).adjusted(-12, -8, 12, 8)
        p.fillRect(box, QColor(0, 0, 0, 170))
        p.setPen(QColor(255, 255, 255))
        p.drawText(area, int(Qt.AlignmentFlag.AlignCenter), self.text)

"""The GAN tab's picture: a FrameView that also reports presses and drags in image pixels (picking grid tiles
for vector arithmetic, drawing points in the 2-D lab). GUI thread only."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt, Signal

from desktop.widgets.frame_view import FrameView


class PickView(FrameView):
    """pressed(point, shift): a left press at `point` (image pixels), shift held or not; dragged(point): the
    mouse moved with the left button down. Nothing is emitted outside the picture."""

    pressed = Signal(QPointF, bool)
    dragged = Signal(QPointF)

    def _to_image(self, event) -> QPointF | None:
        image = self.image
        if image is None:
            return None
        inv, ok = self.image_to_view().inverted()
        if not ok:
            return None
        p = inv.map(event.position())
        h, w = image.shape[:2]
        return p if 0 <= p.x() < w and 0 <= p.y() < h else None

    def mousePressEvent(self, event) -> None:  # noqa: N802 (Qt naming)
        p = self._to_image(event) if event.button() == Qt.MouseButton.LeftButton else None
        if p is not None:
            self.pressed.emit(p, bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier))
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if event.buttons() & Qt.MouseButton.LeftButton:
            p = self._to_image(event)
            if p is not None:
                self.dragged.emit(p)
        super().mouseMoveEvent(event)

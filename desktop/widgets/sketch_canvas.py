"""Drawing widgets for sketch-rnn: a canvas the user draws on, and previews that animate drawings.

Both map a square model canvas (origin + size, in the model's units, y down) onto the widget.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

Polylines = list[np.ndarray]  # each float32 (n, 2) in model canvas units
GHOST_RGBA = (120, 160, 230, 140)  # the completion drawn faintly behind the user's strokes


class _SquareCanvas(QWidget):
    """Shared geometry: the model canvas [origin, origin + size]^2 centred in the widget with a margin."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.origin, self.size_units = (0.0, 0.0), 100.0
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def set_canvas(self, origin: tuple[float, float], size: float) -> None:
        self.origin, self.size_units = origin, max(size, 1e-6)
        self.update()

    def _scale(self) -> tuple[float, float, float]:
        side = min(self.width(), self.height()) * 0.9
        s = side / self.size_units
        return s, (self.width() - side) / 2, (self.height() - side) / 2

    def to_widget(self, x: float, y: float) -> QPointF:
        s, ox, oy = self._scale()
        return QPointF(ox + (x - self.origin[0]) * s, oy + (y - self.origin[1]) * s)

    def to_model(self, p: QPointF) -> tuple[float, float]:
        s, ox, oy = self._scale()
        return (p.x() - ox) / s + self.origin[0], (p.y() - oy) / s + self.origin[1]

    def frame_rect(self) -> QRectF:
        """The dashed square drawn around the model canvas, widget pixels."""
        s, ox, oy = self._scale()
        return QRectF(ox, oy, self.size_units * s, self.size_units * s)

    def _frame(self, p: QPainter) -> None:
        p.fillRect(self.rect(), QColor(250, 250, 246))
        p.setPen(QPen(QColor(215, 215, 205), 1, Qt.PenStyle.DashLine))
        p.drawRect(self.frame_rect())

    def _path(self, lines: Polylines, upto: int | None = None) -> QPainterPath:
        path, left = QPainterPath(), upto if upto is not None else 1 << 30
        for line in lines:
            if left <= 0:
                break
            pts = line[: max(1, left)]
            left -= len(line)
            path.moveTo(self.to_widget(*pts[0]))
            if len(pts) == 1:
                path.lineTo(self.to_widget(*pts[0]) + QPointF(0.5, 0.5))  # a dot
            for x, y in pts[1:]:
                path.lineTo(self.to_widget(x, y))
        return path


class SketchCanvas(_SquareCanvas):
    """Draw with the mouse or a pen. `stroke_finished` fires on release with all strokes so far."""

    stroke_finished = Signal(object)  # Polylines

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(130, 130)
        self.strokes: Polylines = []
        self._current: list[tuple[float, float]] = []
        self.ghost: Polylines = []  # a completion shown faintly behind the user's strokes

    def clear(self) -> None:
        self.strokes, self._current, self.ghost = [], [], []
        self.update()

    def set_strokes(self, strokes: Polylines) -> None:
        self.strokes, self._current = [np.asarray(s, np.float32) for s in strokes], []
        self.update()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            self._current = [self.to_model(event.position())]

    def mouseMoveEvent(self, event) -> None:  # noqa: N802
        if self._current:
            self._current.append(self.to_model(event.position()))
            self.update()

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802
        if self._current:
            self.strokes.append(np.asarray(self._current, np.float32))
            self._current = []
            self.update()
            self.stroke_finished.emit(list(self.strokes))

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._frame(p)
        if self.ghost:  # the completion stays inside the model canvas square
            p.save()
            p.setClipRect(self.frame_rect())
            p.setPen(QPen(QColor(*GHOST_RGBA), 2.5, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawPath(self._path(self.ghost))
            p.restore()
        p.setPen(QPen(QColor(20, 20, 20), 3, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap,
                      Qt.PenJoinStyle.RoundJoin))
        lines = self.strokes + ([np.asarray(self._current, np.float32)] if self._current else [])
        p.drawPath(self._path(lines))
        p.end()


class SketchPreview(_SquareCanvas):
    """Shows one drawing, revealed point by point as the pen moved (about a second). Click to select."""

    view_box: tuple[float, float, float] | None = None  # (x0, y0, side) in model units

    def frame_rect(self) -> QRectF:
        """The dashed square: the model canvas, grown to the whole fitted view when a drawing leaves it."""
        if self.view_box is None:
            return super().frame_rect()
        side = min(self.width(), self.height()) * 0.9
        return QRectF((self.width() - side) / 2, (self.height() - side) / 2, side, side)

    def _scale(self) -> tuple[float, float, float]:
        if self.view_box is None:
            return super()._scale()
        x0, y0, side_units = self.view_box
        side = min(self.width(), self.height()) * 0.9
        s = side / max(side_units, 1e-6)
        ox = (self.width() - side) / 2 - (x0 - self.origin[0]) * s
        return s, ox, (self.height() - side) / 2 - (y0 - self.origin[1]) * s

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None, caption: str = "") -> None:
        super().__init__(parent)
        self.setMinimumSize(70, 70)
        self.lines: Polylines = []
        self.prefix_points = 0
        self.caption = caption
        self.shown_points = 0
        self.selected = False
        self._timer = QTimer(self)
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._advance)

    @property
    def total_points(self) -> int:
        return sum(len(s) for s in self.lines)

    def set_drawing(self, lines: Polylines, caption: str = "", prefix_points: int = 0, animate: bool = True) -> None:
        """Show `lines`; the view grows from the model canvas to fit a drawing that leaves it."""
        self.lines, self.caption, self.prefix_points = lines, caption, prefix_points
        if lines:
            pts = np.concatenate([np.asarray(p).reshape(-1, 2) for p in lines])
            x0 = min(float(pts[:, 0].min()), self.origin[0])
            y0 = min(float(pts[:, 1].min()), self.origin[1])
            side = max(float(pts[:, 0].max()) - x0, float(pts[:, 1].max()) - y0,
                       self.origin[0] + self.size_units - x0, self.origin[1] + self.size_units - y0)
            self.view_box = (x0, y0, side)
        else:
            self.view_box = None
        self.shown_points = prefix_points if animate else self.total_points
        if animate:
            self._timer.start()
        self.update()

    def _advance(self) -> None:
        self.shown_points += max(1, self.total_points // 60)  # about one second per drawing
        if self.shown_points >= self.total_points:
            self.shown_points = self.total_points
            self._timer.stop()
        self.update()

    @property
    def animating(self) -> bool:
        return self._timer.isActive()

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self.clicked.emit()

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._frame(p)
        if self.selected:
            p.setPen(QPen(QColor(60, 140, 230), 3))
            p.drawRect(self.rect().adjusted(1, 1, -2, -2))
        pen = QPen(QColor(25, 25, 25), 2, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap, Qt.PenJoinStyle.RoundJoin)
        p.setPen(pen)
        p.drawPath(self._path(self.lines, self.shown_points))
        if self.prefix_points:
            pen.setColor(QColor(200, 60, 60))
            p.setPen(pen)
            p.drawPath(self._path(self.lines, min(self.prefix_points, self.shown_points)))
        if self.caption:
            p.setPen(QColor(90, 90, 90))
            p.drawText(self.rect().adjusted(4, 2, -4, -2), Qt.AlignmentFlag.AlignBottom, self.caption)
        p.end()


def _svg_group(lines: Polylines, colour: str, width: float, opacity: float = 1.0) -> str:
    parts = []
    for line in lines:
        d = " ".join(f"{'M' if i == 0 else 'L'}{x:.2f},{y:.2f}" for i, (x, y) in enumerate(line))
        parts.append(f'  <path d="{d}"/>')
    return (f'<g fill="none" stroke="{colour}" stroke-width="{width:.2f}" stroke-opacity="{opacity:.2f}" '
            f'stroke-linecap="round" stroke-linejoin="round">\n' + "\n".join(parts) + "\n</g>\n")


def polylines_to_svg(lines: Polylines, origin: tuple[float, float], size: float, path: Path,
                     under: Polylines = ()) -> Path:
    """Write drawings as an SVG: one <path> per pen-down stroke, in model canvas units (viewBox = the canvas).

    under: strokes drawn faintly first (the canvas's completion ghost), clipped by the viewBox.
    """
    stroke = max(size / 60, 0.2)
    ghost = _svg_group(under, "#78a0e6", stroke * 0.8, GHOST_RGBA[3] / 255) if len(under) else ""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="{origin[0]} {origin[1]} {size} {size}" '
           f'width="512" height="512">\n' + ghost + _svg_group(lines, "black", stroke) + "</svg>\n")
    path.write_text(svg)
    return path

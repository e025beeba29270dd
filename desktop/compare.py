"""The compare view of a live tab: the same frame through two models, split by a wipe line.

Model A is the tab's model; model B is chosen here from the tab's model list. B is built on the tab's
live worker (a command between frames) and runs beside A (engines.compare.PairRunner). Left of the line
shows A's result, right of it B's, each labelled with its model and its own time per frame.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen, QTransform
from PySide6.QtWidgets import QComboBox, QSlider, QVBoxLayout, QWidget

from engines.compare import PairResult, PairRunner
from engines.pipeline import LiveNotice, LiveResult

OFF = "off"


class CompareControls(QWidget):
    """'Compare with' (off or a model from the tab's list) and the wipe position, in the tab's side column."""

    def __init__(self, tab) -> None:
        from desktop.tabs.base import add_labeled

        super().__init__(tab)
        self.tab = tab
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.compare_combo = add_labeled(layout, "Compare with (split view)", QComboBox())
        self.compare_combo.setToolTip("Run a second model on the same frames: left of the line is this tab's "
                                      "model, right of it the one chosen here")
        self.compare_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.compare_combo.addItem(OFF)
        self.compare_combo.activated.connect(self._on_choice)
        self.wipe = add_labeled(layout, "Wipe (where the line is)", QSlider(Qt.Orientation.Horizontal))
        self.wipe.setRange(5, 95)
        self.wipe.setValue(50)
        self.wipe.valueChanged.connect(lambda _v: tab.view.update())
        self.runner = PairRunner()
        self.choice: tuple[str, Any] | None = None  # (label, weights) of model B
        self.last_pair: PairResult | None = None  # the latest pair shown (GUI thread)

    def attach(self) -> None:
        """Follow the tab's model list (call once it exists): the choices are its models."""
        combo = getattr(self.tab, "model_list", None)
        if combo is not None:
            for sig in (combo.model().rowsInserted, combo.model().rowsRemoved):
                sig.connect(lambda *_: self.refill())
        self.refill()

    def refill(self) -> None:
        current = self.compare_combo.currentText()
        self.compare_combo.blockSignals(True)
        self.compare_combo.clear()
        self.compare_combo.addItem(OFF)
        for label, weights in self.tab.model_choices():
            self.compare_combo.addItem(label, weights)
        self.compare_combo.setCurrentIndex(max(0, self.compare_combo.findText(current)))
        self.compare_combo.blockSignals(False)

    def _on_choice(self, index: int) -> None:
        if index <= 0:
            self.choice = None
            runner = self.runner
            self.tab.commands.submit(lambda: (runner.clear_b(), LiveNotice("Compare view off."))[1])
            return
        self.choice = (self.compare_combo.itemText(index), self.compare_combo.itemData(index))
        self.send_choice()

    def new_runner(self) -> PairRunner:
        """A fresh runner for a new live worker (the old one's B engine goes with its worker)."""
        self.runner = PairRunner()
        return self.runner

    def send_choice(self) -> None:
        """Build model B on the live worker (queued between frames); a failure keeps A alone and says why."""
        if self.choice is None:
            return
        label, weights = self.choice
        runner, create = self.runner, self.tab.create_engine
        device = self.tab.engine_device if self.tab.engine_device not in ("", "-") else "cpu"

        def build() -> LiveNotice:
            try:
                runner.set_b(create(weights, device), label)
            except Exception as exc:  # noqa: BLE001 - any failure is a message; A keeps running
                return LiveNotice(f"Could not load {label} to compare: {exc}", error=True)
            return LiveNotice(f"Comparing with {label}: drag the wipe slider to move the line.")
        self.tab.commands.submit(build)

    def split(self, item: LiveResult) -> tuple[LiveResult, np.ndarray, Any]:
        """(what the tab's own hooks see: A's result, the image to show, the overlay painter) for one result."""
        tab = self.tab
        pair = item.result
        if not isinstance(pair, PairResult):
            return item, tab.display_image(item), lambda p, t: tab.paint_result(p, t, pair)
        self.last_pair = pair
        live_a, live_b = replace(item, result=pair.a), replace(item, result=pair.b)
        image_a, image_b = tab.display_image(live_a), tab.display_image(live_b)
        frac = self.wipe.value() / 100
        if image_b is not image_a and image_b.shape == image_a.shape:
            x = int(image_a.shape[1] * frac)
            image_a = image_a.copy()
            image_a[:, x:] = image_b[:, x:]
        width, height = image_a.shape[1], image_a.shape[0]
        label_a = tab.compare_label()

        def paint(p: QPainter, to_view: QTransform) -> None:
            line = to_view.map(QPointF(width * frac, 0)).x()
            top, bottom = to_view.map(QPointF(0, 0)).y(), to_view.map(QPointF(0, height)).y()
            full = QRectF(p.window())
            p.save()
            p.setClipRect(QRectF(full.left(), full.top(), line - full.left(), full.height()))
            tab.paint_result(p, to_view, pair.a)
            p.setClipRect(QRectF(line, full.top(), full.right() - line, full.height()))
            tab.paint_result(p, to_view, pair.b)
            p.restore()
            p.setPen(QPen(QColor(255, 255, 255), 2))
            p.drawLine(QPointF(line, top), QPointF(line, bottom))
            fm = p.fontMetrics()

            def caption(side: str, label: str, ms: float, width: float) -> str:  # the name is elided, the time stays
                tail = f"  {ms:.0f} ms"
                room = int(width) - fm.horizontalAdvance(f"{side}: {tail}")
                return f"{side}: " + fm.elidedText(label, Qt.TextElideMode.ElideRight, max(0, room)) + tail

            # each caption fits its side of the line (at most 400 px), so neither runs off a small view
            width_a, width_b = (min(400.0, max(80.0, room)) for room in (line - full.left() - 16,
                                                                         full.right() - line - 16))
            for text, x, w, align in ((caption("A", label_a, pair.ms_a, width_a), line - 8, width_a,
                                       Qt.AlignmentFlag.AlignRight),
                                      (caption("B", pair.label_b, pair.ms_b, width_b), line + 8, width_b,
                                       Qt.AlignmentFlag.AlignLeft)):
                y = top + 60  # below the HUD, above the notice banner
                box = QRectF(x - w if align == Qt.AlignmentFlag.AlignRight else x, y, w, 22)
                p.fillRect(p.boundingRect(box, int(align), text).adjusted(-4, -2, 4, 2), QColor(0, 0, 0, 170))
                p.drawText(box, int(align), text)
        return live_a, image_a, paint

    def shutdown(self) -> None:
        self.runner.close()

"""Live training curves (pyqtgraph): every loss term and metric drawn raw (faint) and smoothed.

The smoothing is an exponential moving average with a time constant in *steps*
(alpha = 1 - exp(-dstep / tau)), computed on every point received, so the smoothed curve does
not change with how many points the plot happens to draw.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

PALETTE = ("#4fc3f7", "#ffb74d", "#81c784", "#e57373", "#ba68c8", "#fff176", "#4db6ac", "#f06292")


@dataclass
class Series:
    """One named curve: raw points and their EMA (both float64 lists, steps as x)."""

    steps: list[float] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    smooth: list[float] = field(default_factory=list)
    dirty: bool = False

    def add(self, step: float, value: float, tau: float) -> None:
        if self.smooth and math.isfinite(value):
            alpha = 1.0 - math.exp(-max(step - self.steps[-1], 0.0) / max(tau, 1e-9))
            ema = self.smooth[-1] + alpha * (value - self.smooth[-1])
        else:
            ema = value
        self.steps.append(step)
        self.values.append(value)
        self.smooth.append(ema)
        self.dirty = True

    def resmooth(self, tau: float) -> None:
        steps, values = self.steps, self.values
        self.steps, self.values, self.smooth = [], [], []
        for s, v in zip(steps, values):
            self.add(s, v, tau)


def ema(steps: list[float], values: list[float], tau: float) -> list[float]:
    """The panel's EMA for a whole series (used for overlays)."""
    s = Series()
    for x, y in zip(steps, values):
        s.add(x, y, tau)
    return s.smooth


class LiveCurves(QWidget):
    """Two plots (loss terms per step; metrics per evaluation) redrawn from a 15 Hz timer (66 ms)."""

    hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None, refresh_ms: int = 66) -> None:
        super().__init__(parent)
        self.series: dict[str, Series] = {}
        self._items: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._overlays: list[pg.PlotDataItem] = []
        self.repaints = 0  # refreshes that pushed new points to the plot
        self.ticks = 0  # refresh timer ticks (the panel's redraw rate)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("#1b1d22")
        self.loss_plot = self.graphics.addPlot(row=0, col=0, title="loss terms (per step)")
        self.metric_plot = self.graphics.addPlot(row=1, col=0, title="metrics (per evaluation)")
        for plot in (self.loss_plot, self.metric_plot):
            plot.addLegend(offset=(-10, 10))
            # no grid: pyqtgraph's translucent grid more than doubled each repaint (34 vs 15 ms measured)
            plot.setLabel("bottom", "step")
            plot.setClipToView(True)
            plot.setDownsampling(auto=True, mode="peak")
        self.metric_plot.setXLink(self.loss_plot)
        self.log_box = QCheckBox("log scale")
        self.follow_box = QCheckBox("follow latest")
        self.follow_box.setChecked(True)
        self.tau_spin = QSpinBox()
        self.tau_spin.setRange(1, 100000)
        self.tau_spin.setValue(20)
        self.tau_spin.setPrefix("smoothing: ")
        self.tau_spin.setSuffix(" steps")
        self.readout = QLabel("hover a curve for step and value")
        bar = QHBoxLayout()
        for w in (self.log_box, self.follow_box, self.tau_spin, self.readout):
            bar.addWidget(w)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.graphics, 1)
        self.log_box.toggled.connect(lambda on: self.loss_plot.setLogMode(y=on))
        self.follow_box.toggled.connect(self._follow)
        self.tau_spin.valueChanged.connect(self._retau)
        self._mouse = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        self.timer = QTimer(self)
        self.timer.setInterval(refresh_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    # data in ------------------------------------------------------------------
    def add_point(self, name: str, step: float, value: float, metric: bool = False) -> None:
        if name not in self.series:
            self.series[name] = Series()
            self._make_items(name, metric)
        self.series[name].add(step, value, self.tau_spin.value())

    def clear(self) -> None:
        for raw, smooth in self._items.values():
            for item in (raw, smooth):
                item.getViewBox().removeItem(item) if item.getViewBox() else None
        self.loss_plot.clear()
        self.metric_plot.clear()
        self.series, self._items, self._overlays = {}, {}, []

    def _make_items(self, name: str, metric: bool) -> None:
        plot = self.metric_plot if metric else self.loss_plot
        color = pg.mkColor(PALETTE[len(self._items) % len(PALETTE)])
        faint = pg.mkColor(color)
        faint.setAlpha(70)
        raw = plot.plot(pen=pg.mkPen(faint, width=1), symbol="o" if metric else None, symbolSize=5,
                        symbolBrush=faint, symbolPen=None)
        smooth = plot.plot(pen=pg.mkPen(color, width=2), name=name)
        self._items[name] = (raw, smooth)

    def overlay_run(self, label: str, records: list[dict]) -> None:
        """Draw a previous run's smoothed loss terms as dashed grey lines."""
        by_name: dict[str, tuple[list[float], list[float]]] = {}
        for r in records:
            for k, v in r.get("losses", {}).items():
                xs, ys = by_name.setdefault(k, ([], []))
                xs.append(float(r["step"]))
                ys.append(float(v))
        for k, (xs, ys) in by_name.items():
            item = self.loss_plot.plot(xs, ema(xs, ys, self.tau_spin.value()),
                                       pen=pg.mkPen("#8a8f99", width=1, style=pg.QtCore.Qt.PenStyle.DashLine),
                                       name=f"{label}: {k}")
            self._overlays.append(item)

    # drawing (10 Hz) ------------------------------------------------------------
    def refresh(self) -> None:
        self.ticks += 1
        changed = False
        for name, s in self.series.items():
            if not s.dirty:
                continue
            raw, smooth = self._items[name]
            x = np.asarray(s.steps)
            raw.setData(x, np.asarray(s.values))
            smooth.setData(x, np.asarray(s.smooth))
            s.dirty, changed = False, True
        if changed:
            self.repaints += 1
            if self.follow_box.isChecked():
                for plot in (self.loss_plot, self.metric_plot):
                    if not all(plot.vb.autoRangeEnabled()):  # re-enabling when already on repaints twice
                        plot.enableAutoRange()

    def _follow(self, on: bool) -> None:
        if on:
            self.loss_plot.enableAutoRange()

    def _retau(self, tau: int) -> None:
        for s in self.series.values():
            s.resmooth(tau)

    def _on_mouse(self, event) -> None:
        pos = event[0]
        for plot in (self.loss_plot, self.metric_plot):
            if not plot.sceneBoundingRect().contains(pos):
                continue
            x = plot.vb.mapSceneToView(pos).x()
            parts = []
            for name, s in self.series.items():
                if s.steps and self._items[name][1].getViewBox() is plot.vb:
                    i = int(np.argmin(np.abs(np.asarray(s.steps) - x)))
                    parts.append(f"{name}={s.values[i]:.4g}")
                    step = s.steps[i]
            if parts:
                text = f"step {step:.0f}: " + "  ".join(parts)
                self.readout.setText(text)
                self.hovered.emit(text)

    # export -------------------------------------------------------------------
    def export_csv(self, path: Path) -> Path:
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["series", "step", "value", "smoothed"])
            for name, s in self.series.items():
                for row in zip(s.steps, s.values, s.smooth):
                    w.writerow([name, *row])
        return path

    def export_png(self, path: Path) -> Path:
        self.refresh()
        self.graphics.grab().save(str(path))
        return path

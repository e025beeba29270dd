"""Live training curves (pyqtgraph): every loss term and metric drawn raw (faint) and smoothed.

The smoothing is an exponential moving average with a time constant in *steps*
(alpha = 1 - exp(-dstep / tau)), computed on every point received, so the smoothed curve does
not change with how many points the plot happens to draw.
"""

from __future__ import annotations

import csv
import html
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

LONG_SERIES = 4000  # points in one series from which the plots clip to the view and downsample
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


def next_range(lo: float, hi: float, view: tuple[float, float]) -> tuple[float, float] | None:
    """The y range to show data spanning [lo, hi] in `view`, or None to keep `view` as it is.

    The view changes only when data leaves it or fills less than half of it, so the axes (whose
    repaint is the costly part of a refresh) are redrawn a few times per run, not on every point.
    """
    span = hi - lo
    if view[0] <= lo and hi <= view[1] and span >= 0.5 * (view[1] - view[0]):
        return None
    pad = 0.08 * span if span > 0 else max(abs(hi) * 0.05, 1e-3)
    return lo - pad, hi + pad


class LiveCurves(QWidget):
    """Two plots (loss terms per step; metrics per evaluation) redrawn from a 15 Hz timer (66 ms).

    Ranges are set here from the data (pyqtgraph's auto-range walks every item's bounds on every
    change and was the largest GUI stall while training); the legend is a QLabel, not a scene item.
    """

    hovered = Signal(str)

    def __init__(self, parent: QWidget | None = None, refresh_ms: int = 66) -> None:
        super().__init__(parent)
        self.series: dict[str, Series] = {}
        self._long = False  # has any series passed LONG_SERIES points
        self._items: dict[str, tuple[pg.PlotDataItem, pg.PlotDataItem]] = {}
        self._overlays: list[pg.PlotDataItem] = []
        self._overlay_runs: list[str] = []  # labels of the earlier runs drawn dashed
        self.repaints = 0  # refreshes that pushed new points to the plot
        self.ticks = 0  # refresh timer ticks (the panel's redraw rate)
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setBackground("#1b1d22")
        self.loss_plot = self.graphics.addPlot(row=0, col=0, title="loss terms (per step)")
        self.metric_plot = self.graphics.addPlot(row=1, col=0, title="metrics (per evaluation)")
        for plot in (self.loss_plot, self.metric_plot):
            # no grid: pyqtgraph's translucent grid more than doubled each repaint (34 vs 15 ms measured)
            plot.setLabel("bottom", "step")
            # fixed axis sizes: an axis that resizes (wider tick labels, an SI prefix) re-lays out the plot
            plot.getAxis("left").setWidth(52)
            for side in ("left", "bottom"):
                plot.getAxis(side).enableAutoSIPrefix(False)
            plot.vb.disableAutoRange()
            plot.hideButtons()  # "follow latest" is the auto-range switch
            plot.vb.sigRangeChangedManually.connect(self._on_user_range)
        self.metric_plot.setXLink(self.loss_plot)
        self.side_by_side = False
        self._arrange(False)
        self.legend = QLabel()
        # one line, whatever its text: a label that grows would resize the plots mid-run (a 50 ms repaint)
        self.legend.setFixedHeight(self.legend.fontMetrics().lineSpacing() + 4)
        self.legend.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.log_box = QCheckBox("log scale")
        self.follow_box = QCheckBox("follow latest")
        self.follow_box.setChecked(True)
        self.tau_spin = QSpinBox()
        self.tau_spin.setRange(1, 100000)
        self.tau_spin.setValue(20)
        self.tau_spin.setPrefix("smoothing: ")
        self.tau_spin.setSuffix(" steps")
        self.readout = QLabel("hover a curve for step and value")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)  # never widens the panel
        bar = QHBoxLayout()
        for w in (self.log_box, self.follow_box, self.tau_spin, self.readout):
            bar.addWidget(w)
        bar.addStretch(1)
        self.bar = bar  # the panel adds its plot options here (add_option)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.legend)
        layout.addWidget(self.graphics, 1)
        self.graphics.setMinimumHeight(self.PLOT_MIN_HEIGHT + 16)  # side by side below 2 plots' height
        self.log_box.toggled.connect(self._set_log)
        self.follow_box.toggled.connect(self._follow)
        self.tau_spin.valueChanged.connect(self._retau)
        self._mouse = pg.SignalProxy(self.graphics.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse)
        self.timer = QTimer(self)
        self.timer.setInterval(refresh_ms)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()

    PLOT_MIN_HEIGHT = 150  # px of one plot (title, axes and data); below two of them the plots sit side by side


    def add_option(self, widget: QWidget) -> None:
        """Put a plot option (a check box ...) in the bar above the plots, after the smoothing box."""
        self.bar.insertWidget(self.bar.indexOf(self.tau_spin) + 1, widget)
    def _arrange(self, side_by_side: bool) -> None:
        """Stack the two plots (loss terms taller) or put them side by side (short, wide panels)."""
        ci = self.graphics.ci
        if self.metric_plot in ci.items:
            ci.removeItem(self.metric_plot)
        ci.addItem(self.metric_plot, row=0 if side_by_side else 1, col=1 if side_by_side else 0)
        ci.layout.setRowStretchFactor(0, 3)
        ci.layout.setRowStretchFactor(1, 0 if side_by_side else 2)
        self.side_by_side = side_by_side

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt)
        super().resizeEvent(event)
        short = self.graphics.height() < 2 * self.PLOT_MIN_HEIGHT + 20
        wanted = short and self.graphics.width() >= 2 * 260
        if wanted != self.side_by_side:
            self._arrange(wanted)

    def plot_heights(self) -> tuple[int, int]:
        """Heights in px of the loss and metric plots as laid out now."""
        return int(self.loss_plot.geometry().height()), int(self.metric_plot.geometry().height())

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
        self.series, self._items, self._overlays, self._overlay_runs = {}, {}, [], []
        self._set_long(False)
        self._update_legend()

    def _set_long(self, on: bool) -> None:
        """Clip to the view and downsample (worth it only for series longer than LONG_SERIES)."""
        self._long = on
        for plot in (self.loss_plot, self.metric_plot):
            plot.setClipToView(on)
            plot.setDownsampling(auto=on, mode="peak")

    def _make_items(self, name: str, metric: bool) -> None:
        plot = self.metric_plot if metric else self.loss_plot
        color = pg.mkColor(PALETTE[len(self._items) % len(PALETTE)])
        faint = pg.mkColor(color)
        faint.setAlpha(70)
        raw = plot.plot(pen=pg.mkPen(faint, width=1), symbol="o" if metric else None, symbolSize=5,
                        symbolBrush=faint, symbolPen=None)
        smooth = plot.plot(pen=pg.mkPen(color, width=2))
        self._items[name] = (raw, smooth)
        self._update_legend()

    def _update_legend(self) -> None:
        """This run's series (in their colours) first, then one entry for the overlaid runs."""
        rows = [f'<span style="color:{smooth.opts["pen"].color().name()}">━━</span> {html.escape(name)}'
                for name, (_, smooth) in self._items.items()]
        runs = self._overlay_runs
        if runs:
            rows.append(f'<span style="color:#8a8f99">- - -</span> earlier run{"s" if len(runs) > 1 else ""}')
        self.legend.setText("&nbsp;&nbsp; ".join(rows))
        self.legend.setToolTip("Earlier runs drawn dashed: " + ", ".join(runs) if runs else "")

    def overlay_run(self, label: str, records: list[dict]) -> None:
        """Draw a previous run's smoothed loss terms as dashed grey lines."""
        by_name: dict[str, tuple[list[float], list[float]]] = {}
        for r in records:
            for k, v in r.get("losses", {}).items():
                xs, ys = by_name.setdefault(k, ([], []))
                xs.append(float(r["step"]))
                ys.append(float(v))
        for xs, ys in by_name.values():
            item = self.loss_plot.plot(xs, ema(xs, ys, self.tau_spin.value()),
                                       pen=pg.mkPen("#8a8f99", width=1, style=pg.QtCore.Qt.PenStyle.DashLine))
            self._overlays.append(item)
        if by_name:
            self._overlay_runs.append(label)
        self._update_legend()
        if self._overlays and not self.series:  # nothing of this run yet: show the earlier runs whole
            self.loss_plot.vb.autoRange(items=self._overlays)

    # drawing (15 Hz) ------------------------------------------------------------
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
            if not self._long and len(s.steps) > LONG_SERIES:
                self._set_long(True)
        if changed:
            self.repaints += 1
            if self.follow_box.isChecked():
                self.follow()

    def follow(self, force: bool = False) -> None:
        """Fit the views to the data: x from the first step to twice the steps so far, y per plot.

        Each x change redraws every item and both axes (12-15 ms idle, 35-60 ms beside training), so
        the x range doubles when the data reaches its end: a handful of changes per run.
        """
        xs = [s.steps for s in self.series.values() if s.steps]
        if not xs:
            return
        x0, x1 = min(x[0] for x in xs), max(x[-1] for x in xs)
        view_x = self.loss_plot.vb.viewRange()[0]
        if force or x1 > view_x[1] or x0 < view_x[0] or (x1 - x0) < 0.4 * (view_x[1] - view_x[0]) - 20:
            self.loss_plot.vb.setXRange(x0, x0 + max(2.0 * (x1 - x0), 20.0), padding=0.02)
        log = self.log_box.isChecked()
        for plot, metric in ((self.loss_plot, False), (self.metric_plot, True)):
            lo, hi = self._y_bounds(metric, log and not metric)
            if lo is None:
                continue
            view = (math.inf, -math.inf) if force else tuple(plot.vb.viewRange()[1])  # an empty view always moves
            target = next_range(lo, hi, view)
            if target is not None:
                plot.vb.setYRange(*target, padding=0)

    def _y_bounds(self, metric: bool, log: bool) -> tuple[float | None, float | None]:
        """Finite min and max over one plot's raw values (log10 of the positive ones in log scale)."""
        lo, hi = math.inf, -math.inf
        for name, s in self.series.items():
            if not s.values or (self._items[name][1].getViewBox() is self.metric_plot.vb) != metric:
                continue
            v = np.asarray(s.values)
            v = np.log10(v[v > 0]) if log else v[np.isfinite(v)]
            if v.size:
                lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
        return (lo, hi) if lo <= hi else (None, None)

    def _on_user_range(self, _mask) -> None:
        self.follow_box.setChecked(False)  # the user panned or zoomed: stop moving the view under them

    def _set_log(self, on: bool) -> None:
        self.loss_plot.setLogMode(y=on)
        self.follow(force=True)

    def _follow(self, on: bool) -> None:
        if on:
            self.follow(force=True)

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

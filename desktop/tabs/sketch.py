"""Sketch tab (sketch-rnn): draw, and the model finishes your drawing several ways at once."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.tabs.serving import ServingTab
from desktop.widgets.sketch_canvas import SketchCanvas, SketchPreview, polylines_to_svg
from engines.pipeline import LiveNotice, LiveResult

N_PANELS = 6


@dataclass(frozen=True)
class SketchRequest:
    """One job for the sketch worker. kind: complete | sample | reconstruct | interpolate | load."""

    kind: str
    tau: float = 0.5
    strokes: tuple[np.ndarray, ...] = ()  # user polylines, model canvas units
    other: tuple[np.ndarray, ...] = ()  # second drawing (interpolate)
    path: str = ""
    serial: int = 0
    min_strokes: int = 0  # complete: each continuation adds at least this many strokes


@dataclass(frozen=True)
class SketchReply:
    request: SketchRequest
    drawings: tuple[Any, ...]  # engines.sketch.engine.Sketch
    origin: tuple[float, float]
    size: float
    ms: float
    info: str = ""


def run_request(engine, req: SketchRequest) -> SketchReply:
    """Do one request on the worker thread (all completions/samples in one batched call)."""
    import time

    t0 = time.perf_counter()
    info = ""
    if req.kind == "load":
        engine.load(req.path, "cpu")
        drawings = engine.sample(N_PANELS, req.tau, seed=0)
        info = f"loaded {Path(req.path).name} ({engine.info.get('dataset')})"
    elif req.kind == "complete" and req.strokes:
        drawings = engine.complete(engine.strokes_from_polylines(list(req.strokes)), N_PANELS, req.tau,
                                   min_strokes=req.min_strokes)
    elif req.kind == "reconstruct" and req.strokes:
        z = engine.encode(engine.strokes_from_polylines(list(req.strokes)))
        drawings = engine.decode(np.repeat(z[None], N_PANELS, 0), tau=req.tau)
    elif req.kind == "interpolate" and req.strokes and req.other:
        za = engine.encode(engine.strokes_from_polylines(list(req.strokes)))
        zb = engine.encode(engine.strokes_from_polylines(list(req.other)))
        drawings = engine.interpolate(za, zb, N_PANELS, tau=req.tau)
    else:
        drawings = engine.sample(N_PANELS, req.tau)
    return SketchReply(req, tuple(drawings), engine.origin, engine.canvas_size, (time.perf_counter() - t0) * 1000,
                       info)


class SketchTab(ServingTab):
    trained_export = "sketch.pt"
    reply_shown = Signal(object)  # SketchReply, after the previews were updated (GUI thread)

    def __init__(self, info, options: dict[str, Any] | None = None, parent=None) -> None:
        super().__init__(info, options, parent)
        from engines.sketch.engine import shipped_weights  # numpy-only module chain; no torch at import

        self.models = self.options.get("sketch_weights") or shipped_weights()
        self.drawing_a: tuple[np.ndarray, ...] = ()
        self.last_reply: SketchReply | None = None
        self.canvas = SketchCanvas(self)
        self.canvas.stroke_finished.connect(self._on_stroke)
        self.previews = [SketchPreview(self) for _ in range(N_PANELS)]
        grid = QGridLayout()
        for i, pv in enumerate(self.previews):
            grid.addWidget(pv, i // 3, i % 3)
            pv.clicked.connect(lambda i=i: self._select(i))
        self.selected = 0
        self.model_combo = QComboBox()
        for name, path in self.models.items():
            self.model_combo.addItem(f"{name} (shipped)", str(path))
        self.model_combo.addItem("Open .pt ...", "")
        self.model_combo.activated.connect(self._on_model)
        self.tau = QSlider(Qt.Orientation.Horizontal)
        self.tau.setRange(1, 100)
        self.tau.setValue(40)
        self.tau_label = QLabel()
        self.tau.valueChanged.connect(self._on_tau)
        self.min_strokes = QSpinBox()
        self.min_strokes.setRange(0, 10)
        self.min_strokes.setValue(2)
        self.min_strokes.setPrefix("min extra strokes ")
        self.min_strokes.setToolTip("Completions keep drawing until they added at least this many strokes")
        self.min_strokes.valueChanged.connect(self._on_min_strokes)
        buttons = {"Generate": self.generate, "Clear": self.clear, "Encode + decode": self.reconstruct,
                   "Set as A": self.set_a, "Interpolate A -> drawing": self.interpolate,
                   "Export drawing SVG ...": self._ask_svg, "Export tile PNG ...": self._ask_png}
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Model:"))
        bar.addWidget(self.model_combo)
        bar.addWidget(self.tau_label)
        bar.addWidget(self.tau)
        bar.addWidget(self.min_strokes)
        bar.addStretch(1)
        bar.addWidget(self.training_button)
        actions = QHBoxLayout()  # a second row: one row of everything needed 1400 px
        for text, fn in buttons.items():
            b = QPushButton(text)
            b.clicked.connect(fn)
            actions.addWidget(b)
        actions.addStretch(1)
        self.status = QLabel("Draw in the left square: the model finishes your drawing six ways.")
        # two lines, whatever the text: a long message must neither widen the window nor move the canvas
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.status.setFixedHeight(2 * self.status.fontMetrics().lineSpacing())
        body = QWidget(self)
        row = QHBoxLayout(body)
        row.addWidget(self.canvas, 1)
        right = QWidget()
        right.setLayout(grid)
        tiles = QScrollArea(body)  # the six tiles scroll in a short window instead of setting its height
        tiles.setWidgetResizable(True)
        tiles.setFrameShape(QFrame.Shape.NoFrame)
        tiles.setWidget(right)
        row.addWidget(tiles, 1)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(body)
        split.addWidget(self.training_area)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(actions)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self._on_tau()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.complete)
        self._last_kind = "sample"  # what the tiles show; a new temperature re-samples it
        self._floor = 0  # replies to requests up to this serial are stale (another model)
        self._ghost_floor = 0  # completions up to this serial were cleared: no ghost from them
        self.fill_trained_runs(self.model_combo)  # needs the toolbar in the tab's layout
        self._retau = QTimer(self)
        self._retau.setSingleShot(True)
        self._retau.setInterval(200)
        self._retau.timeout.connect(self.resample)

    # lifecycle ---------------------------------------------------------------------
    def activate(self) -> None:
        if self.serving():
            return
        if not self.models:
            self.status.setText("No sketch-rnn weights are shipped in assets/weights; open a .pt or train one.")
            return
        first = self.model_combo.currentData() or str(next(iter(self.models.values())))

        def make():
            from engines.base import EngineError
            from engines.sketch.engine import SketchEngine

            engine = SketchEngine()
            engine.load(first, "cpu")

            def answer(req: SketchRequest) -> SketchReply:
                try:
                    return run_request(engine, req)
                except ValueError as exc:  # a drawing the model cannot take: say so, keep serving
                    raise EngineError(str(exc)) from exc
            return engine, answer

        self.start_serving(make, "The sketch model stopped")
        self.generate()

    def deactivate(self) -> None:
        self.stop_serving()

    # requests ----------------------------------------------------------------------
    def request(self, kind: str, **kw) -> None:
        self.serial += 1
        if kind != "load":
            self._last_kind = kind
        self.slot.put(SketchRequest(kind, self.tau.value() / 100, serial=self.serial, **kw))

    def generate(self) -> None:
        self.request("sample")

    def complete(self) -> None:
        if self.canvas.strokes:
            self.request("complete", strokes=tuple(self.canvas.strokes), min_strokes=self.min_strokes.value())

    def resample(self) -> None:
        """Redo what the tiles show (after a new temperature or stroke minimum)."""
        kind = self._last_kind
        if kind == "interpolate" and self.drawing_a and self.canvas.strokes:
            self.interpolate()
        elif kind in ("complete", "reconstruct") and self.canvas.strokes:
            (self.complete if kind == "complete" else self.reconstruct)()
        else:
            self.generate()

    def reconstruct(self) -> None:
        if self.canvas.strokes:
            self.request("reconstruct", strokes=tuple(self.canvas.strokes))

    def set_a(self) -> None:
        self.drawing_a = tuple(self.canvas.strokes)
        self.status.setText("Drawing A kept. Draw another, then Interpolate.")

    def interpolate(self) -> None:
        if self.drawing_a and self.canvas.strokes:
            self.request("interpolate", strokes=self.drawing_a, other=tuple(self.canvas.strokes))

    def clear(self) -> None:
        self._debounce.stop()
        self._ghost_floor = self.serial  # a completion still on its way must not bring the ghost back
        self.canvas.clear()

    def clear_all(self) -> None:
        """Empty the canvas, drawing A and the tiles (a new model draws differently)."""
        self.clear()
        self._floor = self.serial
        self.drawing_a = ()
        self.last_reply = None
        for pv in self.previews:
            pv.set_drawing([], animate=False)

    def _on_stroke(self, strokes) -> None:
        self._debounce.start()

    # replies (GUI thread) --------------------------------------------------------------
    def _on_reply(self, item: object) -> None:
        if isinstance(item, LiveNotice):
            self.status.setText(item.text)
            return
        assert isinstance(item, LiveResult)
        reply = item.result
        assert isinstance(reply, SketchReply)
        if reply.request.serial <= self._floor:
            return
        self.last_reply = reply
        box = (0.0, 0.0)  # the model's canvas is [0, size]^2; drawings start at the pen origin inside it
        for pv in self.previews:
            pv.set_canvas(box, reply.size)
        self.canvas.set_canvas(box, reply.size)
        for i, (pv, d) in enumerate(zip(self.previews, reply.drawings)):
            pv.set_drawing(d.polylines(), _caption(reply.request.kind, d, i, len(reply.drawings)), _prefix_points(d))
        fresh = reply.request.kind == "complete" and reply.request.serial > self._ghost_floor
        self.canvas.ghost = reply.drawings[self.selected].polylines() if fresh else []
        self.canvas.update()
        what = {"complete": "completions", "sample": "samples", "reconstruct": "reconstructions",
                "interpolate": "steps from A to your drawing", "load": "samples"}[reply.request.kind]
        self.status.setText(f"{len(reply.drawings)} {what} in {reply.ms:.0f} ms (one batched call). {reply.info}")
        self.reply_shown.emit(reply)
        self.result_shown.emit(reply)

    def task_failed(self, text: str) -> None:
        self.status.setText(text)

    def _select(self, i: int) -> None:
        self.selected = i
        for j, pv in enumerate(self.previews):
            pv.selected = j == i
            pv.update()

    def _on_tau(self) -> None:
        self.tau_label.setText(f"temperature {self.tau.value() / 100:.2f}")
        if self.worker is not None:
            self._retau.start()  # re-sample once the slider rests

    def _on_min_strokes(self) -> None:
        if self.worker is not None and self._last_kind == "complete":
            self._retau.start()

    def _on_model(self) -> None:
        path = self.model_combo.currentData()
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "sketch-rnn weights", "", "PaperZoo sketch weights (*.pt)")
        if path:
            self.clear_all()
            self.request("load", path=path)

    # export ------------------------------------------------------------------------
    def export_svg(self, path: Path) -> Path:
        """What the canvas shows: the user's strokes over the faint completion, in model canvas units."""
        return polylines_to_svg(self.canvas.strokes, self.canvas.origin, self.canvas.size_units, path,
                                under=self.canvas.ghost)

    def export_png(self, path: Path) -> Path:
        """The selected tile as it is on screen."""
        self.previews[self.selected].grab().save(str(path))
        return path

    def _ask_svg(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export SVG", "sketch.svg", "SVG (*.svg)")
        if path:
            self.status.setText(f"Saved {self.export_svg(Path(path))}")

    def _ask_png(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export PNG", "sketch.png", "PNG (*.png)")
        if path:
            self.status.setText(f"Saved {self.export_png(Path(path))}")


def _caption(kind: str, d, i: int, n: int) -> str:
    """A tile's label: the interpolation fraction for A -> drawing steps, else the temperature."""
    if kind == "interpolate":
        t = i / max(n - 1, 1)
        return "A (0%)" if i == 0 else "drawing (100%)" if i == n - 1 else f"{t:.0%} A -> drawing"
    return f"temperature {d.tau:.2f}"


def _prefix_points(d) -> int:
    """How many polyline points of a Sketch come from the user's prefix."""
    if not d.prefix_len:
        return 0
    from engines.sketch.strokes import stroke5_to_polylines

    return sum(len(p) for p in stroke5_to_polylines(d.strokes[: d.prefix_len], d.origin))

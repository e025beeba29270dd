"""The training panel every tab shares: a config form, start/pause/resume/stop, live curves, ETA.

It runs a paper's TrainingRecipe on THE worker abstraction; the loop itself (engines.training)
writes checkpoints and metrics.jsonl. Everything here runs on the GUI thread.
"""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop.widgets.curves import LiveCurves
from desktop.widgets.form_fields import field_value, field_widget, set_field_value
from desktop.widgets.scaled_picture import ScaledPicture
from desktop.widgets.scroll_column import scroll_column
from desktop.widgets.status_lines import StatusLines
from desktop.workers import TaskRunner, Worker, WorkerSet
from engines.base import Preparing, TrainStep
from engines.training import TrainingRecipe


class TrainingPanel(QWidget):
    """Trains `recipe` with the form's config. Signals are emitted on the GUI thread."""

    step_received = Signal(object)  # TrainStep
    run_ended = Signal(str)  # why: "finished", "stopped", "failed: ...", or the NaN message
    run_started = Signal()
    use_requested = Signal(object)  # the run's folder (Path): the user asked to use its weights

    def __init__(self, recipe: TrainingRecipe, workers: WorkerSet, runs_root: Path | None = None,
                 parent: QWidget | None = None, recipe_path: str | None = None) -> None:
        """recipe_path ("module:NAME"): train in a child process (keeps the GIL away from the GUI)."""
        super().__init__(parent)
        self.recipe, self.workers, self.runs_root, self.recipe_path = recipe, workers, runs_root, recipe_path
        self.tasks = TaskRunner(workers, recipe.paper, self)  # the run's failure goes to the status lines
        self.tasks.task_failed.connect(self._say)
        self.worker: Worker | None = None
        self.run_dir: Path | None = None
        self.last: TrainStep | None = None
        self._stop_asked = False  # Stop was pressed in this run (a run stopped before its first step says so)
        self.last_checkpoint: str | None = None
        self._t0 = 0.0
        self._first_step = 0
        self._paused_at: float | None = None  # perf_counter when paused (steps/s and ETA leave paused time out)
        self._paused_total = 0.0
        self.fields: dict[str, QWidget] = {}
        form = QFormLayout()
        for f in dataclasses.fields(recipe.config_type):
            value = getattr(recipe.defaults(), f.name)
            self.fields[f.name] = w = field_widget(f.name, value)
            form.addRow(f.name.replace("_", " "), w)
        self.device_combo = QComboBox()
        self.device_combo.addItems(["auto", "cpu", "cuda", "mps"])
        form.addRow("device", self.device_combo)
        self.start_button = QPushButton("Start")
        self.pause_button = QPushButton("Pause")
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume from checkpoint ...")
        self.export_button = QPushButton("Export curves ...")
        self.use_button = QPushButton("Use these weights")  # offered after a run; never swapped in silently
        self.use_button.setToolTip("Run the live view with the weights this run exported")
        self.use_button.clicked.connect(self._use)
        keep = self.use_button.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # its row is kept: showing it at a run's end moves and grows nothing
        self.use_button.setSizePolicy(keep)
        self.use_button.hide()
        self.overlay_box = QCheckBox("earlier runs")
        self.overlay_box.setToolTip("Overlay the curves of earlier runs (dashed) when a run starts")
        self.overlay_box.setChecked(True)
        for b, fn in ((self.start_button, self.start), (self.pause_button, self.toggle_pause),
                      (self.stop_button, self.stop), (self.resume_button, self._ask_resume),
                      (self.export_button, self._ask_export)):
            b.clicked.connect(fn)
        self.progress = QProgressBar()
        # a fixed three lines: a status that grows would resize the plots mid-run (each resize is a 50 ms
        # full repaint); what does not fit is cut at a word, and the whole text is the tooltip
        self.status = StatusLines("Not started.", lines=3)
        self.curves = LiveCurves(self)
        self.curves.add_option(self.overlay_box)
        # the latest TrainStep.preview (samples, teacher vs student ...), fitted to its space: a label sized by its
        # picture grew a 900x600 window to 713 px when a GAN grid arrived
        self.preview = ScaledPicture()
        self.preview.hide()
        controls = QGridLayout()
        controls.addWidget(self.start_button, 0, 0)
        controls.addWidget(self.pause_button, 0, 1)
        controls.addWidget(self.stop_button, 0, 2)
        self.resume_button.setText("Resume ...")
        self.resume_button.setToolTip("Resume a run from its checkpoint (last.pt)")
        self.export_button.setText("Export curves ...")
        controls.addWidget(self.resume_button, 1, 0)
        controls.addWidget(self.export_button, 1, 1, 1, 2)
        controls.addWidget(self.use_button, 2, 0, 1, 3)  # its row is kept while hidden (RetainSizeWhenHidden)
        side = QVBoxLayout()  # paper tools (add_tool) and the settings form, in a scroll area
        self.side = side
        side.addLayout(form)
        side.addStretch(1)
        holder = QWidget()
        holder.setLayout(side)
        # the settings scroll: their height must not set the window's (1740 px for YOLOv2's form)
        scroll = scroll_column(holder, 300)
        column = QWidget()  # buttons and status always in sight, above the scrolling settings
        col = QVBoxLayout(column)
        col.setContentsMargins(0, 0, 0, 0)
        col.addLayout(controls)
        col.addWidget(self.progress)
        col.addWidget(self.status)
        col.addWidget(scroll, 1)
        column.setFixedWidth(scroll.width())
        left = QVBoxLayout()
        left.addWidget(self.curves, 3)
        left.addWidget(self.preview, 2)
        row = QHBoxLayout(self)
        row.addLayout(left, 1)
        row.addWidget(column)
        self._set_running(False)

    def _say(self, text: str) -> None:
        """Show `text` in the status lines (and whole in their tooltip, should it not fit)."""
        self.status.setText(text)

    def add_tool(self, widget: QWidget) -> None:
        """Put a paper-specific tool (e.g. a data set builder) at the top of the settings column."""
        self.side.insertWidget(0, widget)

    # config -------------------------------------------------------------------
    def config(self):
        """The form's values as the recipe's config dataclass (raises ValueError when invalid)."""
        values = {name: field_value(w) for name, w in self.fields.items()}
        try:
            return self.recipe.config_type(**values)
        except TypeError as exc:
            raise ValueError(str(exc)) from exc

    def set_field(self, name: str, value) -> None:
        set_field_value(self.fields[name], value)

    # control ------------------------------------------------------------------
    def start(self, resume: str | Path | None = None) -> bool:
        """Start a run (or resume one from a checkpoint). False, with a message, when the form is invalid."""
        if self.worker is not None and self.worker.is_running():
            return False
        if resume:  # (the Start button's clicked signal passes False here)
            self._fill_from_run(resume)
        try:
            config = self.config()
        except ValueError as exc:
            self._say(f"Invalid setting: {exc}")
            return False
        from engines.training import resume_run_dir

        self.run_dir = resume_run_dir(resume, self.recipe.paper, self.runs_root)
        self.use_button.hide()
        self.curves.clear()
        if self.overlay_box.isChecked():
            self._overlay_previous()
        device = self.device_combo.currentText()
        recipe, run_dir, path = self.recipe, self.run_dir, self.recipe_path

        def train(stop):
            if path is None:
                from engines.runtime import resolve_device

                return recipe.run(config, device=resolve_device(device), run_dir=run_dir, stop=stop, resume=resume)
            from engines.training_process import run_in_subprocess

            return run_in_subprocess(path, config, device=device, run_dir=run_dir, stop=stop, resume=resume)

        self._t0, self._first_step, self.last, self._ended = time.perf_counter(), 0, None, ""
        self._paused_at, self._paused_total = None, 0.0
        self._say(f"Starting ({'resuming ' + Path(resume).name if resume else 'new run'}) ...")
        self._set_running(True)
        self.run_started.emit()
        self.worker = self.tasks.run("train", train, self._on_step, self._on_failed,
                                     failure="Training stopped with an error", on_finished=self._on_finished)
        return True

    def toggle_pause(self) -> None:
        if self.worker is None:
            return
        if self.worker.paused:
            self.worker.resume()
            if self._paused_at is not None:
                self._paused_total += time.perf_counter() - self._paused_at
            self._paused_at = None
            self.pause_button.setText("Pause")
            self._say("Resumed.")
        else:
            self.worker.pause()
            self._paused_at = time.perf_counter()
            self.pause_button.setText("Resume")
            self._say(self.PAUSED)

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self._stop_asked = True
            self._say("Stopping after this step (a checkpoint is written) ..." if self.last is not None
                      else "Stopping before the first step ...")

    PAUSED = "Paused (the model keeps its state; press Resume)."

    def _active_seconds(self) -> float:
        """Seconds since the first step, paused time left out."""
        paused = self._paused_total + (time.perf_counter() - self._paused_at if self._paused_at is not None else 0.0)
        return max(time.perf_counter() - self._t0 - paused, 1e-6)

    @property
    def running(self) -> bool:
        return self.worker is not None and self.worker.is_running()

    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        for w in self.fields.values():
            w.setEnabled(not running)
        if not running:
            self.pause_button.setText("Pause")

    # worker items (GUI thread) -------------------------------------------------------
    def _on_step(self, item: object) -> None:
        if isinstance(item, Preparing):
            self._show_preparing(item)
            return
        if not isinstance(item, TrainStep):
            return
        if self.last is None:
            self._first_step, self._t0 = item.step - 1, time.perf_counter()
            self._paused_total = 0.0
            self._paused_at = time.perf_counter() if self._paused_at is not None else None
        self.last = item
        for k, v in item.losses.items():
            self.curves.add_point(k, item.step, v)
        for k, v in item.metrics.items():
            self.curves.add_point(k, item.step, v, metric=True)
        if item.checkpoint:
            self.last_checkpoint = item.checkpoint
        if item.preview is not None:
            self._show_preview(item.preview)
        self.progress.setMaximum(item.total_steps)
        self.progress.setValue(item.step)
        done = item.step - self._first_step
        rate = done / self._active_seconds()
        eta = (item.total_steps - item.step) / rate if rate > 0 else 0
        loss = item.losses.get("loss", next(iter(item.losses.values()), float("nan")))
        if item.message.startswith("stopped:"):  # the loop's run-ending note (NaN/inf)
            self._ended = item.message
            self._say(item.message)
        else:
            paused = self.PAUSED + "\n" if self._paused_at is not None else ""  # a step that was already queued
            self._say(f"{paused}step {item.step}/{item.total_steps}  epoch {item.epoch:.2f}  loss {loss:.4g}\n"
                      f"{rate:.2f} steps/s  ETA {eta / 60:.1f} min")
        self.step_received.emit(item)

    def _show_preparing(self, note: Preparing) -> None:
        """Before the first step: what the recipe is doing, with a bar (busy when the total is unknown)."""
        self.progress.setMaximum(note.total if note.total > 0 else 0)
        if note.total > 0:
            self.progress.setValue(note.done)
        count = f" {note.done}/{note.total}" if note.total > 0 else ""
        self._say(f"Preparing: {note.what}{count} ...")

    def _on_failed(self, message: str) -> None:
        self._ended = f"failed: {message}"  # the runner then says "Training stopped with an error: ..."

    def _on_finished(self) -> None:
        from engines.runs import discard_if_empty

        self._set_running(False)
        self.progress.setMaximum(max(self.progress.maximum(), 1))
        if discard_if_empty(self.run_dir):  # a run that never made a step leaves no folder behind
            self.run_dir = None
        stopped = self._stop_asked or (self.last and self.last.step < self.last.total_steps)
        self._stop_asked = False
        why = self._ended or ("stopped" if stopped else "finished")
        if why == "stopped" and self.last is None:
            self._say("Stopped before the first step: nothing was trained, and the live view keeps its model.")
        if self.run_dir is not None and (self.run_dir / "last.pt").is_file() and not self._ended:
            self.last_checkpoint = str(self.run_dir / "last.pt")
        if not self._ended and self.last_checkpoint:
            self._say(f"{why.capitalize()} at step {self.last.step if self.last else 0}; "
                      f"checkpoint {self.last_checkpoint}")
        self.curves.refresh()
        self.run_ended.emit(why)

    def offer(self, run) -> None:
        """Offer a run's exported weights (an engines.runs.TrainedRun; the tab calls this when the run wrote one)."""
        self.use_button.setText(f"Use these weights (step {run.step})")
        self.use_button.setToolTip(f"{run.label()}\n{run.export}")
        self.use_button.show()
        ended = "Finished" if run.finished else f"Stopped at step {run.step} of {run.total_steps}"
        if run.total_steps > 0:  # the run's own record: the last step shown may be one before its end
            self.progress.setMaximum(run.total_steps)
            self.progress.setValue(min(run.step, run.total_steps))
        self._say(f"{ended}. The live view keeps its model; this run is now in the model list "
                  f"(\"{run.label()}\").")

    def _use(self) -> None:
        if self.run_dir is not None:
            self.use_button.hide()
            self.use_requested.emit(self.run_dir)

    def _show_preview(self, image) -> None:
        from PySide6.QtGui import QPixmap

        from desktop.widgets.frame_view import qimage_from_bgr

        pix = QPixmap.fromImage(qimage_from_bgr(image).copy())
        self.preview.set_picture(pix)
        self.preview.show()

    # runs, files --------------------------------------------------------------------
    def previous_runs(self) -> list[Path]:
        from engines.assets import data_dir

        root = (self.runs_root or data_dir() / "runs") / self.recipe.paper
        runs = sorted(p for p in root.glob("*/metrics.jsonl") if p.parent != self.run_dir)
        return runs[-3:]

    def _overlay_previous(self) -> None:
        for path in self.previous_runs():
            try:
                records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
            except (OSError, ValueError):
                continue
            self.curves.overlay_run(path.parent.name, records)

    def _fill_from_run(self, checkpoint: str | Path) -> None:
        """Put a run's own settings (engines.training.run_settings) into the form, so a resume goes on with the
        run's nets and data rather than whatever the form held; without them the form stays as it is."""
        from engines.training import run_settings

        for name, value in run_settings(checkpoint).items():
            if name in self.fields and isinstance(value, (bool, int, float, str)):
                try:
                    self.set_field(name, value)
                except (TypeError, ValueError, OverflowError):
                    continue

    def _ask_resume(self) -> None:
        from engines.assets import data_dir

        path, _ = QFileDialog.getOpenFileName(self, "Resume from checkpoint", str(data_dir() / "runs"),
                                              "Checkpoints (*.pt);;All files (*)")
        if path:
            self.start(resume=path)

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export curves", "curves.png", "PNG (*.png);;CSV (*.csv)")
        if path:
            out = self.curves.export_csv(Path(path)) if path.endswith(".csv") else self.curves.export_png(Path(path))
            self._say(f"Saved {out}")

"""PaperTab: what every tab is (paper info, the shared training panel), and small helpers for tabs."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.workers import Worker, WorkerSet
from engines.base import PaperInfo


class PaperTab(QWidget):
    """Base of every tab: a PaperInfo, a WorkerSet, activate/deactivate when shown/hidden, shutdown.

    A tab with a `recipe` ("module:NAME" of a TrainingRecipe) gets a "Training" button that opens the
    shared TrainingPanel in `self.training_area`; the recipe module (and torch) is imported on a worker.
    """

    notice = Signal(str, bool)  # text, is_error (re-emitted on the GUI thread)
    training_opened = Signal(object)  # the TrainingPanel, once built
    recipe: str | None = None

    def __init__(self, info: PaperInfo, options: dict[str, Any] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.info = info
        self.options = options or {}
        self.workers = WorkerSet()
        self.training_panel = None
        self.training_area = QWidget(self)
        QVBoxLayout(self.training_area).setContentsMargins(0, 0, 0, 0)
        self.training_area.hide()
        self.training_button = QPushButton("Training \u25b8", self)
        self.training_button.setCheckable(True)
        self.training_button.toggled.connect(self.show_training)
        self.training_button.setVisible(self.recipe is not None)

    def show_training(self, show: bool = True) -> None:
        """Show (building it on first use) or hide the training panel."""
        if self.training_button.isChecked() != show:
            self.training_button.setChecked(show)
            return
        self.training_area.setVisible(show)
        if show and self.training_panel is None and self.recipe:
            path = self.recipe

            def load(stop):
                from engines.registry import load_object
                from engines.runtime import freeze_gc

                recipe = load_object(path)
                freeze_gc(collect=False)  # the recipe's imports stay out of later full collections
                yield recipe

            worker = self.workers.add(Worker(load, name=f"{self.info.key}-recipe"))
            worker.yielded.connect(self._build_training)
            worker.failed.connect(self._on_recipe_failed)
            worker.start()

    def _on_recipe_failed(self, message: str) -> None:
        self.notice.emit(f"Training is unavailable: {message}", True)

    def _build_training(self, recipe: object) -> None:
        from desktop.widgets.training_panel import TrainingPanel

        self.training_panel = TrainingPanel(recipe, self.workers, runs_root=self.options.get("runs_root"),
                                            parent=self.training_area, recipe_path=self.recipe)
        self.training_area.layout().addWidget(self.training_panel)
        split = self.training_area.parentWidget()
        if isinstance(split, QSplitter):  # every tab puts the panel under its view in a splitter
            total = sum(split.sizes())
            split.setSizes([total * 2 // 5, total - total * 2 // 5])  # the curves get the larger share
        self.training_panel.run_started.connect(self.on_training_started)
        self.training_panel.run_ended.connect(self.on_training_ended)
        self.training_panel.run_ended.connect(self.after_training)
        self.training_opened.emit(self.training_panel)

    def on_training_started(self) -> None:
        """A training run is starting (GUI thread)."""

    def after_training(self, why: str) -> None:
        """Runs after on_training_ended (GUI thread)."""

    def on_training_ended(self, why: str) -> None:
        """A training run ended (GUI thread); tabs may offer its weights."""

    def trained_file(self, name: str):
        """RUN_DIR/name of the last training run when that run wrote it, else None."""
        run_dir = self.training_panel.run_dir if self.training_panel else None
        path = run_dir / name if run_dir is not None else None
        return path if path is not None and path.is_file() else None

    def activate(self) -> None:
        """The tab became visible."""

    def deactivate(self) -> None:
        """The tab was hidden: stop anything that uses the CPU/GPU."""

    def shutdown(self) -> bool:
        """Stop every worker and wait for it (window closing). True if all ended."""
        self.deactivate()
        return self.workers.stop_all()


class ProgressRelay(QObject):
    moved = Signal(str, int, int)


def add_labeled(layout: QVBoxLayout, text: str, widget: QWidget) -> QWidget:
    """Append "text" above `widget` in a controls column."""
    layout.addWidget(QLabel(text))
    layout.addWidget(widget)
    return widget

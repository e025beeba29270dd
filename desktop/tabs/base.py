"""PaperTab: what every tab is (paper info, the shared training panel), and small helpers for tabs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.workers import GeneratorFactory, Worker, WorkerSet
from engines.base import PaperInfo


class PaperTab(QWidget):
    """Base of every tab: a PaperInfo, a WorkerSet, activate/deactivate when shown/hidden, shutdown.

    A tab with a `recipe` ("module:NAME" of a TrainingRecipe; by default its registry entry's) gets a
    "Training" button that opens the shared TrainingPanel in `self.training_area`; the recipe module
    (and torch) is imported on a worker. Background work goes through `run_task` (one task runner).
    """

    notice = Signal(str, bool)  # text, is_error (re-emitted on the GUI thread)
    training_opened = Signal(object)  # the TrainingPanel, once built
    result_shown = Signal(object)  # the result just shown (GUI thread)
    recipe: str | None = None

    def __init__(self, info: PaperInfo, options: dict[str, Any] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.info = info
        self.options = options or {}
        self.workers = WorkerSet()
        self._tasks: dict[str, Worker] = {}
        self._failure_hooks: dict[int, tuple[str, Callable[[str], None] | None]] = {}
        if self.recipe is None and info.recipe:
            self.recipe = info.recipe
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

            self.run_task("recipe", load, self._build_training, failure="Training is unavailable")

    # the task runner ------------------------------------------------------------
    def run_task(self, name: str, factory: GeneratorFactory, on_item: Callable[[Any], None],
                 on_failed: Callable[[str], None] | None = None, failure: str = "") -> Worker:
        """Run `factory(stop)` on a worker thread; each item it yields reaches `on_item` on the GUI thread.

        Starting a task under a name already running replaces it: the old one is told to stop and its
        late items are dropped. Every failure takes one path: `on_failed(message)` (the task's own clean-up,
        GUI thread), then `task_failed`. The factory must not touch widgets or tab attributes: read what it
        needs on the GUI thread first and close over that frozen snapshot.
        """
        old = self._tasks.pop(name, None)
        if old is not None and old.is_running():
            old.yielded.disconnect()
            old.stop()
        worker = Worker(factory, name=f"{self.info.key}-{name}")
        worker.yielded.connect(on_item)
        worker.failed.connect(self._on_task_failed)
        self._failure_hooks[id(worker)] = (failure or f"{name} failed", on_failed)
        worker.finished.connect(self._on_task_finished)
        self._tasks[name] = self.workers.add(worker)
        return worker.start()

    def task(self, name: str) -> Worker | None:
        """The worker of a running task, or None."""
        worker = self._tasks.get(name)
        return worker if worker is not None and worker.is_running() else None

    def _on_task_failed(self, message: str) -> None:
        prefix, hook = self._failure_hooks.get(id(self.sender()), ("A task failed", None))
        if hook is not None:
            hook(message)
        self.task_failed(f"{prefix}: {message}")

    def _on_task_finished(self) -> None:
        self._failure_hooks.pop(id(self.sender()), None)

    def task_failed(self, text: str) -> None:
        """The one error path of every task (GUI thread); live tabs show it in their banner."""
        self.notice.emit(text, True)

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

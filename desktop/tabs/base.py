"""PaperTab: what every tab is (paper info, the shared training panel), and small helpers for tabs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.workers import GeneratorFactory, TaskRunner, Worker, WorkerSet
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
    trained_export = ""  # the file a finished/stopped run leaves in its folder that this tab can run
    trained_insert_at = 0  # where trained runs go in the model list: after the shipped models, before "Open ..."

    def __init__(self, info: PaperInfo, options: dict[str, Any] | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.info = info
        self.options = options or {}
        self.workers = WorkerSet()
        self.tasks = TaskRunner(self.workers, info.key, self)
        self.tasks.task_failed.connect(self.task_failed)
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
        """Run a task on this tab's TaskRunner (desktop.workers): a task under a running name replaces it,
        and every failure goes to `on_failed`, then `task_failed`."""
        return self.tasks.run(name, factory, on_item, on_failed, failure)

    def task(self, name: str) -> Worker | None:
        """The worker of a running task, or None."""
        return self.tasks.task(name)

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
        self.training_panel.run_ended.connect(self._offer_run)
        self.training_panel.use_requested.connect(self.use_run)
        self.training_panel.run_ended.connect(self.on_training_ended)
        self.training_panel.run_ended.connect(self.after_training)
        self.training_opened.emit(self.training_panel)

    def on_training_started(self) -> None:
        """A training run is starting (GUI thread)."""

    def after_training(self, why: str) -> None:
        """Runs after on_training_ended (GUI thread)."""

    def on_training_ended(self, why: str) -> None:
        """A training run ended (GUI thread); tabs may offer its weights."""

    # trained runs in the model list ------------------------------------------------
    def weights_of_run(self, run_dir: Path) -> Any:
        """What the model list holds for a run (default: the exported file's path as a string)."""
        return str(run_dir / self.trained_export)

    def fill_trained_runs(self, combo: QComboBox) -> None:
        """List every run the user made (newest first) in `combo`, the tab's model list; call once it is built.

        Adds a "Delete trained model" button after the combo, enabled while a trained run is selected.
        """
        from engines.runs import trained_runs

        self.model_list = combo
        # run labels are long ("trained 2026-12-05 16:51 (stopped at 6/40)"): the list must not widen the column
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(12)
        self.trained_insert_at = max(0, combo.count() - 1)  # every tab's list ends with its "Open ..." item
        for run in reversed(trained_runs(self.info.key, self.trained_export, self.options.get("runs_root"))):
            self._insert_run(run)
        self.delete_run_button = QPushButton("Delete trained model", self)
        self.delete_run_button.setToolTip("Delete the selected trained run's folder (weights, curves, checkpoint)")
        self.delete_run_button.clicked.connect(self._ask_delete_run)
        _insert_after(combo, self.delete_run_button)
        combo.currentIndexChanged.connect(self._update_delete_button)
        self._update_delete_button()

    def _insert_run(self, run: Any) -> int:
        combo = self.model_list
        combo.insertItem(self.trained_insert_at, run.label(), self.weights_of_run(run.run_dir))
        combo.setItemData(self.trained_insert_at, str(run.run_dir), RUN_ROLE)
        combo.setItemData(self.trained_insert_at, str(run.run_dir), Qt.ItemDataRole.ToolTipRole)
        return self.trained_insert_at

    def _run_index(self, run_dir: Path) -> int:
        combo = self.model_list
        return next((i for i in range(combo.count()) if combo.itemData(i, RUN_ROLE) == str(run_dir)), -1)

    def _offer_run(self, why: str) -> None:
        """A run ended: list it and offer it in the panel; the live model stays what the user was watching."""
        from engines.runs import describe

        panel = self.training_panel
        run_dir = panel.run_dir if panel is not None else None
        if run_dir is None or getattr(self, "model_list", None) is None or why.startswith("stopped:"):
            return
        run = describe(run_dir, self.trained_export)
        if run is None:
            return
        if self._run_index(run_dir) < 0:
            current = self.model_list.currentIndex()
            self._insert_run(run)
            if current >= self.trained_insert_at:  # keep the same model selected
                self.model_list.setCurrentIndex(current + 1)
        panel.offer(run)

    def use_run(self, run_dir: Path) -> None:
        """Switch the live view to a listed run's weights (the user's choice, e.g. "Use these weights")."""
        i = self._run_index(Path(run_dir))
        if i >= 0:
            self.model_list.setCurrentIndex(i)
            self.model_list.activated.emit(i)

    def _update_delete_button(self) -> None:
        """A selected trained run can be deleted; otherwise the last delete can be undone (until the app quits)."""
        combo = self.model_list
        selected_run = bool(combo.itemData(combo.currentIndex(), RUN_ROLE))
        undo = getattr(self, "_undo_delete", None)
        if not selected_run and undo is not None:
            self.delete_run_button.setText("Undo delete")
            self.delete_run_button.setToolTip(f"Bring back {undo[1]}")
            self.delete_run_button.setEnabled(True)
            return
        self.delete_run_button.setText("Delete trained model")
        self.delete_run_button.setToolTip("Delete the selected trained run (weights, curves, checkpoint); "
                                          "Undo brings it back until PaperZoo quits")
        self.delete_run_button.setEnabled(selected_run)

    def _ask_delete_run(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        combo = self.model_list
        run_dir = combo.itemData(combo.currentIndex(), RUN_ROLE)
        if not run_dir:
            if getattr(self, "_undo_delete", None) is not None:
                self.undo_delete_run()
            return
        answer = QMessageBox.question(self, "Delete trained model",
                                      f"Delete {combo.currentText()}?\n{run_dir}\n"
                                      "Undo brings it back until PaperZoo quits.")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_run(Path(run_dir))

    def delete_run(self, run_dir: Path) -> None:
        """Move a listed run to the trash (undoable until the next start) and go back to the tab's first model."""
        from engines.runs import describe, trash_run

        i = self._run_index(run_dir)
        run = describe(run_dir, self.trained_export)
        if run is not None:
            self._undo_delete = (trash_run(run, self.options.get("runs_root")), run.label())
        if i >= 0:
            was_current = i == self.model_list.currentIndex()
            self.model_list.removeItem(i)
            if was_current:
                self.model_list.setCurrentIndex(0)
                self.model_list.activated.emit(0)
        self._update_delete_button()

    def undo_delete_run(self) -> None:
        """Bring the last deleted run back into its folder and the model list (not selected)."""
        from engines.runs import describe, restore_run

        trashed, _label = self._undo_delete
        self._undo_delete = None
        try:
            run = describe(restore_run(trashed, self.options.get("runs_root")), self.trained_export)
        except (OSError, ValueError) as exc:
            self.task_failed(f"could not undo the delete: {exc}")
            run = None
        if run is not None and self._run_index(run.run_dir) < 0:
            current = self.model_list.currentIndex()
            self._insert_run(run)
            if current >= self.trained_insert_at:
                self.model_list.setCurrentIndex(current + 1)
        self._update_delete_button()

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


RUN_ROLE = Qt.ItemDataRole.UserRole + 1  # a model list item's run folder (trained runs only)


def _insert_after(anchor: QWidget, widget: QWidget) -> None:
    """Put `widget` right after `anchor` in whatever layout holds `anchor`."""
    parent = anchor.parentWidget()
    layouts = [parent.layout()] if parent is not None and parent.layout() is not None else []
    while layouts:
        layout = layouts.pop()
        i = layout.indexOf(anchor)
        if i >= 0:
            layout.insertWidget(i + 1, widget) if hasattr(layout, "insertWidget") else layout.addWidget(widget)
            return
        layouts.extend(c.layout() for c in (layout.itemAt(k) for k in range(layout.count())) if c.layout())
    raise ValueError("the model list is in no layout")


class ProgressRelay(QObject):
    moved = Signal(str, int, int)


def add_labeled(layout: QVBoxLayout, text: str, widget: QWidget) -> QWidget:
    """Append "text" above `widget` in a controls column."""
    layout.addWidget(QLabel(text))
    layout.addWidget(widget)
    return widget

"""Help -> System check: what this machine gives PaperZoo (torch build and GPUs, cameras, Qt multimedia, each
pretrained file and its sha256, the data folder, the optional CPU backends), with a button that copies it all as
text for a bug report. The engine facts are gathered on a worker (hashing takes seconds); the Qt facts here."""

from __future__ import annotations

from PySide6.QtCore import qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from desktop.workers import TaskRunner, WorkerSet
from engines.system_check import MISSING, OK, WARN, Check, report


def qt_facts() -> list[Check]:
    """Qt, its platform plugin, the multimedia backend and the cameras it lists (GUI thread)."""
    import PySide6

    out = [Check("display", "Qt", OK, f"Qt {qVersion()}, PySide6 {PySide6.__version__}, "
                                      f"platform '{QGuiApplication.platformName()}'")]
    screens = QGuiApplication.screens()
    out.append(Check("display", "screens", OK if screens else WARN,
                     ", ".join(f"{s.name()} {s.size().width()}x{s.size().height()}" for s in screens) or "none"))
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError as exc:
        out.append(Check("camera", "Qt multimedia", MISSING, f"cannot import ({exc}); on Debian/Ubuntu install "
                                                             "libpulse0, then restart"))
        return out
    out.append(Check("camera", "Qt multimedia", OK, "available"))
    cams = [c.description() for c in QMediaDevices.videoInputs()]
    out.append(Check("camera", "cameras", OK if cams else WARN, ", ".join(cams) if cams else
                     "none found (plug one in: the list refreshes; the demo clip plays meanwhile)"))
    return out


class SystemCheckDialog(QDialog):
    """The report, filled in as checks arrive, plus "Copy as text"."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("System check")
        self.resize(760, 560)
        self.summary = QLabel("Checking ...")
        self.text = QPlainTextEdit(readOnly=True)
        self.copy_button = QPushButton("Copy as text")
        self.copy_button.clicked.connect(self.copy)
        self.again_button = QPushButton("Check again")
        self.again_button.clicked.connect(self.run)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.again_button)
        buttons.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        self.workers = WorkerSet()
        self.tasks = TaskRunner(self.workers, "system-check", self)
        self.tasks.task_failed.connect(self.summary.setText)
        self.checks: list[Check] = []

    def run(self) -> None:
        """Gather the checks again: the Qt facts now, the engine facts on a worker."""
        from engines.system_check import facts

        self.checks = qt_facts()
        self._show()
        self.summary.setText("Checking (hashing the pretrained files) ...")
        self.tasks.run("facts", lambda stop: facts(), self._add, on_finished=self._done)

    def _add(self, check: Check) -> None:
        self.checks.append(check)
        self._show()

    def _done(self) -> None:
        bad = [c for c in self.checks if c.status == MISSING]
        self.summary.setText(f"{len(bad)} problem(s): " + ", ".join(c.name for c in bad) if bad
                             else "Everything PaperZoo needs is here.")

    def _show(self) -> None:
        order = ["machine", "compute", "display", "camera", "files", "pretrained files"]
        ranked = sorted(self.checks, key=lambda c: order.index(c.section) if c.section in order else len(order))
        self.text.setPlainText(report(ranked))

    def report_text(self) -> str:
        return self.text.toPlainText()

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.report_text())
        self.summary.setText("Copied: paste it into your bug report.")

    def done(self, result: int) -> None:  # closing stops the worker
        self.workers.stop_all(2000)
        super().done(result)

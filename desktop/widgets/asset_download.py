"""The bar a live tab shows when pretrained files it needs are missing: what is missing, a Download button
and a progress bar. The download runs as the tab's "download" task (sha256-checked by engines.assets)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QSizePolicy, QWidget


class AssetDownloadPanel(QWidget):
    """Hidden until check() finds a missing file; `downloaded` fires once every file is fetched and verified."""

    downloaded = Signal()

    def __init__(self, tab, names: tuple[str, ...]) -> None:
        super().__init__(tab)
        self.tab, self.names = tab, tuple(names)
        row = QHBoxLayout(self)
        self.label = QLabel(self)
        self.label.setWordWrap(True)  # a long list of missing files must not widen the window (975 px at 900)
        self.button = QPushButton("Download pretrained files", self)
        self.button.clicked.connect(self.download)
        self.bar = QProgressBar(self)
        self.bar.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        row.addWidget(self.label, 1)
        row.addWidget(self.bar)
        row.addWidget(self.button)
        self.hide()

    def check(self) -> bool:
        """Show the bar when a needed file is missing (existence only); True if one is."""
        from engines import assets

        missing = assets.missing(self.names)
        if missing:
            self.label.setText(f"This tab needs pretrained files that are not downloaded yet: {', '.join(missing)}.")
            self.show()
        return bool(missing)

    def download(self) -> None:
        from desktop.tabs.base import ProgressRelay
        from engines import assets

        names = list(self.names)
        self.button.setEnabled(False)
        progress = ProgressRelay(self)
        progress.moved.connect(self._on_progress)

        def generate(stop):
            yield assets.fetch(names, lambda label, done, total: progress.moved.emit(label, done, total))

        self.tab.run_task("download", generate, self._on_done, self._on_failed, failure="The download failed")

    def _on_progress(self, label: str, done: int, total: int) -> None:
        self.bar.setMaximum(max(1, total // 1024))
        self.bar.setValue(done // 1024)
        self.label.setText(f"Downloading {label} ...")

    def _on_done(self, _paths: object) -> None:
        self.hide()
        self.downloaded.emit()

    def _on_failed(self, message: str) -> None:
        self.button.setEnabled(True)
        self.label.setText(message)

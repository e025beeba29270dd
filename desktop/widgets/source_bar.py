"""The source picker above every live tab: camera by name, resolution, file/folder/demo, mirror."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QHBoxLayout, QLabel, QPushButton, QWidget

from desktop.sources import RESOLUTIONS, CameraInfo, CameraList, SourceChoice

_MEDIA_FILTER = "Images and videos (*.png *.jpg *.jpeg *.bmp *.webp *.avi *.mp4 *.mkv *.mov *.webm);;All files (*)"


class SourceBar(QWidget):
    """Emits `chosen(SourceChoice)` when the user picks a source; `mirror_changed(bool)` on the toggle."""

    chosen = Signal(object)
    mirror_changed = Signal(bool)

    def __init__(self, cameras: CameraList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cameras = cameras
        self.combo = QComboBox(self)
        self.combo.setMinimumWidth(260)
        self.size_combo = QComboBox(self)
        self.mirror_box = QCheckBox("Mirror", self)
        open_file = QPushButton("Open file...", self)
        open_dir = QPushButton("Open folder...", self)
        open_file.clicked.connect(self._open_file)
        open_dir.clicked.connect(self._open_folder)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Source:"))
        row.addWidget(self.combo)
        row.addWidget(self.size_combo)
        row.addWidget(open_file)
        row.addWidget(open_dir)
        row.addWidget(self.mirror_box)
        row.addStretch(1)
        self._file_choice: SourceChoice | None = None
        self._fill(cameras.cameras)
        cameras.changed.connect(self._fill)
        self.combo.activated.connect(self._on_combo)
        self.size_combo.activated.connect(self._on_combo)
        self.mirror_box.toggled.connect(self.mirror_changed)

    @property
    def mirror(self) -> bool:
        return self.mirror_box.isChecked()

    def _fill(self, cameras: list[CameraInfo]) -> None:
        current = self.combo.currentData()
        self.combo.clear()
        for cam in cameras:
            self.combo.addItem(f"Camera: {cam.label}", SourceChoice("camera", camera=cam))
        self.combo.addItem("Demo clip (street video)", SourceChoice("demo"))
        if self._file_choice is not None:
            self.combo.addItem(f"File: {self._file_choice.describe()}", self._file_choice)
        if not cameras:
            self.combo.setItemText(self.combo.count() - 1 - (self._file_choice is not None),
                                   "Demo clip (no camera found)")
        if current is not None:
            self.show_choice(current)
        self._fill_sizes()

    def _fill_sizes(self) -> None:
        choice = self.combo.currentData()
        self.size_combo.clear()
        if isinstance(choice, SourceChoice) and choice.kind == "camera" and choice.camera:
            sizes = [s for s in RESOLUTIONS if not choice.camera.sizes or s in choice.camera.sizes] or list(RESOLUTIONS)
            for w, h in sizes:
                self.size_combo.addItem(f"{w}x{h}", (w, h))
        self.size_combo.setEnabled(self.size_combo.count() > 0)

    def show_choice(self, choice: SourceChoice) -> None:
        """Select `choice` in the combo without emitting (adds a file entry if needed)."""
        if choice.kind == "file":
            if self._file_choice != choice:
                self._file_choice = choice
                self._fill(self._cameras.cameras)
            index = self.combo.count() - 1
        else:
            index = next((i for i in range(self.combo.count())
                          if (d := self.combo.itemData(i)) is not None and d.kind == choice.kind
                          and d.camera == choice.camera), -1)
        if index >= 0:
            self.combo.setCurrentIndex(index)

    def _on_combo(self, *_args) -> None:
        choice = self.combo.currentData()
        if not isinstance(choice, SourceChoice):
            return
        if choice.kind == "camera":
            self._fill_sizes() if self.sender() is self.combo else None
            size = self.size_combo.currentData()
            choice = SourceChoice("camera", camera=choice.camera, size=size)
        self.chosen.emit(choice)

    def _open_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Open an image or a video", "", _MEDIA_FILTER)
        if path:
            self.chosen.emit(SourceChoice("file", path=Path(path)))

    def _open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a folder of images")
        if path:
            self.chosen.emit(SourceChoice("file", path=Path(path)))

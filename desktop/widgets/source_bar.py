"""The source picker above every live tab: camera by name, resolution, file/folder/demo, mirror, and
playback controls shown only for the sources that have them (folder: previous/next/pause; video: pause/seek)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QStyle,
    QWidget,
)

from desktop.sources import RESOLUTIONS, CameraInfo, CameraList, SourceChoice
from engines.frames import FrameSource

_MEDIA_FILTER = "Images and videos (*.png *.jpg *.jpeg *.bmp *.webp *.avi *.mp4 *.mkv *.mov *.webm);;All files (*)"


class SourceBar(QWidget):
    """Emits `chosen(SourceChoice)` when the user picks a source; `mirror_changed(bool)` on the toggle."""

    chosen = Signal(object)
    mirror_changed = Signal(bool)

    def __init__(self, cameras: CameraList, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cameras = cameras
        self.combo = QComboBox(self)
        # long file names must not set the window's width (it has to fit 900 px with every control)
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.combo.setMinimumContentsLength(16)
        self.size_combo = QComboBox(self)
        self.mirror_box = QCheckBox("Mirror", self)
        open_file = QPushButton("Open file...", self)
        open_dir = QPushButton("Open folder...", self)
        open_file.clicked.connect(self._open_file)
        open_dir.clicked.connect(self._open_folder)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(QLabel("Source"))
        row.addWidget(self.combo)
        row.addWidget(self.size_combo)
        row.addWidget(open_file)
        row.addWidget(open_dir)
        row.addWidget(self.mirror_box)
        self._build_playback(row)
        row.addStretch(1)
        self._file_choice: SourceChoice | None = None
        self._fill(cameras.cameras)
        cameras.changed.connect(self._fill)
        self.combo.activated.connect(self._on_combo)
        self.size_combo.activated.connect(self._on_combo)
        self.mirror_box.toggled.connect(self.mirror_changed)

    def _build_playback(self, row: QHBoxLayout) -> None:
        self.source: FrameSource | None = None
        icon = self.style().standardIcon
        sp = QStyle.StandardPixmap
        self.prev_button = QPushButton(icon(sp.SP_MediaSkipBackward), "", self)
        self.prev_button.setToolTip("Previous image")
        self.next_button = QPushButton(icon(sp.SP_MediaSkipForward), "", self)
        self.next_button.setToolTip("Next image")
        self.pause_button = QPushButton(icon(sp.SP_MediaPause), "", self)
        self.pause_button.setToolTip("Pause")
        self.pause_button.setCheckable(True)
        self.seek_slider = QSlider(Qt.Orientation.Horizontal, self)  # compact: the bar is already wide
        self.seek_slider.setRange(0, 1000)
        self.seek_slider.setMinimumWidth(80)
        self.seek_slider.setToolTip("Seek in the video")
        self.position_label = QLabel(self)
        self.prev_button.clicked.connect(lambda: self._step(-1))
        self.next_button.clicked.connect(lambda: self._step(+1))
        self.pause_button.toggled.connect(self._on_pause)
        self.seek_slider.valueChanged.connect(self._on_seek)
        self._playback = (self.prev_button, self.next_button, self.pause_button, self.seek_slider, self.position_label)
        for w in self._playback:
            row.addWidget(w)
            w.hide()
        for b in (self.prev_button, self.next_button, self.pause_button):
            b.setFixedWidth(32)
        self._updating = False
        self._position_timer = QTimer(self)
        self._position_timer.setInterval(250)
        self._position_timer.timeout.connect(self.refresh_position)

    def attach(self, source: FrameSource | None) -> None:
        """Show the playback controls `source` supports (none for a camera or a single image)."""
        self.source = source
        step, pause, seek = (bool(source and source.can_step), bool(source and source.can_pause),
                             bool(source and source.can_seek))
        self.prev_button.setVisible(step)
        self.next_button.setVisible(step)
        self.pause_button.setVisible(pause)
        self.seek_slider.setVisible(seek)
        self.position_label.setVisible(step or seek)
        self._updating = True
        self.pause_button.setChecked(bool(source and source.paused))
        self._updating = False
        if step or seek:
            self.refresh_position()
            self._position_timer.start()
        else:
            self._position_timer.stop()

    def refresh_position(self) -> None:
        """Move the seek slider and the position label to where the source is (unless the user drags)."""
        if self.source is None:
            return
        if not self.seek_slider.isSliderDown():
            self._updating = True
            self.seek_slider.setValue(round(self.source.position() * 1000))
            self._updating = False
        text = self.source.position_text()
        self.position_label.setText(text.split(":")[0])  # "2 / 12" or "3.1 s / 20.0 s"
        self.position_label.setToolTip(text)

    def _step(self, delta: int) -> None:
        if self.source is not None:
            self.source.step(delta)
            self.refresh_position()

    def _on_pause(self, paused: bool) -> None:
        self.pause_button.setToolTip("Play" if paused else "Pause")
        self.pause_button.setIcon(self.style().standardIcon(
            QStyle.StandardPixmap.SP_MediaPlay if paused else QStyle.StandardPixmap.SP_MediaPause))
        if self.source is not None and not self._updating:
            self.source.pause() if paused else self.source.resume()

    def _on_seek(self, value: int) -> None:
        if self.source is not None and not self._updating:
            self.source.seek(value / 1000)

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
        if isinstance(current, SourceChoice) and current.kind == "file":
            self.combo.setCurrentIndex(self.combo.count() - 1)  # the file entry (now self._file_choice)
        elif current is not None:
            self.show_choice(current)
        self._fill_sizes()

    def _fill_sizes(self) -> None:
        choice = self.combo.currentData()
        self.size_combo.clear()
        if isinstance(choice, SourceChoice) and choice.kind == "camera" and choice.camera:
            sizes = [s for s in RESOLUTIONS if not choice.camera.sizes or s in choice.camera.sizes] or list(RESOLUTIONS)
            for w, h in sizes:
                self.size_combo.addItem(f"{w}x{h}", (w, h))
        self.size_combo.setVisible(self.size_combo.count() > 0)  # resolutions are for cameras only

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

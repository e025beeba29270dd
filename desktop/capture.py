"""Snapshots that carry their settings, and recording the live view (with its overlays) to MP4.

A snapshot is a PNG of what the tab shows (the tab's own full-resolution `snapshot(path)` where it has one,
else the view as drawn) with the settings in the PNG's text chunks and in a sidecar JSON beside it. The
recorder grabs the view as drawn ~15 times a second on the GUI thread and hands the pixels to a writer
thread (cv2.VideoWriter, MPEG-4); the elapsed time shows in the status bar, outside the recorded picture.
"""

from __future__ import annotations

import json
import queue
import time
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QStandardPaths, QTimer, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

from desktop.workers import TaskRunner, WorkerSet


def captures_dir() -> Path:
    """~/Pictures/PaperZoo (or the home folder's PaperZoo when there is no pictures folder)."""
    pictures = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.PicturesLocation)
    return Path(pictures or Path.home()) / "PaperZoo"


def tab_settings(tab: Any) -> dict[str, Any]:
    """What a snapshot records: paper, model, device, source, every remembered control, version, time."""
    from desktop.persistence import control_value, source_text, tab_controls
    from engines.system_check import version

    controls = {}
    for name, w in tab_controls(tab).items():
        value = control_value(w)
        controls[name] = value if isinstance(value, (bool, int, float, str)) else str(value)
    model = getattr(tab, "model_list", None)
    return {"paper": tab.info.key, "papers": list(tab.info.papers),
            "model": model.currentText() if model is not None else "",
            "device": getattr(tab, "engine_device", ""),
            "source": source_text(tab.choice) if getattr(tab, "choice", None) is not None else "",
            "controls": controls, "paperzoo": version(), "time": time.strftime("%Y-%m-%dT%H:%M:%S%z")}


def view_widget(tab: Any) -> QWidget:
    """The part of a tab worth capturing: the live view, else the tab's own `capture_widget`, else the tab."""
    return getattr(tab, "view", None) or getattr(tab, "capture_widget", None) or tab


def save_snapshot(tab: Any, path: Path) -> Path:
    """Write the tab's picture to `path` (PNG) with its settings in text chunks and in path.json."""
    from engines.png_text import add_png_text

    path.parent.mkdir(parents=True, exist_ok=True)
    own = getattr(tab, "snapshot", None)
    if callable(own):
        own(path)
    elif not view_widget(tab).grab().save(str(path), "PNG"):
        raise OSError(f"could not write {path}")
    settings = tab_settings(tab)
    add_png_text(path, {"Software": f"PaperZoo {settings['paperzoo']}",
                        "paperzoo:settings": json.dumps(settings, sort_keys=True)})
    path.with_suffix(".json").write_text(json.dumps(settings, indent=2, sort_keys=True), encoding="utf-8")
    return path


def _bgr(image: QImage, size: tuple[int, int]) -> np.ndarray:
    """A QImage as a BGR uint8 array of `size` (w, h)."""
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    if (img.width(), img.height()) != size:
        img = img.scaled(*size)
    w, h = img.width(), img.height()
    rgb = np.frombuffer(img.constBits(), np.uint8, count=img.bytesPerLine() * h).reshape(h, img.bytesPerLine())
    return np.ascontiguousarray(rgb[:, : w * 3].reshape(h, w, 3)[:, :, ::-1])


class ViewRecorder(QObject):
    """Records one widget as drawn to an MP4 file. GUI thread: start(), stop(); the writer runs on a worker."""

    elapsed = Signal(float)  # seconds recorded so far (about once a second)
    ended = Signal(str)  # the file written, or "failed: ..." when the writer could not write

    def __init__(self, parent: QObject | None = None, fps: float = 15.0) -> None:
        super().__init__(parent)
        self.fps = fps
        self.workers = WorkerSet()
        self.tasks = TaskRunner(self.workers, "record", self)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._grab)
        self._frames: queue.Queue = queue.Queue(maxsize=30)
        self.widget: QWidget | None = None
        self.path: Path | None = None
        self.dropped = 0

    @property
    def recording(self) -> bool:
        return self._timer.isActive()

    def start(self, widget: QWidget, path: Path) -> None:
        self.widget, self.path, self.dropped = widget, Path(path), 0
        self.size = (max(2, widget.width() // 2 * 2), max(2, widget.height() // 2 * 2))  # even sides for MPEG-4
        self.t0 = time.monotonic()
        self._frames = queue.Queue(maxsize=30)
        frames, size, fps, out = self._frames, self.size, self.fps, self.path
        self.tasks.run("write", lambda stop: _write(frames, out, size, fps, stop), lambda _: None,
                       on_failed=lambda message: self.ended.emit(f"failed: {message}"),
                       on_finished=self._on_written)
        self._timer.start(int(1000 / fps))

    def stop(self) -> None:
        if self._timer.isActive():
            self._timer.stop()
            self._frames.put(None)  # the writer closes the file after the frames before this

    def _grab(self) -> None:
        if self.widget is None or not self.widget.isVisible():
            return
        try:
            self._frames.put_nowait(_bgr(self.widget.grab().toImage(), self.size))
        except queue.Full:
            self.dropped += 1
        seconds = time.monotonic() - self.t0
        if int(seconds) != int(seconds - 1 / self.fps):
            self.elapsed.emit(seconds)

    def _on_written(self) -> None:
        if self.path is not None and self.path.is_file():
            self.ended.emit(str(self.path))

    def shutdown(self) -> None:
        self.stop()
        self.workers.stop_all(5000)


def _write(frames: queue.Queue, path: Path, size: tuple[int, int], fps: float, stop):
    """Writer thread: frames (BGR arrays, None = end) -> path (MPEG-4 in .mp4), written to a .part then renamed."""
    import cv2

    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part.mp4")
    writer = cv2.VideoWriter(str(part), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    if not writer.isOpened():
        raise OSError(f"cannot write video to {path}")
    count = 0
    try:
        while True:
            try:
                frame = frames.get(timeout=0.5)
            except queue.Empty:
                if stop():
                    break
                continue
            if frame is None:
                break
            writer.write(frame)
            count += 1
            if count % 15 == 0:
                yield count
    finally:
        writer.release()
    if count:
        part.replace(path)
    else:
        part.unlink(missing_ok=True)


class CaptureActions(QObject):
    """The window's S and R keys: snapshot the current tab, record its view; messages go to the status bar."""

    def __init__(self, window, folder: Path | None = None) -> None:
        super().__init__(window)
        from PySide6.QtWidgets import QLabel

        self.window = window
        self.folder = folder
        self.recorder = ViewRecorder(self)
        self.badge = QLabel("")
        self.badge.setStyleSheet("color: #d22; font-weight: bold")
        window.statusBar().addPermanentWidget(self.badge)
        self.recorder.elapsed.connect(lambda s: self.badge.setText(f"\u25cf REC {int(s) // 60:02d}:{int(s) % 60:02d}"))
        self.recorder.ended.connect(self._ended)

    def _path(self, suffix: str) -> Path:
        tab = self.window.current_tab()
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return (self.folder or captures_dir()) / f"{tab.info.key}-{stamp}{suffix}"

    def snapshot(self) -> Path | None:
        tab = self.window.current_tab()
        if tab is None:
            return None
        try:
            path = save_snapshot(tab, self._path(".png"))
        except Exception as exc:  # noqa: BLE001 - any failure is a message, never a crash
            self.window.statusBar().showMessage(f"Snapshot failed: {exc}", 8000)
            return None
        self.window.statusBar().showMessage(f"Saved {path} (settings in {path.with_suffix('.json').name})", 8000)
        return path

    def toggle_recording(self) -> None:
        if self.recorder.recording:
            self.recorder.stop()
            self.badge.setText("saving ...")
            return
        tab = self.window.current_tab()
        if tab is None:
            return
        self.recorder.start(view_widget(tab), self._path(".mp4"))
        self.badge.setText("\u25cf REC 00:00")

    def _ended(self, what: str) -> None:
        self.badge.setText("")
        self.window.statusBar().showMessage(f"Recording {what}" if what.startswith("failed")
                                            else f"Saved {what}", 8000)

    def shutdown(self) -> None:
        self.recorder.shutdown()

"""What a live tab can watch: cameras by name (hot-plug aware), a video, an image, a folder, the demo clip.

Capture itself runs on engines.frames threads; this module only lists cameras (QtMultimedia)
and turns a user's choice into a FrameSource.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engines.frame_sources import CameraSource, VideoFileSource, source_for_path
from engines.frames import FrameSource, SourceLost

log = logging.getLogger(__name__)

DEMO_CLIP = Path(__file__).resolve().parent.parent / "assets" / "media" / "demo_street.webm"

RESOLUTIONS: tuple[tuple[int, int], ...] = ((640, 480), (1280, 720), (1920, 1080), (320, 240))


@dataclass(frozen=True)
class CameraInfo:
    """A camera as the OS names it. `device` is what OpenCV opens (an index, or a /dev path on Linux)."""

    label: str
    device: int | str
    sizes: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class SourceChoice:
    """What the user picked: kind is "camera", "file" or "demo"."""

    kind: str
    camera: CameraInfo | None = None
    path: Path | None = None
    size: tuple[int, int] | None = None

    def describe(self) -> str:
        if self.kind == "camera" and self.camera:
            return self.camera.label
        if self.kind == "demo":
            return "demo clip"
        return self.path.name if self.path else self.kind

    def build(self, mirror: bool) -> FrameSource:
        """A FrameSource for this choice (not started). Raises SourceLost with a clear message."""
        if self.kind == "camera" and self.camera is not None:
            return CameraSource(self.camera.device, self.camera.label, self.size, mirror=mirror)
        if self.kind == "demo":
            if not DEMO_CLIP.is_file():
                raise SourceLost(f"the demo clip is missing from {DEMO_CLIP.parent}")
            return VideoFileSource(DEMO_CLIP, mirror=mirror)
        if self.path is None:
            raise SourceLost("no file chosen")
        return source_for_path(self.path, mirror=mirror)


class CameraList(QObject):
    """Lists cameras by name and re-lists them when one is plugged in or out (QtMultimedia).

    Without QtMultimedia (e.g. libpulse missing on Linux) the list is empty and `available` is False.
    """

    changed = Signal(list)  # list[CameraInfo]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.available = False
        self._devices = None
        try:
            from PySide6.QtMultimedia import QMediaDevices

            self._devices = QMediaDevices(self)
            self._devices.videoInputsChanged.connect(self._relist)
            self.available = True
        except ImportError as exc:  # libpulse0 missing, or Addons not installed
            log.warning("QtMultimedia unavailable, cameras cannot be listed: %s", exc)
        self.cameras: list[CameraInfo] = self._list()

    def _list(self) -> list[CameraInfo]:
        if not self.available:
            return []
        from PySide6.QtMultimedia import QMediaDevices

        found = []
        for i, dev in enumerate(QMediaDevices.videoInputs()):
            raw = bytes(dev.id().data()).decode(errors="ignore")
            device: int | str = raw if sys.platform.startswith("linux") and raw.startswith("/dev/") else i
            sizes = sorted({(f.resolution().width(), f.resolution().height()) for f in dev.videoFormats()},
                           reverse=True)
            found.append(CameraInfo(dev.description(), device, tuple(sizes)))
        return found

    def _relist(self) -> None:
        self.cameras = self._list()
        self.changed.emit(self.cameras)

    def find(self, name: str) -> CameraInfo | None:
        name = name.lower()
        return next((c for c in self.cameras if name in c.label.lower()), None)


def parse_source_arg(arg: str | None, cameras: CameraList) -> tuple[SourceChoice, str]:
    """`--source camera|camera:NAME|demo|PATH` -> (choice, notice). Falls back to the demo clip with a notice."""
    if arg and arg not in ("camera",) and not arg.startswith("camera:") and arg != "demo":
        return SourceChoice("file", path=Path(arg).expanduser()), ""
    if arg == "demo":
        return SourceChoice("demo"), ""
    if arg and arg.startswith("camera:"):
        cam = cameras.find(arg.split(":", 1)[1])
        if cam is None:
            return SourceChoice("demo"), f"No camera named '{arg[7:]}' - showing the demo clip instead."
        return SourceChoice("camera", camera=cam, size=RESOLUTIONS[0]), ""
    if cameras.cameras:
        return SourceChoice("camera", camera=cameras.cameras[0], size=RESOLUTIONS[0]), ""
    return SourceChoice("demo"), "No camera found - showing the built-in demo clip."

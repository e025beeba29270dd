"""The concrete frame sources: a video file, stills (a photo or a folder), a camera, synthetic and frozen
frames, and `source_for_path`. The protocol they share (FrameSource, LatestSlot, Frame) is engines.frames."""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from engines.base import EngineError
from engines.frames import IDLE, IMAGE_SUFFIXES, VIDEO_SUFFIXES, FrameSource, SourceLost, open_video


class VideoFileSource(FrameSource):
    """A video file played at its own frame rate (or `fps`), looping by default; can pause and seek."""

    can_pause = True

    def __init__(self, path: str | Path, fps: float | None = None, loop: bool = True, mirror: bool = False) -> None:
        super().__init__(fps, mirror)
        self.path, self.loop = Path(path), loop
        self.name = self.path.name
        self._cap: cv2.VideoCapture | None = None
        self.frame_count = 0  # known once opened (0: unknown, no seeking)
        self._pos = 0  # index of the next frame to read
        self._seek_to: int | None = None

    @property
    def can_seek(self) -> bool:  # type: ignore[override]
        return self.frame_count > 1

    def seek(self, fraction: float) -> None:
        """Jump to `fraction` of the video (applied on the capture thread; shown even while paused)."""
        if self.frame_count > 1:
            with self._lock:
                self._seek_to = round(min(1.0, max(0.0, fraction)) * (self.frame_count - 1))
            self._wake.set()

    def position(self) -> float:
        with self._lock:
            pos = self._seek_to if self._seek_to is not None else max(0, self._pos - 1)
        return pos / (self.frame_count - 1) if self.frame_count > 1 else 0.0

    def position_text(self) -> str:
        fps = self.fps or 25.0
        return f"{self.position() * max(0, self.frame_count - 1) / fps:.1f} / {self.frame_count / fps:.1f} s"

    def _open(self) -> None:
        try:
            cap = open_video(self.path)
        except EngineError as exc:
            raise SourceLost(str(exc)) from exc
        ok, first = cap.read()
        if not ok:
            cap.release()
            raise SourceLost(f"{self.path.name} is not a video PaperZoo can decode")
        cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._cap = cap
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self.frame_count = int(count) if 1 <= count < 10**9 else 0
        if self.fps is None:
            file_fps = cap.get(cv2.CAP_PROP_FPS)
            self.fps = file_fps if 1 <= file_fps <= 240 else 25.0

    def _read(self) -> np.ndarray | None:
        assert self._cap is not None
        with self._lock:
            seek_to, self._seek_to = self._seek_to, None
        if seek_to is not None:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, seek_to)
            self._pos = seek_to
        elif self.paused:
            return IDLE
        ok, image = self._cap.read()
        if ok:
            self._pos += 1
            return image
        if self.loop and self.captured > 0:
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
            self._pos = 0
            ok, image = self._cap.read()
            if ok:
                self._pos = 1
                return image
            raise SourceLost(f"{self.path.name} could not be read again from the start")
        if self.captured == 0:
            raise SourceLost(f"{self.path.name} has no readable frames")
        return None  # finished, not looping

    def _close(self) -> None:
        if self._cap is not None:
            self._cap.release()


class StillSource(FrameSource):
    """Still images, each sent once (the model runs once, then idles); a folder is a slideshow that
    advances every `seconds_per_image` unless paused, and steps back and forth."""

    def __init__(self, paths: list[Path], fps: float = 10.0, seconds_per_image: float = 3.0,
                 mirror: bool = False) -> None:
        super().__init__(fps, mirror)
        if not paths:
            raise ValueError("no images given")
        self.paths, self.seconds_per_image = paths, seconds_per_image
        self.name = paths[0].name if len(paths) == 1 else paths[0].parent.name
        self.can_pause = self.can_step = len(paths) > 1
        self._images: dict[Path, np.ndarray] = {}
        self.index = 0  # the image shown
        self._sent = -1  # the index last sent
        self._t_next = 0.0  # when the slideshow moves on

    def step(self, delta: int) -> None:
        """Show the next (+1) or previous (-1) image; the slideshow timer starts again."""
        if self.can_step:
            with self._lock:
                self.index = (self.index + delta) % len(self.paths)
                self._t_next = time.perf_counter() + self.seconds_per_image
            self._wake.set()

    def position(self) -> float:
        return self.index / (len(self.paths) - 1) if len(self.paths) > 1 else 0.0

    def position_text(self) -> str:
        return f"{self.index + 1} / {len(self.paths)}: {self.paths[self.index].name}" if self.can_step else ""

    @staticmethod
    def from_path(path: str | Path, **kw) -> StillSource:
        path = Path(path)
        if path.is_dir():
            images = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not images:
                raise SourceLost(f"the folder {path.name} holds no images")
            return StillSource(images, **kw)
        return StillSource([path], **kw)

    def _load(self, path: Path) -> np.ndarray:
        if path not in self._images:
            from engines.images import read_image

            try:  # the header's size is checked first: a 20000 x 20000 PNG is refused, not decoded
                image = read_image(path)
            except EngineError as exc:
                raise SourceLost(str(exc)) from exc
            self._images = {path: image}  # keep one decoded image
        return self._images[path]

    def _open(self) -> None:
        self._t_next = time.perf_counter() + self.seconds_per_image
        self._load(self.paths[self.index])

    def _read(self) -> np.ndarray | None:
        with self._lock:
            now = time.perf_counter()
            if self.paused:
                self._t_next = now + self.seconds_per_image  # a full interval once resumed
            elif self.can_step and now >= self._t_next:
                self.index = (self.index + 1) % len(self.paths)
                self._t_next = now + self.seconds_per_image
            if self.index == self._sent:
                return IDLE
            self._sent = i = self.index
        return self._load(self.paths[i])


class CameraSource(FrameSource):
    """A camera opened with OpenCV: `device` is an index or a path such as /dev/video0."""

    def __init__(self, device: int | str, label: str = "", size: tuple[int, int] | None = None,
                 mirror: bool = True, max_failures: int = 30) -> None:
        super().__init__(None, mirror)
        self.device, self.size, self.max_failures = device, size, max_failures
        self.name = label or f"camera {device}"
        self._cap: cv2.VideoCapture | None = None
        self._failures = 0

    def _open(self) -> None:
        cap = cv2.VideoCapture(self.device)
        if not cap.isOpened():
            raise SourceLost(f"{self.name} could not be opened (in use by another program, or unplugged?)")
        if self.size:
            cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
            cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        self._cap = cap

    def _read(self) -> np.ndarray | None:
        assert self._cap is not None
        ok, image = self._cap.read()
        if ok and image is not None:
            self._failures = 0
            return image
        self._failures += 1
        if self._failures >= self.max_failures:
            raise SourceLost(f"{self.name} stopped sending frames (was it unplugged?)")
        self._stop.wait(0.01)
        return self._read() if not self._stop.is_set() else None

    def _close(self) -> None:
        if self._cap is not None:
            self._cap.release()


class SyntheticSource(FrameSource):
    """Generated frames (a moving square on noise) for tests; `vanish_after` simulates an unplugged camera."""

    def __init__(self, size: tuple[int, int] = (320, 240), fps: float = 30.0, vanish_after: int | None = None,
                 mirror: bool = False) -> None:
        super().__init__(fps, mirror)
        self.size, self.vanish_after = size, vanish_after
        self.name = "synthetic camera"
        self._rng = np.random.default_rng(0)

    def _read(self) -> np.ndarray | None:
        if self.vanish_after is not None and self.captured >= self.vanish_after:
            raise SourceLost(f"{self.name} stopped sending frames (was it unplugged?)")
        w, h = self.size
        image = self._rng.integers(0, 40, (h, w, 3), dtype=np.uint8)
        x = (self.captured * 5) % max(1, w - 60)
        cv2.rectangle(image, (x, h // 3), (x + 60, h // 3 + 60), (0, 200, 255), -1)
        return image


def source_for_path(path: str | Path, mirror: bool = False) -> FrameSource:
    """A video, an image or a folder of images, chosen by what `path` is."""
    path = Path(path)
    if not path.exists():
        raise SourceLost(f"{path} does not exist")
    if path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES:
        return StillSource.from_path(path, mirror=mirror)
    if path.suffix.lower() in VIDEO_SUFFIXES:
        return VideoFileSource(path, mirror=mirror)
    raise SourceLost(f"{path.name} is neither an image nor a video PaperZoo knows (by its extension)")


class FrozenSource(FrameSource):
    """One image (BGR uint8) re-sent at `fps`, e.g. a frozen frame re-run while settings change."""

    def __init__(self, image: np.ndarray, fps: float = 10.0) -> None:
        super().__init__(fps, mirror=False)
        self.image = image
        self.name = "frozen frame"

    def _read(self) -> np.ndarray | None:
        return self.image

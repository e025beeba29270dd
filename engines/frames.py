"""Frames and where they come from: capture threads feeding a one-slot, newest-wins mailbox.

Qt-free, so the benchmark measures the same pipeline the app runs. Times are
`time.perf_counter()` seconds; images are BGR uint8 (H, W, 3), read-only.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engines.base import EngineError, frozen_array

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_SUFFIXES = (".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mpg", ".mpeg")


def file_filter(label: str, suffixes: tuple[str, ...]) -> str:
    """A file dialog filter, e.g. "Videos (*.avi *.mp4 ...)", from one of the suffix tables above."""
    return f"{label} ({' '.join('*' + s for s in suffixes)})"



MAX_VIDEO_PIXELS = 40_000_000  # per frame: 8K UHD (7680 x 4320) is 33 MP


def open_video(path: str | Path, max_pixels: int = MAX_VIDEO_PIXELS) -> cv2.VideoCapture:
    """An opened capture, its declared frame size checked before any frame is decoded.

    EngineError if it cannot be opened, or if it declares frames past `max_pixels` (an 8 MB AVI whose
    header says 16000 x 16000 decodes 770 MB frames: 3.8 GB after three)."""
    name = Path(path).name
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        cap.release()
        raise EngineError(f"cannot open {name} as a video")
    w, h = cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT)
    if w * h > max_pixels:
        cap.release()
        raise EngineError(f"{name} declares {w:.0f} x {h:.0f} frames ({w * h / 1e6:.0f} MP); the limit is "
                          f"{max_pixels / 1e6:.0f} MP per frame")
    return cap


def video_frames(path: str | Path, every: int = 1, limit: int | None = None) -> Iterator[tuple[int, np.ndarray]]:
    """(frame index, BGR uint8 (H, W, 3)) for every `every`-th frame of a video file, at most `limit` of them.

    The one reader of video files frame by frame (labelling, distillation, fine-tuning); raises
    EngineError when the file cannot be opened as a video.
    """
    if every < 1:
        raise ValueError("every must be >= 1")
    cap = open_video(path)
    i = taken = 0
    try:
        while limit is None or taken < limit:
            ok, image = cap.read()
            if not ok:
                break
            if i % every == 0:
                yield i, image
                taken += 1
            i += 1
    finally:
        cap.release()


SourceEvent = Callable[[str, str], None]
"""on_event(kind, message): kind is "error" (the source stopped) or "info"."""


@dataclass(frozen=True)
class Frame:
    image: np.ndarray  # (H, W, 3) uint8 BGR, read-only
    t_capture: float  # perf_counter seconds when the frame was captured/decoded
    index: int
    source: str


class LatestSlot:
    """A one-slot mailbox: `put` replaces the held frame (counting it dropped if never taken)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._frame: Frame | None = None
        self._closed = False
        self.dropped = 0
        self.delivered = 0

    def put(self, frame: Frame) -> None:
        with self._cond:
            if self._frame is not None:
                self.dropped += 1
            self._frame = frame
            self._cond.notify_all()

    def take(self, timeout: float | None = None) -> Frame | None:
        """The newest frame not yet taken; waits up to `timeout` s; None on timeout or close."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._frame is not None or self._closed, timeout):
                return None
            frame, self._frame = self._frame, None
            if frame is not None:
                self.delivered += 1
            return frame

    def peek(self) -> Frame | None:
        """The held frame without taking it (a preview while the consumer is busy), or None."""
        with self._cond:
            return self._frame

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class RateMeter:
    """Events per second over the last `window` events."""

    def __init__(self, window: int = 30) -> None:
        self._times: deque[float] = deque(maxlen=window)

    def tick(self, t: float | None = None) -> None:
        self._times.append(time.perf_counter() if t is None else t)

    @property
    def rate(self) -> float:
        if len(self._times) < 2:
            return 0.0
        span = self._times[-1] - self._times[0]
        return (len(self._times) - 1) / span if span > 0 else 0.0


IDLE = object()
"""What `_read` returns when there is nothing new to send (a still image already sent, a paused video)."""


class FrameSource:
    """A capture thread. Subclasses implement `_open()` and `_read() -> np.ndarray | None | IDLE`.

    Playback controls (thread-safe, no-ops unless the matching `can_*` is True): pause(), resume(),
    step(+1/-1), seek(fraction); position() is a fraction in [0, 1], position_text() says where we are.
    """

    name = "source"
    can_pause = can_step = can_seek = False

    def __init__(self, fps: float | None = None, mirror: bool = False) -> None:
        self.fps = fps
        self.mirror = mirror
        self.meter = RateMeter()
        self.captured = 0
        self.paused = False
        self._stop = threading.Event()
        self._wake = threading.Event()  # set by a control so an idle source acts at once
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._last: np.ndarray | None = None  # the last image read (before mirroring)
        self._sent_mirror = mirror

    def pause(self) -> None:
        if self.can_pause:
            self.paused = True
            self.meter = RateMeter()  # a paused source shows 0 fps, not its old rate
            self._wake.set()

    def resume(self) -> None:
        if self.can_pause and self.paused:
            self.paused = False
            self._wake.set()

    def step(self, delta: int) -> None: ...

    def seek(self, fraction: float) -> None: ...

    def position(self) -> float:
        return 0.0

    def position_text(self) -> str:
        return ""

    def start(self, slot: LatestSlot, on_event: SourceEvent | None = None) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, args=(slot, on_event or (lambda k, m: None)),
                                        name=f"capture:{self.name}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _open(self) -> None: ...

    def _read(self) -> np.ndarray | None:
        raise NotImplementedError

    def _close(self) -> None: ...

    def _run(self, slot: LatestSlot, on_event: SourceEvent) -> None:
        try:
            self._open()
        except Exception as exc:  # reported to the user, never raised into the app
            on_event("error", str(exc))
            return
        period = 1.0 / self.fps if self.fps else 0.0
        next_t = time.perf_counter()
        try:
            while not self._stop.is_set():
                image = self._read()
                if image is None:
                    return
                if image is IDLE:
                    if self._last is None or self.mirror == self._sent_mirror:
                        self._wake.wait(0.1)
                        self._wake.clear()
                        continue
                    image = self._last  # re-send what is shown, mirrored the new way
                mirror = self.mirror
                self._last, self._sent_mirror = image, mirror
                now = time.perf_counter()
                if mirror:
                    image = cv2.flip(image, 1)
                self.captured += 1
                self.meter.tick(now)
                slot.put(Frame(frozen_array(image), now, self.captured, self.name))
                if period:
                    next_t = max(next_t + period, now - period)
                    self._stop.wait(max(0.0, next_t - time.perf_counter()))
        except SourceLost as exc:
            on_event("error", str(exc))
        except Exception as exc:
            on_event("error", f"{self.name}: {exc}")
        finally:
            self._close()


class SourceLost(RuntimeError):
    """The source stopped delivering (camera unplugged, video unreadable)."""

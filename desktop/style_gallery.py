"""The style tab's gallery: 26 thumbnails of the styles painted on the current frame, kept up to date by itself.

GalleryRefresher decides when to paint them again (GUI thread): on the first frame of a new source, and for a
source whose frames keep changing (camera, video, slideshow) every `interval_s`, only while the tab is visible
and no render is in flight. A render runs on the live worker in chunks of `chunk` styles, one worker command
each, so live frames keep flowing between chunks; the interval grows with the measured render time so that
the gallery takes at most `busy_share` of the worker's time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QListView, QListWidget, QListWidgetItem

from desktop.widgets.frame_view import qimage_from_bgr
from engines.pipeline import LiveNotice, LiveResult

NUM_STYLES = 26
THUMB = 56  # px, gallery icons


class StyleGallery(QListWidget):
    """The 26-style icon grid; an image file dropped on it becomes the style (`image_dropped`)."""

    image_dropped = Signal(Path)

    def __init__(self) -> None:
        super().__init__()
        self.setAcceptDrops(True)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(QSize(THUMB, THUMB))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setGridSize(QSize(THUMB + 10, THUMB + 22))
        self.setUniformItemSizes(True)
        self.setWrapping(True)
        self.setMinimumHeight(3 * (THUMB + 22) + 8)  # three rows of thumbnails
        self.setToolTip("The 26 styles rendered on the current frame (again when the picture changes); click one "
                        "to use it, or drop any painting or photo here to use its style")
        blank = QPixmap(THUMB, THUMB)
        blank.fill(Qt.GlobalColor.darkGray)
        for i in range(NUM_STYLES):
            self.addItem(QListWidgetItem(QIcon(blank), str(i)))
        self.setCurrentRow(0)

    def set_thumbnails(self, first: int, thumbs: tuple[np.ndarray, ...]) -> None:
        """Icons of styles first, first + 1, ... from uint8 (THUMB, THUMB, 3) BGR thumbnails."""
        for i, thumb in enumerate(thumbs):
            self.item(first + i).setIcon(QIcon(QPixmap.fromImage(qimage_from_bgr(thumb).copy())))

    def dragEnterEvent(self, event) -> None:  # noqa: N802 (Qt)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dragMoveEvent(self, event) -> None:  # noqa: N802 (Qt)
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 (Qt)
        urls = event.mimeData().urls()
        if urls:
            event.acceptProposedAction()
            self.image_dropped.emit(Path(urls[0].toLocalFile()))


LOST_CHUNK_S = 30.0  # a chunk not back after this long failed on the worker: the render starts again
GALLERY = "gallery"  # the tag of a chunk's LiveNotice.applied: (GALLERY, render id, first style, thumbs, ms)


class GalleryRefresher:
    """When and how the gallery is painted again (GUI thread only; see the module docstring).

    submit(fn): runs fn on the live worker; its LiveNotice comes back to the tab, which passes `applied` to
    `on_chunk`. visible(): whether the tab is on screen. Times are perf_counter seconds, like Frame.t_capture.
    """

    def __init__(self, gallery: StyleGallery, submit: Callable[[Callable[[], LiveNotice]], None],
                 visible: Callable[[], bool], min_interval_s: float = 5.0, busy_share: float = 0.1,
                 chunk: int = 4) -> None:
        self.gallery, self.submit, self.visible = gallery, submit, visible
        self.min_interval_s, self.busy_share, self.chunk = min_interval_s, busy_share, chunk
        self.interval_s = min_interval_s  # grows to render time / busy_share
        self.renders = 0  # finished renders
        self.last_render_ms = 0.0  # worker time of the last finished render
        self._stale_since: float | None = 0.0  # a frame captured after this needs a render; None: up to date
        self._render_id = 0
        self._in_flight: tuple[Any, np.ndarray, float] | None = None  # (engine, image, frame time) of a render
        self._chunk_sent_at = 0.0  # when the last chunk was submitted (a chunk that fails comes back as an error)
        self._busy_ms = 0.0
        self._frame_t = -1.0  # capture time of the frame last rendered
        self._done_at = -1e9

    def source_changed(self) -> None:
        """The user picked another source: paint its first frame (whatever render is running is dropped)."""
        self._stale_since = time.perf_counter()
        self._in_flight = None

    @property
    def pending(self) -> bool:
        """A render is in flight or waits for a frame."""
        return self._in_flight is not None or self._stale_since is not None

    def interrupted(self) -> None:
        """The worker stopped (tab hidden, training): a render in flight is lost; finish it on the next frame."""
        if self._in_flight is not None:
            self._stale_since, self._in_flight = self._in_flight[2], None

    def render_now(self, engine: Any, live: LiveResult | None) -> None:
        """Paint the frame on screen now (the button)."""
        if engine is not None and live is not None:
            self._start(engine, live)

    def on_result(self, engine: Any, live: LiveResult) -> None:
        """A live result is on screen: start a render if it is due."""
        if self._in_flight is not None and (self._in_flight[0] is not engine
                                            or time.perf_counter() - self._chunk_sent_at > LOST_CHUNK_S):
            self.interrupted()  # a new engine (the old one's chunks will not come), or a chunk lost to an error
        if engine is None or self._in_flight is not None or not self.visible():
            return
        t = live.frame.t_capture
        stale = self._stale_since is not None and t >= self._stale_since
        due = t > self._frame_t and time.perf_counter() - self._done_at >= self.interval_s
        if stale or due:
            self._start(engine, live)

    def _start(self, engine: Any, live: LiveResult) -> None:
        self._render_id += 1
        self._in_flight = (engine, live.frame.image, live.frame.t_capture)
        self._busy_ms = 0.0
        self._stale_since = None
        self._submit_chunk(0)

    def _submit_chunk(self, first: int) -> None:
        engine, image, _ = self._in_flight
        render_id, styles = self._render_id, range(first, min(first + self.chunk, NUM_STYLES))
        self._chunk_sent_at = time.perf_counter()

        def paint() -> LiveNotice:  # worker thread: reads only what was captured here
            t0 = time.perf_counter()
            thumbs = tuple(engine.thumbnails(image, THUMB, styles))
            return LiveNotice("", applied=(GALLERY, render_id, first, thumbs, 1000 * (time.perf_counter() - t0)))
        self.submit(paint)

    def on_chunk(self, applied: tuple) -> None:
        """A chunk came back: show it, then ask for the next one (or finish, or drop a stale render)."""
        _, render_id, first, thumbs, ms = applied
        if render_id != self._render_id or self._in_flight is None:
            return  # a render replaced by a newer one
        self.gallery.set_thumbnails(first, thumbs)
        self._busy_ms += ms
        following = first + len(thumbs)
        if following < NUM_STYLES:
            if self.visible():
                self._submit_chunk(following)
            else:  # hidden mid-way: finish it when the tab shows again
                self.interrupted()
            return
        self._frame_t = self._in_flight[2]
        self._in_flight = None
        self._done_at = time.perf_counter()
        self.renders += 1
        self.last_render_ms = self._busy_ms
        self.interval_s = max(self.min_interval_s, self._busy_ms / 1000 / self.busy_share)

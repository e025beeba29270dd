"""LiveTab: a tab watching a frame source through an engine worker.

A LiveTab subclass supplies four hooks and its controls; the base class owns the source, the
one-slot mailbox, the inference worker, the HUD, drag-and-drop and the asset download panel.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QTransform
from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.sources import CameraList, SourceChoice
from desktop.tabs.base import PaperTab
from desktop.widgets.asset_download import AssetDownloadPanel
from desktop.widgets.frame_view import FrameView, HudStats
from desktop.widgets.notice_banner import NoticeBanner
from desktop.widgets.scroll_column import scroll_column
from desktop.widgets.source_bar import SourceBar
from desktop.widgets.source_preview import SourcePreview
from desktop.workers import Worker
from engines.base import EngineError, PaperInfo
from engines.frames import IMAGE_SUFFIXES, VIDEO_SUFFIXES, Frame, FrameSource, LatestSlot, SourceLost
from engines.pipeline import Commands, DeviceState, LiveNotice, LiveResult, device_state, live_loop


@dataclass(frozen=True)
class EngineLoaded:
    """Handed from the worker to the GUI thread when an engine is built or gets new weights.

    engine: the new engine (None when the running one got new weights); facts: LiveTab.engine_facts.
    """

    weights: Any
    facts: Mapping[str, Any]
    engine: Any = None


class _SourceEvents(QObject):
    """Carries capture-thread events to the GUI thread (emit is thread-safe; delivery is queued)."""

    event = Signal(str, str)


class LiveTab(PaperTab):
    """A tab with a live source. Subclasses implement the hooks below and add controls to `self.controls`."""

    asset_names: tuple[str, ...] = ()  # assets this tab needs before its engine can load
    default_device = "cpu"  # where the engine runs unless --device says otherwise ("auto": the best there is)

    # hooks ------------------------------------------------------------------
    def create_engine(self, weights: Any, device: str) -> Any:
        """Build the registry's engine (PaperInfo.engine) and load `weights` on `device`. Runs on the worker
        thread (may import torch); touches no widget and no tab attribute."""
        from engines.registry import load_object

        engine = load_object(self.info.engine)()
        engine.load(weights, device)
        return engine

    def engine_facts(self, engine: Any) -> dict[str, Any]:
        """What the GUI needs to know of a freshly loaded engine (worker thread), e.g. class names."""
        return {}

    def on_engine_loaded(self, facts: dict[str, Any]) -> None:
        """An engine was built or got new weights (GUI thread); `facts` come from engine_facts."""

    def run_engine(self, engine: Any, frame: Frame) -> Any:
        """Infer one frame. Runs on the worker thread; read settings only from immutable snapshots."""
        raise NotImplementedError

    def paint_result(self, painter: QPainter, to_view: QTransform, result: Any) -> None:
        """Draw a result over its frame (GUI thread)."""

    def on_result(self, live: LiveResult) -> None:
        """A new result arrived (GUI thread), before it is painted."""

    def display_image(self, live: LiveResult):
        """The BGR image to show for a result (default: the frame itself)."""
        return live.frame.image

    def model_choices(self) -> list[tuple[str, Any]]:
        """(label, weights for create_engine) of each model in the tab's list, for the compare view. Default:
        the first item is the tab's default model (None), others carry their weights as item data."""
        combo = getattr(self, "model_list", None)
        out = []
        for i in range(combo.count() if combo is not None else 0):
            text, data = combo.itemText(i), combo.itemData(i)
            if text.startswith("Open") or (i > 0 and data in (None, "")):
                continue
            out.append((text, None if data in (None, "") else data))
        return out

    def compare_label(self) -> str:
        """What model A is called in the compare view (default: the model list's current entry)."""
        combo = getattr(self, "model_list", None)
        return combo.currentText() if combo is not None else "A"

    # construction -------------------------------------------------------------
    def __init__(self, info: PaperInfo, options: dict[str, Any] | None = None, parent: QWidget | None = None):
        super().__init__(info, options, parent)
        self.setAcceptDrops(True)
        self.slot: LatestSlot | None = None
        self.source: FrameSource | None = None
        self.commands = Commands()
        self._engine: Any = None  # the running engine (set on the GUI thread once loaded); None while none runs
        self.weights: Any = None  # what create_engine loads (None: the tab's default model)
        self.engine_device = "-"
        self.latest: LiveResult | None = None
        self._worker: Worker | None = None
        self._active = False
        self._events = _SourceEvents(self)
        self._events.event.connect(self._on_source_event)
        cameras = self.options.get("cameras")
        self.cameras: CameraList = cameras if cameras is not None else CameraList(self)
        self.source_bar = SourceBar(self.cameras, self)
        self.source_bar.chosen.connect(self.set_source)
        self.source_bar.mirror_changed.connect(self._on_mirror)
        self.view = FrameView(self)
        self.preview = SourcePreview(self.view)  # the source, shown while the model loads
        self.banner = NoticeBanner(self.view)
        self.controls = QVBoxLayout()
        self.controls.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.download_panel = AssetDownloadPanel(self, self.asset_names)
        self.download_panel.downloaded.connect(self._on_downloaded)
        holder = QWidget(self)
        holder.setLayout(self.controls)
        side = scroll_column(holder, 270, self)  # the pose tab's controls made the window 877 px tall
        self.side_column = side  # presenter mode hides it until the pointer reaches the view's right edge
        body = QWidget(self)
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.view, 1)
        row.addWidget(side)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(body)
        split.addWidget(self.training_area)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.pause_live_box = QCheckBox("Pause view while training", self)
        self.pause_live_box.setChecked(True)
        self.pause_live_box.setToolTip("Frees the CPU for training and keeps the window responsive on small machines")
        self.source_bar.layout().addWidget(self.pause_live_box)
        self.source_bar.layout().addWidget(self.training_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.source_bar)
        layout.addWidget(self.download_panel)
        layout.addWidget(split, 1)
        self._hud_timer = QTimer(self)
        self._hud_timer.setInterval(250)
        self._hud_timer.timeout.connect(self._refresh_hud)
        self.choice: SourceChoice = self.options.get("source_choice") or SourceChoice("demo")
        self.source_bar.show_choice(self.choice)
        from desktop.compare import CompareControls

        self.compare = CompareControls(self)  # added below the tab's own controls when the tab first shows

    # messages -------------------------------------------------------------------
    def show_notice(self, text: str, error: bool = False) -> None:
        self.banner.show_text(text, error)
        self.notice.emit(text, error)

    # lifecycle ------------------------------------------------------------------
    def activate(self) -> None:
        if self.controls.indexOf(self.compare) < 0:
            self.controls.addWidget(self.compare)
            self.compare.attach()
        self._active = True
        if self._missing_assets():
            return
        self._start_source()
        self._start_worker()
        self._hud_timer.start()

    def deactivate(self) -> None:
        self._active = False
        self._hud_timer.stop()
        self._stop_worker()
        self._stop_source()

    def on_training_started(self) -> None:
        if self._active and self.pause_live_box.isChecked():
            self._paused_for_training = True
            self.deactivate()
            self._active = True
            self._engine = None  # a new engine is built (with any new weights) when the view resumes
            self.view.set_placeholder("Live view paused while training (untick the box above to keep it running)")
            self.view.clear()

    def after_training(self, why: str) -> None:
        if getattr(self, "_paused_for_training", False):
            self._paused_for_training = False
            if self._active:
                self.activate()

    def switch_weights(self, weights: Any, message: str) -> None:
        """Load `weights` into the running engine on its worker thread; a bad file keeps the old model and
        the error becomes a notice. With no engine running, the next engine loads them.
        message: the notice on success; "{device}" is filled in."""
        engine = self._engine
        if engine is None:  # none running, or one still loading: it gets these once it is up
            self.weights = weights
            self._pending_switch = (weights, message)
            return
        self._pending_switch = None
        facts = self.engine_facts

        def swap() -> LiveNotice:
            engine.load(weights, engine.device)
            return LiveNotice(message.format(device=engine.device), applied=EngineLoaded(weights, facts(engine)))
        self.commands.submit(swap)

    def switch_device(self, device: str) -> None:
        """Move the running engine to `device` on its worker thread. A CPU backend whose accuracy gate refuses
        it leaves the engine where it was; the reason becomes an error notice (the banner)."""
        engine = self._engine
        if engine is not None:
            title = self.info.title

            def move() -> LiveNotice:
                try:
                    engine.set_device(device)
                except EngineError as exc:
                    return LiveNotice(f"{exc}. {title} stays on {engine.device}.", error=True,
                                      applied=device_state(engine))
                state = device_state(engine)
                gate = f" (gate: {state.gate})" if state.gate else ""
                return LiveNotice(f"{title} now runs on {device}{gate}.", applied=state)
            self.commands.submit(move)

    def rerun(self) -> None:
        """Infer the frame on screen again once a setting changed (a still image or a paused video sends no
        new frames)."""
        self.commands.submit(lambda: None)

    def set_source(self, choice: SourceChoice) -> None:
        """Switch what the tab watches (keeps the engine running)."""
        self.choice = choice
        self.source_bar.show_choice(choice)
        if self._active:
            self._stop_source()
            self._start_source()

    def _start_source(self) -> None:
        self.slot = self.slot or LatestSlot()
        try:
            self.source = self.choice.build(self.source_bar.mirror)
        except SourceLost as exc:
            self.source = None
            self.show_notice(str(exc), error=True)
            return
        self.source.start(self.slot, self._events.event.emit)
        self.source_bar.attach(self.source)
        self.view.set_placeholder(f"Waiting for {self.choice.describe()} ...")

    def _stop_source(self) -> None:
        if self.source is not None:
            self.source.stop()
            self.source = None
            self.source_bar.attach(None)

    def _start_worker(self) -> None:
        if self._worker is not None and self._worker.is_running():
            return  # the same task is already watching this source
        slot, commands = self.slot, self.commands
        assert slot is not None
        weights, device = self.weights, self.options.get("device") or self.default_device
        create, facts, run = self.create_engine, self.engine_facts, self.run_engine
        pair = self.compare.new_runner()  # the compare view's model B runs beside A on this worker

        def generate(stop):
            from engines.runtime import freeze_gc

            engine = create(weights, device)
            freeze_gc(collect=False)  # on a worker: collections belong to the GUI thread
            yield EngineLoaded(weights, facts(engine), engine)
            slot.dropped = 0  # frames that arrived while the model loaded are not pipeline drops
            try:
                yield from live_loop(slot, lambda f: pair.run(run, engine, f), stop,
                                     lambda: getattr(engine, "device", "cpu"), commands)
            finally:
                pair.close()

        self.view.set_placeholder("Loading the model ...")
        self.preview.start(slot, "Loading the model ...")  # the source shows meanwhile
        self._worker = self.run_task("infer", generate, self._on_item, self._on_failed, failure="The model stopped")
        self.compare.send_choice()  # a restarted worker compares again with the chosen model

    def _stop_worker(self) -> None:
        self.preview.stop()
        if self._worker is not None:
            self._worker.stop()
            if self.slot is not None:
                self.slot.close()
            self._worker.wait()
            self._worker = None
            self.slot = None

    def restart(self) -> None:
        """Rebuild the engine (e.g. after new weights) with the same source."""
        if self._active:
            self._stop_worker()
            self._stop_source()
            self._start_source()
            self._start_worker()

    # results (GUI thread) -------------------------------------------------------
    def _on_item(self, item: object) -> None:
        if isinstance(item, EngineLoaded):
            self._on_engine_loaded(item)
            return
        if isinstance(item, LiveNotice):
            if isinstance(item.applied, EngineLoaded):
                self._on_engine_loaded(item.applied)
            elif isinstance(item.applied, DeviceState):
                self.engine_device = item.applied.device
                self.on_device_state(item.applied)
            elif item.applied is not None:
                self.on_applied(item.applied)
            self.show_notice(item.text, item.error)
            return
        assert isinstance(item, LiveResult)
        self.preview.stop()
        item, image, overlay = self.compare.split(item)  # the compare view: A's result for the tab's hooks
        self.latest = item
        self.engine_device = item.device
        self.on_result(item)
        self.view.show_frame(image, item.frame.t_capture, overlay)
        self.result_shown.emit(item)

    def _on_engine_loaded(self, loaded: EngineLoaded) -> None:
        if loaded.engine is not None:
            self._engine = loaded.engine
            self.engine_device = getattr(loaded.engine, "device", "cpu")
        pending = getattr(self, "_pending_switch", None)
        if pending is not None and pending[0] is loaded.weights:
            pending = self._pending_switch = None
        self.weights = loaded.weights
        self.on_engine_loaded(dict(loaded.facts))
        if pending is not None and loaded.engine is not None:  # chosen while this engine was loading
            self.switch_weights(*pending)

    def on_applied(self, applied: Any) -> None:
        """A command run on the worker handed back a value to apply (GUI thread)."""

    def on_device_state(self, state: DeviceState) -> None:
        """A device change was applied or refused (GUI thread): `state` says where the engine runs now."""

    def _on_failed(self, message: str) -> None:
        self.preview.stop(clear=True)
        self.view.set_placeholder("The model could not run - see the message above")

    def task_failed(self, text: str) -> None:
        self.show_notice(text, error=True)

    def _on_source_event(self, kind: str, message: str) -> None:
        self.show_notice(message, error=kind == "error")

    def _on_mirror(self, mirror: bool) -> None:
        if self.source is not None:
            self.source.mirror = mirror

    def _refresh_hud(self) -> None:
        latest, src = self.latest, self.source
        age = (time.perf_counter() - latest.frame.t_capture) * 1000 if latest else 0.0
        self.view.set_hud(HudStats(
            camera_fps=src.meter.rate if src else 0.0,
            model_fps=latest.model_fps if latest else 0.0,
            display_fps=self.view.display_meter.rate,
            dropped=self.slot.dropped if self.slot else 0,
            age_ms=self.view.last_age_ms if latest else age,
            device=self.engine_device,
        ).lines())

    # assets -------------------------------------------------------------------
    def _missing_assets(self) -> bool:
        return self.download_panel.check()

    def download_assets(self) -> None:
        self.download_panel.download()

    def _on_downloaded(self) -> None:
        self.show_notice("Pretrained files downloaded and verified.")
        if self._active:
            self.activate()

    # drag and drop --------------------------------------------------------------
    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = event.mimeData().urls()
        if urls:
            self.open_path(Path(urls[0].toLocalFile()))

    def open_path(self, path: Path) -> None:
        """Watch a dropped/opened file; refuse (with a message) what is neither image, video nor folder."""
        if not path.exists():
            self.show_notice(f"{path} does not exist.", error=True)
        elif path.is_dir() or path.suffix.lower() in IMAGE_SUFFIXES + VIDEO_SUFFIXES:
            self.set_source(SourceChoice("file", path=path))
        else:
            self.show_notice(f"{path.name} is not an image, a video or a folder - kept the current source.",
                             error=True)

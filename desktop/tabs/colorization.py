"""Colorization tab ("Let there be Color!"): the live picture turned gray and colorized by our network."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import QEvent, QPointF
from PySide6.QtGui import QColor, QFont, QPainter, QTransform
from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QLabel, QPushButton

from desktop.tabs.base import add_labeled
from desktop.tabs.live import LiveTab
from desktop.widgets.device_list import DeviceList, device_facts
from desktop.widgets.panel_grid import best_columns, tile
from engines.base import frozen_array
from engines.frames import IMAGE_SUFFIXES, Frame, file_filter
from engines.pipeline import LiveNotice, LiveResult


@dataclass(frozen=True)
class ColorizedFrame:
    """result: the engine's ColorizationResult (full resolution); panels: BGR uint8 (gray, ours, truth?) tiled in
    the grid that fills the view best (desktop.widgets.panel_grid), each at most PANEL_MAX px on its longer side;
    origins: each panel's top-left (x, y) in `panels`; panel_hw: one panel's (height, width)."""

    result: Any
    panels: np.ndarray
    labels: tuple[str, ...]
    origins: tuple[tuple[int, int], ...]
    panel_hw: tuple[int, int]

    def panel(self, i: int) -> np.ndarray:
        """Panel i (0 gray, 1 ours, 2 truth) cut out of the tiling."""
        (x, y), (h, w) = self.origins[i], self.panel_hw
        return self.panels[y:y + h, x:x + w]


@dataclass(frozen=True)
class ColorizationSettings:
    """What the worker applies to each frame (a frozen snapshot, replaced on the GUI thread).

    show_truth: add the source's own colours as a third panel; global_feature: (256,) float32 scene
    features borrowed from another image (None: each frame's own); view_aspect: the view's width / height,
    which chooses how the panels are tiled.
    """

    show_truth: bool = True
    global_feature: np.ndarray | None = None
    view_aspect: float = 16 / 9


def has_colour(image: np.ndarray) -> bool:
    """True when a BGR image carries real colour (not a gray picture stored as BGR)."""
    small = cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA).astype(np.int16)
    return float(np.abs(small[..., 0] - small[..., 1]).mean() + np.abs(small[..., 1] - small[..., 2]).mean()) > 2.0


PANEL_MAX = 2048  # longer side of a displayed panel (px); the export keeps the full resolution


def display_panel(image: np.ndarray) -> np.ndarray:
    """`image` (uint8 BGR (H, W, 3)) area-downscaled to a longer side of PANEL_MAX if it is larger."""
    h, w = image.shape[:2]
    scale = PANEL_MAX / max(h, w)
    if scale >= 1:
        return image
    return cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


SHIPPED = "Shipped, with global branch (colorization.pt)"
WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "weights"
ABLATION = "Shipped, without global branch: the paper's ablation (colorization_no_global.pt)"
ABLATION_FILE = WEIGHTS_DIR / "colorization_no_global.pt"
PEOPLE = "Also trained on photos of people (colorization_people.pt)"
PEOPLE_FILE = WEIGHTS_DIR / "colorization_people.pt"
COCO = "COCO encoder, global branch (colorization_coco.pt)"
COCO_FILE = WEIGHTS_DIR / "colorization_coco.pt"
COCO_ABLATION = "COCO encoder, no global branch: the ablation (colorization_coco_no_global.pt)"
COCO_ABLATION_FILE = WEIGHTS_DIR / "colorization_coco_no_global.pt"
VIVID = "Vivid: colour classes, scene photos, COCO encoder; more colour, often wrong (colorization_vivid.pt)"
VIVID_FILE = WEIGHTS_DIR / "colorization_vivid.pt"
EXTRA_MODELS = ((ABLATION, ABLATION_FILE), (PEOPLE, PEOPLE_FILE), (COCO, COCO_FILE),
                (COCO_ABLATION, COCO_ABLATION_FILE), (VIVID, VIVID_FILE))
"""The other shipped files the Model list (and the compare view) offers, when present: the paper's ablation (with vs
without the global branch), a model also trained on people, the paper's nets on YOLOv3-tiny's frozen COCO
backbone with their ablation (they need the detection tab's yolov3-tiny files), and the vivid model: the same
encoder trained on the scene photos too with class-rebalanced colour bins instead of the paper's MSE."""
OPEN = "Open .pt ..."


class ColorizationTab(LiveTab):
    trained_export = "colorization.pt"
    default_device = "auto"  # the GPU, else the fastest CPU backend passing the colour gate (issue 13)

    def __init__(self, info, options: dict[str, Any] | None = None, parent=None) -> None:
        super().__init__(info, options, parent)
        self.settings = ColorizationSettings()
        self.model_combo = QComboBox()
        self.model_combo.addItem(SHIPPED, "")
        for label, path in EXTRA_MODELS:
            if path.is_file():
                self.model_combo.addItem(label, str(path))
        self.model_combo.addItem(OPEN, OPEN)
        self.model_combo.activated.connect(self._on_model)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.controls.addWidget(QLabel("Model"))
        self.controls.addWidget(self.model_combo)
        self.fill_trained_runs(self.model_combo)
        self.device_combo = add_labeled(self.controls, "Device", DeviceList(
            self.options.get("device") or self.default_device,
            "Torch, or a CPU backend (OpenVINO, onnxruntime) at a precision; bf16 and int8 run only after their\n"
            "colours match torch's within 1 Lab unit on held-out frames"))
        self.device_combo.chosen.connect(self.switch_device)
        self.show_truth = QCheckBox("Show the true colours beside")
        self.show_truth.setToolTip("A third panel with the source's own colours (when it has them)")
        self.show_truth.setChecked(True)
        self.show_truth.toggled.connect(lambda on: self._set(show_truth=on))
        self.controls.addWidget(self.show_truth)
        self.open_bw = QPushButton("Colorize a photo ...")
        self.open_bw.clicked.connect(self._ask_photo)
        self.transfer = QPushButton("Borrow global features from ...")
        self.transfer.clicked.connect(self._ask_transfer)
        self.clear_transfer = QPushButton("Use the picture's own global features")
        self.clear_transfer.clicked.connect(self._clear_transfer)
        self.record = QPushButton("Record 20 s to fine-tune on")
        self.record.setToolTip("Record 20 s of this source, then train on it in the Training panel")
        self.record.clicked.connect(lambda: self.start_recording(20.0))
        self.controls.addWidget(self.record)
        self._recorder: Any = None
        self.export = QPushButton("Export colorized PNG ...")
        self.export.clicked.connect(self._ask_export)
        for w in (self.open_bw, self.transfer, self.clear_transfer, self.export):
            self.controls.addWidget(w)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.controls.addWidget(self.status)
        self.view.installEventFilter(self)  # its resizes choose how the panels are tiled (eventFilter)
        self.training_opened.connect(lambda panel: self._fill_video_field())
        self.training_opened.connect(self._add_photo_set_builder)

    # engine hooks (worker thread) ------------------------------------------------
    def run_engine(self, engine, frame: Frame) -> ColorizedFrame:
        settings = self.settings  # one read: the GUI thread replaces it whole
        r = engine.infer(frame.image, global_feature=settings.global_feature)
        panels, labels = [display_panel(r.gray), display_panel(r.colorized)], ["gray input", "ours"]
        if settings.show_truth and has_colour(frame.image):
            panels.append(display_panel(frame.image))
            labels.append("true colours")
        h, w = panels[0].shape[:2]
        tiled, origins = tile(panels, best_columns(len(panels), w / h, settings.view_aspect))
        return ColorizedFrame(r, tiled, tuple(labels), origins, (h, w))

    def engine_facts(self, engine) -> dict[str, Any]:
        return device_facts(engine)

    # GUI ---------------------------------------------------------------------------
    def on_engine_loaded(self, facts: dict[str, Any]) -> None:
        self.device_combo.apply_facts(facts)

    def on_device_state(self, state) -> None:
        self.device_combo.show_state(state)

    def _comparing(self) -> bool:
        return self.compare.choice is not None

    def display_image(self, live: LiveResult) -> np.ndarray:
        """The tiled panels; in the compare view only 'ours', whole, so the wipe line splits model A's colours
        from model B's on the same picture."""
        if self._comparing():  # a cut of the tiling: copied, since QImage needs C-contiguous rows
            return np.ascontiguousarray(live.result.panel(1))
        return live.result.panels

    def paint_result(self, p: QPainter, to_view: QTransform, c: ColorizedFrame) -> None:
        font = QFont()
        font.setPointSize(11)
        font.setBold(True)
        p.setFont(font)
        tiles = ((c.labels[1], (0, 0)),) if self._comparing() else zip(c.labels, c.origins, strict=True)
        for label, (x, y) in tiles:
            pt = to_view.map(QPointF(x + 8, y + c.panel_hw[0] - 12))
            p.setPen(QColor(0, 0, 0))
            p.drawText(pt + QPointF(1, 1), label)
            p.setPen(QColor(255, 255, 255))
            p.drawText(pt, label)

    def on_result(self, live: LiveResult) -> None:
        if self._recorder is not None:
            self._record(live)
        r = live.result.result
        # no "scene guess": our class head learned which photo package a picture came from (labels such as
        # "explore_monuments"), not scenes, so naming its answer a scene would mislead (issue 16)
        borrowed = " (global features borrowed)" if self.settings.global_feature is not None else ""
        self.status.setText(f"{r.ms:.0f} ms per frame on {live.device}{borrowed}")

    def start_recording(self, seconds: float) -> Path:
        """Write the frames this tab receives (true colours) to a video for self-supervised fine-tuning."""
        import time

        from engines.assets import data_dir

        out = data_dir() / "recordings" / time.strftime("colorization-%Y%m%d-%H%M%S.avi")
        out.parent.mkdir(parents=True, exist_ok=True)
        self._recorder = {"path": out, "writer": None, "until": time.perf_counter() + seconds, "frames": 0}
        self.record.setEnabled(False)
        self.status.setText(f"Recording {seconds:.0f} s to {out.name} ...")
        return out

    def _record(self, live: LiveResult) -> None:
        import time

        rec, image = self._recorder, live.frame.image
        if rec["writer"] is None:
            rec["writer"] = cv2.VideoWriter(str(rec["path"]), cv2.VideoWriter_fourcc(*"MJPG"), 10,
                                            (image.shape[1], image.shape[0]))
        rec["writer"].write(image)
        rec["frames"] += 1
        if time.perf_counter() >= rec["until"]:
            rec["writer"].release()
            self._recorder = None
            self.record.setEnabled(True)
            self.show_notice(f"Recorded {rec['frames']} frames to {rec['path'].name}: open Training and press Start "
                             "to fine-tune on them.")
            self.show_training(True)
            self._pending_video = str(rec["path"])
            self._fill_video_field()

    def _add_photo_set_builder(self, panel) -> None:
        from desktop.widgets.photo_set_builder import PhotoSetBuilder

        self.photo_set_builder = PhotoSetBuilder(self)
        self.photo_set_builder.built.connect(
            lambda text: self.show_notice(f"Photo set {text}: Start now trains on the photos."))
        panel.add_tool(self.photo_set_builder)

    def _fill_video_field(self) -> None:
        if self.training_panel is not None and getattr(self, "_pending_video", ""):
            self.training_panel.set_field("video", self._pending_video)
            self._pending_video = ""

    def _on_model(self) -> None:
        """Colorize with the chosen weights (the shipped file, a trained run, or a .pt the user opens)."""
        path = self.model_combo.currentData()
        if path == OPEN:
            path, _ = QFileDialog.getOpenFileName(self, "Colorization weights", "", "PaperZoo colorization (*.pt)")
            if not path:
                return
        chosen = Path(path) if path else None
        name = chosen.parent.name + "/" + chosen.name if chosen else "the shipped weights"
        self.switch_weights(chosen, f"Colorizing with {name} on {{device}}.")

    def _ask_photo(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "A photo to colorize", "", file_filter("Images", IMAGE_SUFFIXES))
        if path:
            self.open_path(Path(path))

    def _ask_transfer(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Take global features from", "",
                                              file_filter("Images", IMAGE_SUFFIXES))
        if path:
            self.borrow_global_features(Path(path))

    def borrow_global_features(self, path: Path) -> None:
        """Colorize with the global (scene) features of another image, as in the paper's transfer figure."""
        from engines.base import EngineError
        from engines.images import read_image

        try:
            image = read_image(path)
        except EngineError as exc:
            self.show_notice(f"{exc} - kept the current features.", error=True)
            return
        engine = self._engine

        def take() -> LiveNotice:
            if engine is None:
                return LiveNotice("Start the tab first.")
            return LiveNotice(f"Global features now come from {path.name}.",
                              applied=frozen_array(engine.global_features(image)))
        self.commands.submit(take)

    def on_applied(self, applied) -> None:
        self._set(global_feature=applied)

    def _clear_transfer(self) -> None:
        self._set(global_feature=None)

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt)
        """The view was resized: tile the panels for its new shape (a row when wide, a 2x2 grid when not)."""
        if watched is self.view and event.type() == QEvent.Type.Resize and self.view.height() > 0:
            aspect = self.view.width() / self.view.height()
            if abs(aspect / self.settings.view_aspect - 1) > 0.02:
                self._set(view_aspect=aspect)  # the next frame uses it (a still photo is sent again)
        return False

    def _set(self, **changes) -> None:
        """Replace the worker's settings snapshot (GUI thread)."""
        self.settings = replace(self.settings, **changes)
        self.rerun()  # a still photo is sent once: show it again with the new settings

    def snapshot(self, path: Path) -> Path:
        if self.latest is None:
            raise RuntimeError("nothing on screen yet")
        cv2.imwrite(str(path), self.latest.result.result.colorized)
        return path

    def _ask_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save colorized image", "colorized.png", "PNG (*.png)")
        if path and self.latest is not None:
            self.show_notice(f"Saved {self.snapshot(Path(path))}")

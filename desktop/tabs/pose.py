"""Pose tab (Stacked Hourglass, CPM): skeleton and per-joint heatmaps over the live frame."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter, QPen, QTransform
from PySide6.QtWidgets import QCheckBox, QComboBox, QFileDialog, QLabel, QSlider, QSpinBox

from desktop.tabs.base import add_labeled
from desktop.tabs.live import LiveTab
from desktop.widgets.device_list import DeviceList, device_facts
from desktop.widgets.heatmap_grid import HeatmapGrid, bgra_qimage, colorize
from engines.frame_sources import FrozenSource
from engines.frames import Frame
from engines.pipeline import LiveResult

PRETRAINED = "BlazePose full (pretrained)"
STUDENT = "Stacked Hourglass (our student)"
STUDENT_WEIGHTS = Path(__file__).resolve().parents[2] / "assets" / "weights" / "pose_hourglass.pt"
HOVER_HINT = "hover a joint"


@dataclass(frozen=True)
class PeopleChoice:
    """What the worker reads for each frame (replaced on the GUI thread): how many people, and whose heatmaps."""

    max_people: int = 4
    select_at: tuple[float, float] | None = None  # frame px inside the chosen person's box (None: most prominent)


@dataclass(frozen=True)
class PoseView:
    """What the GUI shows from one PoseResult (`result`): a colourised heatmap image for the crop, names."""

    heat: QImage | None
    names: tuple[str, ...]
    result: object = None


class PoseTab(LiveTab):
    trained_export = "student.pt"
    asset_names = ("pose_landmark_full.tflite", "yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")

    def __init__(self, info, options: dict[str, Any] | None = None, parent=None) -> None:
        super().__init__(info, options, parent)
        self.joint: int = -1  # -1: all joints
        self.model_combo = add_labeled(self.controls, "Model", QComboBox())
        self.model_combo.addItem(PRETRAINED)
        if STUDENT_WEIGHTS.is_file():
            self.model_combo.addItem(STUDENT)
        self.model_combo.addItem("Open .tflite or .pt ...")
        self.model_combo.activated.connect(self._on_model)
        self.fill_trained_runs(self.model_combo)
        self.view.installEventFilter(self)  # a click on a person chooses them (eventFilter)
        self.device_combo = add_labeled(self.controls, "Device", DeviceList(
            self.options.get("device") or "cpu",
            "OpenVINO / onnxruntime run the Hourglass student only, after its heatmaps\n"
            "match torch's on held-out frames; BlazePose keeps LiteRT"))
        self.device_combo.chosen.connect(self.switch_device)
        self.alpha = add_labeled(self.controls, "Heatmap opacity", QSlider(Qt.Orientation.Horizontal))
        self.alpha.setRange(0, 100)
        self.alpha.setValue(60)
        self.skeleton_box = QCheckBox("Skeleton (bones and joint dots)")
        self.skeleton_box.setChecked(True)
        self.skeleton_box.toggled.connect(self.view.update)
        self.freeze_box = QCheckBox("Freeze this frame")
        self.freeze_box.setToolTip("Keep re-running the model on the frame on screen")
        self.freeze_box.toggled.connect(self._on_freeze)
        for w in (self.skeleton_box, self.freeze_box):
            self.controls.addWidget(w)
        self.people_spin = add_labeled(self.controls, "People (at most)", QSpinBox())
        self.people_spin.setRange(1, 12)
        self.people_spin.setValue(4)
        self.people_spin.setToolTip("Pose runs on each detected person, up to this many (each costs one model "
                                    "run); click a person to see their heatmaps")
        self.people_spin.valueChanged.connect(self._on_people)
        self.people = PeopleChoice(self.people_spin.value())
        self.grid = HeatmapGrid(self, columns=4)
        self.grid.selected.connect(self._on_joint)
        self.controls.addWidget(QLabel("Heatmaps (click one to show it alone)"))
        self.grid_scroll = self.grid.scrolling(min_height=200)
        self.controls.addWidget(self.grid_scroll, 1)
        self.hover = QLabel(HOVER_HINT)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.controls.addWidget(self.hover)
        self.controls.addWidget(self.status)
        self.view.hovered.connect(self._on_hover)
        self.training_opened.connect(self._learn_from_current_source)
        self._shown: PoseView = PoseView(None, ())
        self._before_freeze = None
        self._hover_pos: QPointF | None = None  # last hover position, image pixels
        self._stale: object = None  # the last result of the previous model: hover ignores it

    # engine hooks (worker thread) ------------------------------------------------
    def create_engine(self, weights, device: str):
        """The pose engine; its person detector runs on the fastest CPU backend unless a device was chosen."""
        from engines.pose.engine import PoseEngine

        engine = PoseEngine()
        engine.load(weights, device, detector_device=self.options.get("device") or "auto")
        return engine

    def run_engine(self, engine, frame: Frame):
        people = self.people  # one read of the GUI thread's frozen choice
        return engine.infer(frame.image, max_people=people.max_people, select_at=people.select_at)

    # GUI ---------------------------------------------------------------------------
    def names(self, result) -> tuple[str, ...]:
        """Joint labels true to the person's body, also when the mirror toggle flipped the frame."""
        from engines.pose.joints import display_name

        mirrored = self.source_bar.mirror
        return tuple(display_name(n, mirrored) for n in result.joint_names)

    def on_result(self, live: LiveResult) -> None:
        r = live.result
        if not r.found:
            self._shown = PoseView(None, ())
            self.status.setText(f"No person: {r.message or 'no person found'} ({r.elapsed_ms:.0f} ms)")
            return
        names = self.names(r)
        body = [i for i, n in enumerate(r.joint_names) if not n.startswith("auxiliary")]
        heat = r.heatmaps[self.joint] if self.joint >= 0 else r.heatmaps[body].max(0)
        self._shown = PoseView(bgra_qimage(colorize(heat)), names, r)
        self.grid.set_heatmaps(r.heatmaps[body], [names[i] for i in body], r.confidence[body])
        count = len(r.people)
        self.status.setText(f"{count} {'person' if count == 1 else 'people'}; {r.model} on {r.backend}/"
                            f"{live.device}: {r.elapsed_ms:.0f} ms per frame, presence {r.presence:.2f}")
        if self.people.select_at is not None:  # the choice follows its person as they move
            x0, y0, x1, y1 = (float(v) for v in r.person_box)
            self.people = PeopleChoice(self.people.max_people, ((x0 + x1) / 2, (y0 + y1) / 2))
        if self._hover_pos is not None:
            self._on_hover(self._hover_pos)  # the hovered joint's values follow the live result

    def paint_result(self, p: QPainter, to_view: QTransform, r) -> None:
        if not r.found:
            p.setPen(QColor(255, 200, 120))
            p.drawText(QPointF(12, 60), "no person")
            return
        x0, y0, x1, y1 = (float(v) for v in r.crop_box)
        # the heat image belongs to one result (the compare view also paints model B's, which has none here)
        if self._shown.heat is not None and self._shown.result is r and self.alpha.value() > 0:
            p.setOpacity(self.alpha.value() / 100)
            p.drawImage(to_view.mapRect(QRectF(x0, y0, x1 - x0, y1 - y0)), self._shown.heat)
            p.setOpacity(1.0)
        if not self.skeleton_box.isChecked():  # unticked hides the whole skeleton: bones and dots
            return
        for other in r.others:  # everyone else: bones only, in another colour
            self._paint_bones(p, to_view, other, QColor(255, 210, 90))
        pts = self._paint_bones(p, to_view, r, QColor(120, 255, 170))
        for i, pt in enumerate(pts):
            if r.joint_names[i].startswith("auxiliary") or r.confidence[i] < 0.3:
                continue
            selected = i == self.joint
            p.setPen(QPen(QColor(255, 255, 255), 1))
            p.setBrush(QColor(80, 220, 255) if selected else QColor(255, 90, 90))
            p.drawEllipse(pt, 6 if selected else 4, 6 if selected else 4)

    @staticmethod
    def _paint_bones(p: QPainter, to_view: QTransform, r, colour: QColor) -> list[QPointF]:
        pts = [to_view.map(QPointF(float(x), float(y))) for x, y in r.keypoints]
        p.setPen(QPen(colour, 3))
        for a, b in r.edges:
            if min(r.confidence[a], r.confidence[b]) > 0.3:
                p.drawLine(pts[a], pts[b])
        return pts

    def model_choices(self) -> list[tuple[str, Any]]:
        """For the compare view: the shipped student has no item data; its weights are the shipped file."""
        combo = self.model_combo
        items = [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]
        return [(text, STUDENT_WEIGHTS if text == STUDENT else (data or None)) for text, data in items
                if not text.startswith("Open") and (text in (PRETRAINED, STUDENT) or data)]

    def _on_people(self, count: int) -> None:
        self.people = PeopleChoice(count, self.people.select_at)
        self.rerun()

    def eventFilter(self, watched, event) -> bool:  # noqa: N802 (Qt): a click on a person selects them
        from PySide6.QtCore import QEvent

        if watched is self.view and event.type() == QEvent.Type.MouseButtonPress and self.latest is not None:
            inv, ok = self.view.image_to_view().inverted()
            if ok and event.button() == Qt.MouseButton.LeftButton:
                self.select_person_at(inv.map(event.position()))
        return super().eventFilter(watched, event)

    def select_person_at(self, point: QPointF) -> None:
        """Show the heatmaps of the person at `point` (frame px) from the next result on."""
        self.people = PeopleChoice(self.people.max_people, (point.x(), point.y()))
        self.rerun()

    def _on_hover(self, pos: QPointF) -> None:
        self._hover_pos = QPointF(pos)
        live = self.latest
        if live is None or live is self._stale or not live.result.found:
            self.hover.setText(HOVER_HINT)
            return
        r = live.result
        d = np.hypot(r.keypoints[:, 0] - pos.x(), r.keypoints[:, 1] - pos.y())
        i = int(np.argmin(d))
        scale = max(1.0, (r.crop_box[2] - r.crop_box[0]) / 40)
        if d[i] < scale:
            self.hover.setText(f"{self.names(r)[i]}: confidence {r.confidence[i]:.2f}")

    def _forget_model(self) -> None:
        """A model switch: hover text, joint choice and heatmap grid belonged to the old model."""
        self._stale, self._hover_pos = self.latest, None
        self.hover.setText(HOVER_HINT)
        self.joint = self.grid.current = -1
        self.grid.set_heatmaps(np.zeros((0, 1, 1), np.float32), [], np.zeros(0))

    def engine_facts(self, engine) -> dict[str, Any]:
        return device_facts(engine)

    def on_engine_loaded(self, facts: dict[str, Any]) -> None:
        self.device_combo.apply_facts(facts)
        self._forget_model()

    def on_device_state(self, state) -> None:
        self.device_combo.show_state(state)

    def _on_joint(self, index: int) -> None:
        live = self.latest
        if live is None or not live.result.found:
            self.joint = -1
            return
        body = [i for i, n in enumerate(live.result.joint_names) if not n.startswith("auxiliary")]
        self.joint = body[index] if index >= 0 else -1
        self.on_result(live)
        self.view.update()

    def _on_freeze(self, on: bool) -> None:
        if on and self.latest is not None:
            self._before_freeze = self.choice
            self.set_source(_FrozenChoice(self.latest.frame.image))
        elif not on and self._before_freeze is not None:
            self.set_source(self._before_freeze)
            self._before_freeze = None

    def _learn_from_current_source(self, panel) -> None:
        """The student learns from what the tab is watching when that is a video file."""
        from engines.frames import VIDEO_SUFFIXES

        path = getattr(self.choice, "path", None)
        if path is not None and Path(path).suffix.lower() in VIDEO_SUFFIXES:
            panel.set_field("video", str(path))

    def _on_model(self) -> None:
        text = self.model_combo.currentText()
        if text == PRETRAINED:
            path = None
        elif self.model_combo.currentData():
            path = Path(self.model_combo.currentData())
        elif text == STUDENT:
            path = STUDENT_WEIGHTS
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, "Pose model", "", "Pose models (*.tflite *.pt)")
            if not chosen:
                return
            path = Path(chosen)
        self._forget_model()
        self.switch_weights(path, f"Loaded {path.name if path else PRETRAINED}.")


@dataclass(frozen=True)
class _FrozenChoice:
    """A source choice that re-sends one frame (freeze)."""

    image: np.ndarray
    kind: str = "frozen"
    camera: object = None

    def build(self, mirror: bool):
        return FrozenSource(self.image)

    def describe(self) -> str:
        return "frozen frame"

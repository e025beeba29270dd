"""Detection tab (YOLO, YOLO9000): live boxes with class names and scores over any source."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
from PySide6.QtCore import QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen, QTransform
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGroupBox,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSlider,
    QVBoxLayout,
)

from desktop.tabs.base import ProgressRelay, add_labeled
from desktop.tabs.live import LiveTab
from desktop.widgets.device_list import DeviceList, device_facts, device_label
from engines.detection.decode import Detections, class_color, draw_detections
from engines.frames import VIDEO_SUFFIXES, Frame, file_filter
from engines.pipeline import DeviceState, LiveResult

DEFAULT_MODEL = "YOLOv3-tiny (COCO, pretrained)"


@dataclass(frozen=True)
class DetectionSettings:
    """What the worker applies to each frame: thresholds in [0, 1], class-name filter (None = all)."""

    conf: float = 0.25
    nms: float = 0.45
    classes: frozenset[str] | None = None


def _slider(value: float) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(1, 99)
    s.setValue(round(value * 100))
    return s


class DetectionTab(LiveTab):
    asset_names = ("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")
    default_device = "auto"
    trained_export = "yolov2.weights"

    def __init__(self, info, options: dict[str, Any] | None = None, parent=None) -> None:
        super().__init__(info, options, parent)
        self.settings = DetectionSettings()
        self.names: list[str] = []
        self.device_state = DeviceState("-", {})
        self.model_combo = add_labeled(self.controls, "Model", QComboBox())
        self.model_combo.addItem(DEFAULT_MODEL)
        from engines.detection.engine import DarknetWeights  # numpy/cv2 only at import

        if (ours := DarknetWeights.shipped_yolov2()).weights.is_file():
            self.model_combo.addItem("YOLOv2 trained here (street: person, car)", ours)
        self.model_combo.addItem("Open Darknet cfg + weights ...")
        self.model_combo.activated.connect(self._on_model)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.fill_trained_runs(self.model_combo)
        self.device_combo = add_labeled(self.controls, "Device", DeviceList(
            self.options.get("device") or "auto",
            "Torch on cpu/cuda, or a CPU backend (OpenVINO, onnxruntime) at a precision;\n"
            "bf16 and int8 run only after they match torch's boxes on held-out frames"))
        self.device_combo.chosen.connect(self._on_device)
        self.conf_slider = add_labeled(self.controls, "Confidence", _slider(self.settings.conf))
        self.nms_slider = add_labeled(self.controls, "NMS IoU", _slider(self.settings.nms))
        self.conf_label, self.nms_label = QLabel(), QLabel()
        self.controls.addWidget(self.conf_label)
        self.controls.addWidget(self.nms_label)
        self.class_edit = add_labeled(self.controls, "Only these classes (comma separated)", QLineEdit())
        self.class_edit.setPlaceholderText("all classes, e.g. person, car")
        self._class_error = False  # the banner shows our unknown-class message
        self._class_timer = QTimer(self)  # applies the filter as the user types, once they pause
        self._class_timer.setSingleShot(True)
        self._class_timer.setInterval(300)
        self._class_timer.timeout.connect(self._on_classes)
        self.class_edit.textChanged.connect(self._class_timer.start)
        self.class_edit.editingFinished.connect(self._on_classes)
        self.snapshot_button = QPushButton("Snapshot to PNG ...")
        self.snapshot_button.clicked.connect(self._ask_snapshot)
        self.controls.addWidget(self.snapshot_button)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.controls.addWidget(self.summary)
        self.training_opened.connect(self._add_dataset_builder)
        self.conf_slider.valueChanged.connect(self._on_thresholds)
        self.nms_slider.valueChanged.connect(self._on_thresholds)
        self._on_thresholds()

    # engine hooks (worker thread) ------------------------------------------------
    def engine_facts(self, engine) -> dict:
        notice, engine.notice = engine.notice, ""
        return {"names": list(engine.names), **device_facts(engine), "notice": notice}

    def on_engine_loaded(self, facts: dict) -> None:
        self.names = facts["names"]
        self.device_combo.apply_facts(facts)
        self.device_state = self.device_combo.state
        if facts.get("notice"):
            self.show_notice(facts["notice"], error=True)

    def on_device_state(self, state: DeviceState) -> None:
        self.device_state = state
        self.device_combo.show_state(state)

    def run_engine(self, engine, frame: Frame) -> Detections:
        s = self.settings
        ids = None if s.classes is None else frozenset(i for i, n in enumerate(engine.names) if n in s.classes)
        return engine.infer(frame.image, s.conf, s.nms, ids)

    # drawing (GUI thread) ------------------------------------------------------
    def paint_result(self, p: QPainter, to_view: QTransform, det: Detections) -> None:
        font = QFont()
        font.setPointSize(9)
        font.setBold(True)
        p.setFont(font)
        fm = p.fontMetrics()
        for (x1, y1, x2, y2), label, cid, score in zip(det.boxes, det.labels, det.class_ids, det.scores):
            b, g, r = class_color(int(cid))
            color = QColor(r, g, b)
            rect = to_view.mapRect(QRectF(float(x1), float(y1), float(x2 - x1), float(y2 - y1)))
            p.setPen(QPen(color, 2))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(rect)
            text = f"{label} {score:.2f}"
            tag = QRectF(rect.left(), rect.top() - fm.height() - 2, fm.horizontalAdvance(text) + 8, fm.height() + 2)
            p.fillRect(tag, color)
            p.setPen(QColor(0, 0, 0))
            p.drawText(tag, Qt.AlignmentFlag.AlignCenter, text)

    def on_result(self, live: LiveResult) -> None:
        det: Detections = live.result
        counts: dict[str, int] = {}
        for label in det.labels:
            counts[label] = counts.get(label, 0) + 1
        parts = ", ".join(f"{k} x{v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
        self.summary.setText(f"{len(det)} detections{': ' + parts if parts else ''}\n"
                             f"{det.infer_ms:.0f} ms per frame on {device_label(live.device)}")

    # controls ------------------------------------------------------------------
    def _on_thresholds(self) -> None:
        self.settings = DetectionSettings(self.conf_slider.value() / 100, self.nms_slider.value() / 100,
                                          self.settings.classes)
        self.conf_label.setText(f"confidence > {self.settings.conf:.2f}")
        self.nms_label.setText(f"NMS IoU {self.settings.nms:.2f}")
        self.rerun()

    def _on_classes(self) -> None:
        self._class_timer.stop()
        wanted = frozenset(n.strip() for n in self.class_edit.text().split(",") if n.strip())
        unknown = sorted(n for n in wanted if self.names and n not in self.names)
        if unknown:
            self.show_notice(f"Unknown class name(s): {', '.join(unknown)}. Known: {', '.join(self.names[:12])} ...",
                             error=True)
        elif self._class_error:
            self.show_notice("")  # the names are fine now (or the field is empty): the error goes
        self._class_error = bool(unknown)
        if (wanted or None) != self.settings.classes:
            self.settings = DetectionSettings(self.settings.conf, self.settings.nms, wanted or None)
            self.rerun()

    def _on_device(self, device: str) -> None:
        if str(device).endswith("int8") and device not in self.device_state.refused:
            self.show_notice(f"Calibrating {device_label(device)} on frames of this source or the demo clip and "
                             "checking it against torch (up to a minute) ...")
        self.switch_device(device)

    def _on_model(self) -> None:
        if self.model_combo.currentText() == DEFAULT_MODEL:
            self.load_weights(None)
            return
        if self.model_combo.currentData() is not None:  # a model trained in this session
            self.load_weights(self.model_combo.currentData())
            return
        cfg, _ = QFileDialog.getOpenFileName(self, "Darknet .cfg", "", "Darknet cfg (*.cfg);;All files (*)")
        weights, _ = (QFileDialog.getOpenFileName(self, "Darknet .weights", str(Path(cfg).parent),
                                                  "Darknet weights (*.weights);;All files (*)") if cfg else ("", ""))
        if cfg and weights:
            from engines.detection.engine import DarknetWeights

            # names None: the engine looks beside the files (<stem>.names, obj.names, coco.names ...)
            self.load_weights(DarknetWeights(Path(cfg), Path(weights)))

    def weights_of_run(self, run_dir: Path):
        from engines.detection.engine import DarknetWeights

        return DarknetWeights(run_dir / "yolov2.cfg", run_dir / "yolov2.weights", run_dir / "yolov2.names")

    def load_weights(self, weights) -> None:
        """Switch models while running; a bad file keeps the current model and says why."""
        if self._engine is None:
            self.names = []  # the next engine reads them from the new weights
        self.switch_weights(weights, f"Loaded {weights.label if weights else DEFAULT_MODEL} on {{device}}.")

    def _add_dataset_builder(self, panel) -> None:
        self.dataset_builder = DatasetBuilder(self)
        self.dataset_builder.built.connect(lambda out: panel.set_field("data", out))
        panel.add_tool(self.dataset_builder)

    def snapshot(self, path: Path, live: LiveResult | None = None) -> Path:
        """Write `live` (default: the frame on screen) with its boxes drawn, at the source's resolution."""
        live = live or self.latest
        if live is None:
            raise RuntimeError("nothing on screen yet")
        if not cv2.imwrite(str(path), draw_detections(live.frame.image, live.result)):
            raise OSError(f"could not write {path}")
        return path

    def _ask_snapshot(self) -> None:
        live = self.latest  # the frame shown at the click, not the one shown when the dialog closes
        if live is None:
            self.show_notice("Nothing on screen yet to snapshot.", error=True)
            return
        path, _ = QFileDialog.getSaveFileName(self, "Save snapshot", "detections.png", "PNG (*.png)")
        if path:
            out = Path(path) if Path(path).suffix else Path(path).with_suffix(".png")
            try:
                self.show_notice(f"Saved {self.snapshot(out, live)}")
            except (OSError, cv2.error) as exc:
                self.show_notice(str(exc), error=True)


class DatasetBuilder(QGroupBox):
    """Turns a video or image folder into a YOLO-format set labelled by the pretrained YOLOv3-tiny (teacher).

    The held-out split is a separate time segment (or separate videos), never neighbouring frames.
    """

    built = Signal(str)  # the output folder

    def __init__(self, tab: LiveTab) -> None:
        super().__init__("Labelled set from your own footage")
        self.tab = tab
        self.classes = QLineEdit("person, car")
        self.every = QLineEdit("2")
        self.button = QPushButton("Build from a video or folder ...")
        self.button.clicked.connect(self._ask)
        self.bar = QProgressBar()
        self.label = QLabel("The pretrained detector labels the frames you choose.")
        self.label.setWordWrap(True)
        box = QVBoxLayout(self)
        for w in (QLabel("classes (COCO names)"), self.classes, QLabel("use every N-th frame"), self.every,
                  self.button, self.bar, self.label):
            box.addWidget(w)

    def _ask(self) -> None:
        src, _ = QFileDialog.getOpenFileName(self, "Video to label", "", file_filter("Videos", VIDEO_SUFFIXES))
        if src:
            out = QFileDialog.getExistingDirectory(self, "Where to write the labelled set")
            if out:
                self.build(Path(src), Path(out) / f"{Path(src).stem}-labels")

    def build(self, source: Path, out: Path) -> None:
        """Label `source` into `out` on a worker; emits `built(out)` when done."""
        classes = [c.strip() for c in self.classes.text().split(",") if c.strip()]
        every = max(1, int(self.every.text() or 1))
        relay = ProgressRelay(self)
        relay.moved.connect(self._on_progress)

        def generate(stop):
            from engines.detection.pseudo_labels import build_pseudo_labels

            yield build_pseudo_labels(source, classes, out, every=every,
                                      progress=lambda done, total: relay.moved.emit("", done, total))

        self.button.setEnabled(False)
        self._out = out
        self.tab.run_task("pseudo-labels", generate, self._on_done, self._on_failed,
                          failure="Could not build the labelled set")

    def _on_progress(self, _label: str, done: int, total: int) -> None:
        self.bar.setMaximum(max(1, total))
        self.bar.setValue(done)

    def _on_done(self, summary: object) -> None:
        self.button.setEnabled(True)
        counts = summary.get("counts", {}) if isinstance(summary, dict) else {}
        self.label.setText(f"Wrote {counts.get('train', 0)} training and {counts.get('val', 0)} held-out frames "
                           f"to {self._out}")
        self.built.emit(str(self._out))

    def _on_failed(self, message: str) -> None:
        self.button.setEnabled(True)
        self.label.setText(f"Could not build the set: {message}")

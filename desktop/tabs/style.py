"""Style tab: the live picture painted in one of 26 styles, a blend of two, or the style of any image.

The 26-style network (conditional instance norm, Dumoulin et al.) and Ghiasi et al.'s arbitrary-style pair
run on the worker (engines.style); this file only holds widgets and frozen settings snapshots. The
training panel runs Gatys et al.'s iterative method; a finished run's image can be used as a style.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QLabel,
    QPushButton,
    QSlider,
    QSpinBox,
)

from desktop.style_gallery import GALLERY, NUM_STYLES, GalleryRefresher, StyleGallery
from desktop.tabs.base import add_labeled
from desktop.tabs.live import LiveTab
from engines.frames import IMAGE_SUFFIXES, Frame, file_filter
from engines.pipeline import LiveNotice, LiveResult

BUILT_IN = "26 built-in styles"
OPEN = "Use an image as the style ..."
VIDEO_MODES = {"off": "Frame by frame", "measure": "Frame by frame, measure flicker",
               "on": "Video mode: blend the warped previous output (Ruder et al.)"}
ABOUT = ("Training runs Gatys et al.'s iterative method: the picture itself is optimised against content and "
         "Gram-matrix style losses; style loss 'mrf' uses Li & Wand's patch nearest-neighbour loss instead, and two "
         "doodles painted with the same colours (content map path, style map path) make it Neural Doodle. Its "
         "features come from MobileNetV2 (the arbitrary-style predictor, ImageNet-trained): no VGG weights exist "
         "offline. A finished run's image can be used as a style.")


@dataclass(frozen=True)
class StyleSettings:
    """What the worker applies to each frame (a frozen snapshot, replaced whole on the GUI thread).

    style, second: style indices 0..25; blend: weight of `second` in [0, 1]; strength in [0, 1];
    vector: (100,) float32 style vector of an image (arbitrary mode) or None; vector_name: where it came from."""

    style: int = 0
    second: int = 1
    blend: float = 0.0
    strength: float = 1.0
    keep_colors: bool = False
    vector: np.ndarray | None = None
    vector_name: str = ""
    video: str = "off"  # one of VIDEO_MODES
    fixed_stats: bool = False
    contrast: float = 1.0

    def weights(self) -> np.ndarray:
        """float32 (26,) summing to 1."""
        w = np.zeros(NUM_STYLES, np.float32)
        w[self.style] += 1.0 - self.blend
        w[self.second] += self.blend
        return w


def _backend_devices() -> list[str]:
    """CPU backends installed here that run a float ONNX file as it is (int8 needs a calibrated export)."""
    from engines.backends.choice import float_backend_devices

    return float_backend_devices()


def _slider(lo: int, hi: int, value: int) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    s.setValue(value)
    return s


class StyleTab(LiveTab):
    trained_export = "gatys.png"
    default_device = "auto"  # a GPU, else the fastest CPU runtime that passes the output check (OpenVINO bf16 here)
    asset_names = ("multistyle26.onnx", "arbitrary_predict.onnx", "arbitrary_transform.onnx")

    def __init__(self, info, options: dict[str, Any] | None = None, parent=None) -> None:
        super().__init__(info, options, parent)
        self.settings = StyleSettings()
        self._blender: Any = None  # engines.style.video.TemporalBlender, touched on the worker thread only
        self.model_combo = add_labeled(self.controls, "Style source", QComboBox())
        self.model_combo.addItem(BUILT_IN, "")
        self.model_combo.addItem(OPEN, OPEN)
        self.model_combo.activated.connect(self._on_source_choice)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.fill_trained_runs(self.model_combo)
        self.runtime_combo = add_labeled(self.controls, "Runtime (26-style network)", QComboBox())
        self.runtime_combo.addItem("torch (our ONNX import)", "cpu")
        for device in _backend_devices():
            self.runtime_combo.addItem(device, device)
        self.runtime_combo.setToolTip("Which runtime runs the 26-style network; a backend that disagrees with our "
                                      "import past a tolerance is refused")
        self.runtime_combo.activated.connect(lambda _i: self.switch_device(self.runtime_combo.currentData()))
        self.gallery = StyleGallery()
        self.gallery.image_dropped.connect(self.use_style_image)
        self.gallery.itemClicked.connect(lambda item: self.choose_style(self.gallery.row(item)))
        self.gallery_refresher = GalleryRefresher(self.gallery, self.commands.submit, self.isVisible)
        add_labeled(self.controls, "Gallery (click, or drop an image)", self.gallery)
        self.controls.setStretchFactor(self.gallery, 1)
        self.refresh_gallery_button = QPushButton("Render the gallery on this frame")
        self.refresh_gallery_button.clicked.connect(self.render_gallery)
        self.controls.addWidget(self.refresh_gallery_button)
        self.second = add_labeled(self.controls, "Blend with style", QSpinBox())
        self.second.setRange(0, NUM_STYLES - 1)
        self.second.setValue(1)
        self.second.valueChanged.connect(lambda v: self._set(second=int(v)))
        self.blend = add_labeled(self.controls, "Blend (0: first style, 100: second)", _slider(0, 100, 0))
        self.blend.valueChanged.connect(lambda v: self._set(blend=v / 100.0))
        self.strength = add_labeled(self.controls, "Strength (0: the photo, 100: full style)", _slider(0, 100, 100))
        self.strength.valueChanged.connect(lambda v: self._set(strength=v / 100.0))
        self.keep_box = QCheckBox("Keep the original colours")
        self.keep_box.setToolTip("Stylised luminance with the frame's own colours (YCrCb)")
        self.keep_box.toggled.connect(lambda on: self._set(keep_colors=on))
        self.controls.addWidget(self.keep_box)
        self.video_combo = add_labeled(self.controls, "Video", QComboBox())
        for key, text in VIDEO_MODES.items():
            self.video_combo.addItem(text, key)
        self.video_combo.setToolTip("Optical flow (OpenCV DIS) warps the previous stylised frame onto this one; "
                                    "where the flow is trusted the two are blended. Flicker: mean change after "
                                    "warping (0..255)")
        self.video_combo.activated.connect(lambda _i: self._set(video=self.video_combo.currentData()))
        self.fixed_box = QCheckBox("Fixed normalisation statistics")
        self.fixed_box.setToolTip("Instance norm uses each frame's own mean and variance (Ulyanov et al.); ticked, "
                                  "the statistics of the next frame are kept and reused. Lower the contrast to see "
                                  "the difference")
        self.fixed_box.toggled.connect(self._on_fixed_stats)
        self.controls.addWidget(self.fixed_box)
        self.contrast = add_labeled(self.controls, "Input contrast (%)", _slider(10, 100, 100))
        self.contrast.valueChanged.connect(lambda v: self._set(contrast=v / 100.0))
        self.snapshot_button = QPushButton("Snapshot (full resolution) ...")
        self.snapshot_button.clicked.connect(self._ask_snapshot)
        self.controls.addWidget(self.snapshot_button)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.controls.addWidget(self.status)
        self._form_follows: dict[str, str] = {}  # panel field -> the value this tab last put there
        self.training_opened.connect(lambda _panel: self.fill_form_from_view())
        about = QLabel(ABOUT)
        about.setWordWrap(True)
        about.setStyleSheet("color: gray;")
        self.controls.addWidget(about)

    # the compare view: model B paints the same frames in another style -----------
    def model_choices(self) -> list[tuple[str, Any]]:
        """Each built-in style, and the image of each finished Gatys run, as a StyleChoice."""
        from engines.style.compare_side import StyleChoice

        out = [(f"style {i}", StyleChoice(index=i)) for i in range(NUM_STYLES)]
        for i in range(self.model_combo.count()):
            data = self.model_combo.itemData(i)
            if data not in (None, "", OPEN):
                out.append((f"the style of {self.model_combo.itemText(i)}", StyleChoice(image=Path(data))))
        return out

    def compare_label(self) -> str:
        s = self.settings
        if s.vector is not None:
            return f"the style of {s.vector_name}"
        return f"style {s.style}" + (f" + {s.blend:.0%} of style {s.second}" if s.blend > 0 else "")

    def create_engine(self, weights, device: str):
        from engines.style.compare_side import StyleChoice, StyleSide

        if isinstance(weights, StyleChoice):  # model B of the compare view (worker thread)
            return StyleSide(super().create_engine(None, device), weights)
        return super().create_engine(weights, device)

    # engine hooks (worker thread) ------------------------------------------------
    def run_engine(self, engine, frame: Frame):
        s = self.settings  # one read: the GUI thread replaces it whole
        image = frame.image
        if s.contrast != 1.0:
            mean = float(image.mean())
            image = cv2.convertScaleAbs(image, alpha=s.contrast, beta=mean * (1 - s.contrast))
        r = engine.infer(image, s.weights(), s.strength, s.keep_colors, s.vector, fixed_stats=s.fixed_stats)
        if getattr(engine, "compare_side", False):
            return r  # the video blender follows model A's frames only
        if s.video == "off":
            self._blender = None
            return r
        from engines.base import frozen_array
        from engines.style.video import TemporalBlender

        self._blender = self._blender or TemporalBlender()  # worker thread only
        t = self._blender(frame.image, r.stylized, blend=s.video == "on")
        return replace(r, stylized=frozen_array(t.out), flicker=t.flicker, ms=r.ms + t.ms)

    # GUI ---------------------------------------------------------------------------
    def display_image(self, live: LiveResult) -> np.ndarray:
        return live.result.stylized

    def on_result(self, live: LiveResult) -> None:
        r, s = live.result, self.settings
        what = (f"the style of {s.vector_name}" if r.mode == "arbitrary" else
                f"style {s.style}" + (f" + {s.blend:.0%} of style {s.second}" if s.blend > 0 else ""))
        if s.fixed_stats and r.mode == "multistyle":
            what += ", fixed normalisation statistics"
        flicker = f"\nflicker {r.flicker:.2f} ({VIDEO_MODES[s.video].lower()})" if r.flicker is not None else ""
        self.status.setText(f"{what}\n{r.ms:.0f} ms per frame on {live.device}, network at "
                            f"{r.net_size[1]}x{r.net_size[0]}{flicker}")
        index = self.runtime_combo.findData(live.device)  # "auto" chose a runtime: the list says which
        if index >= 0 and index != self.runtime_combo.currentIndex():
            self.runtime_combo.setCurrentIndex(index)
        self.gallery_refresher.on_result(self._engine, live)

    def on_applied(self, applied: Any) -> None:
        if isinstance(applied, tuple) and applied and applied[0] == GALLERY:
            self.gallery_refresher.on_chunk(applied)
        elif isinstance(applied, tuple) and applied and applied[0] == "vector":
            self._set(vector=applied[1], vector_name=applied[2])

    def render_gallery(self) -> None:
        """Render the 26 styles on the frame on screen (worker thread, in chunks) and put them in the gallery."""
        self.gallery_refresher.render_now(self._engine, self.latest)

    def _start_source(self) -> None:
        # the old source has stopped (its thread joined): every frame captured from now on is the new source's,
        # and the gallery paints the first one (a still photo sends only one, perhaps before set_source returns)
        self.gallery_refresher.source_changed()
        super()._start_source()

    def fill_form_from_view(self, style: bool = False) -> None:
        """The iterative mode's form follows the tab: its content image is the photo on view (a still image
        source) and, once the user picks one in the gallery (style=True), its style index; a field is only
        replaced while it is empty or still holds what this tab put there (a path the user typed stays)."""
        panel = getattr(self, "training_panel", None)
        if panel is None or panel.running:
            return
        path = getattr(self.choice, "path", None)
        photo = str(path) if path is not None and Path(path).suffix.lower() in IMAGE_SUFFIXES else ""
        field = panel.fields.get("content_image")
        if field is not None and field.text() in ("", self._form_follows.get("content_image", "")):
            panel.set_field("content_image", photo)
            self._form_follows["content_image"] = photo
        if style and "style_index" in panel.fields:
            panel.set_field("style_index", int(self.settings.style))

    def set_source(self, choice) -> None:
        super().set_source(choice)
        self.fill_form_from_view()

    def deactivate(self) -> None:
        super().deactivate()
        self.gallery_refresher.interrupted()

    def choose_style(self, index: int) -> None:
        """Use built-in style `index` (leaves arbitrary mode)."""
        self.gallery.setCurrentRow(index)
        if self.model_combo.currentData() != "":
            self.model_combo.setCurrentIndex(0)
        self._set(style=int(index), vector=None, vector_name="")
        self.fill_form_from_view(style=True)

    def use_style_image(self, path: Path) -> None:
        """Arbitrary mode: the style vector of the image at `path` (computed on the worker)."""
        from engines.base import EngineError
        from engines.images import read_image

        try:
            image = read_image(path)
        except EngineError as exc:
            self.show_notice(f"{exc} - kept the current style.", error=True)
            return
        engine = self._engine

        def predict() -> LiveNotice:
            if engine is None:
                return LiveNotice("Start the tab first.", error=True)
            return LiveNotice(f"Painting in the style of {path.name}.",
                              applied=("vector", engine.style_vector(image), path.name))
        self.commands.submit(predict)

    def _on_source_choice(self) -> None:
        data = self.model_combo.currentData()
        if data == OPEN:
            path, _ = QFileDialog.getOpenFileName(self, "An image to take the style from", "",
                                                  file_filter("Images", IMAGE_SUFFIXES))
            if path:
                self.use_style_image(Path(path))
            return
        if data:
            self.use_style_image(Path(data))  # a Gatys run's image
        else:
            self._set(vector=None, vector_name="")

    def _on_fixed_stats(self, on: bool) -> None:
        engine = self._engine
        if engine is not None:
            self.commands.submit(engine.freeze_statistics)  # record afresh from the next frame
        self._set(fixed_stats=on)

    def _set(self, **changes) -> None:
        """Replace the worker's settings snapshot (GUI thread)."""
        self.settings = replace(self.settings, **changes)
        self.rerun()  # a still photo is sent once: show it again with the new settings

    def save_snapshot(self, path: Path) -> None:
        """Stylise the frame on screen at full resolution (short side capped by the config) and write `path`."""
        engine, latest, s = self._engine, self.latest, self.settings
        if engine is None or latest is None:
            self.show_notice("Nothing on screen yet.", error=True)
            return
        image = latest.frame.image

        def shoot() -> LiveNotice:
            size = min(min(image.shape[:2]), engine.config.snapshot_size)
            r = engine.infer(image, s.weights(), s.strength, s.keep_colors, s.vector, size=size)
            tmp = path.with_name(f".{path.stem}.part{path.suffix or '.png'}")
            if not cv2.imwrite(str(tmp), r.stylized):
                return LiveNotice(f"Could not write {path}", error=True)
            os.replace(tmp, path)  # whole or not at all
            return LiveNotice(f"Saved {path} ({image.shape[1]}x{image.shape[0]}, network at "
                              f"{r.net_size[1]}x{r.net_size[0]}).")
        self.commands.submit(shoot)

    def _ask_snapshot(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Save the stylised frame", "stylised.png", "PNG (*.png)")
        if path:
            self.save_snapshot(Path(path))

"""GAN lab tab: a fixed-z sample grid from a trained generator (or the live training preview), latent
interpolation, InfoGAN code sliders, and the 2-D view for toy sets. Training comes from the shared panel."""

from __future__ import annotations

import queue
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from desktop.tabs.base import PaperTab
from desktop.widgets.frame_view import FrameView
from desktop.workers import Worker
from engines.frames import LatestSlot
from engines.pipeline import LiveNotice, LiveResult

VARIANT_NAMES = {"dcgan": "DCGAN", "gan-ns": "GAN (non-saturating)", "gan-minimax": "GAN (minimax)", "wgan": "WGAN",
                 "wgan-gp": "WGAN-GP", "sngan": "SN-GAN (hinge)", "began": "BEGAN", "infogan": "InfoGAN"}
DATASET_NAMES = {"fashion-mnist": "Fashion-MNIST", "mnist": "MNIST digits", "ring8": "2-D: ring of 8 Gaussians",
                 "grid25": "2-D: 5x5 grid", "moons": "2-D: two moons"}
OPEN = "Open .pt ..."


@dataclass(frozen=True)
class GANRequest:
    """One job for the worker. kind: load | grid. t: 0..1 from seed's z to seed_b's z (slerp per tile).
    category -1 and codes () keep InfoGAN's codes as drawn from the prior."""

    kind: str
    path: str = ""
    seed: int = 0
    seed_b: int = 1
    t: float = 0.0
    category: int = -1
    codes: tuple[float, ...] = ()
    serial: int = 0


@dataclass(frozen=True)
class GANReply:
    request: GANRequest
    image: np.ndarray  # BGR uint8: the 8x8 grid, or the 2-D view
    describe: str
    variant: str
    image_model: bool
    ms: float


def run_request(engine, req: GANRequest) -> GANReply:
    """Load and/or draw on the worker thread (one batched G call for the 64 tiles)."""
    from engines.gan.render import sample_grid

    t0 = time.perf_counter()
    if req.kind == "load":
        engine.load(req.path, "cpu")
    if engine.config.image:
        za, zb = engine.latent(64, req.seed), engine.latent(64, req.seed_b)
        z = engine.between(za, zb, req.t) if req.t > 0 else za
        z = engine.with_codes(z, None if req.category < 0 else req.category, req.codes)
        image = sample_grid(engine.infer(z).pictures)
    else:
        image = engine.toy_view(seed=req.seed)
    return GANReply(req, image, engine.describe(), engine.config.variant, bool(engine.config.image),
                    (time.perf_counter() - t0) * 1000)


def model_label(stem: str) -> str:
    """'dcgan_fashion-mnist' -> 'DCGAN on Fashion-MNIST' (unknown parts kept as they are)."""
    variant, _, dataset = stem.partition("_")
    return f"{VARIANT_NAMES.get(variant, variant)} on {DATASET_NAMES.get(dataset, dataset)}"


class GANTab(PaperTab):
    trained_export = "gan.pt"
    reply_shown = Signal(object)  # GANReply (GUI thread)
    lab_frame_shown = Signal(object)  # engines.gan.toylab.ToyFrame (GUI thread)

    def __init__(self, info, options: dict[str, Any] | None = None, parent=None) -> None:
        super().__init__(info, options, parent)
        from engines.gan.engine import shipped_weights  # numpy-only at import; torch loads on the worker

        self.models = self.options.get("gan_weights") or shipped_weights()
        self.slot = LatestSlot()
        self.worker: Worker | None = None
        self.serial = 0
        self._floor = 0
        self.model_combo = QComboBox()
        for name, path in self.models.items():
            self.model_combo.addItem(f"{model_label(name)} (shipped)", str(path))
        self.model_combo.addItem(OPEN, "")
        self.model_combo.activated.connect(self._on_model)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(30)
        self.seed = QSpinBox()
        self.seed.setRange(0, 1_000_000)
        self.seed.setPrefix("seed ")
        self.seed.valueChanged.connect(self._redraw)
        self.new_button = QPushButton("New samples")
        self.new_button.clicked.connect(lambda: self.seed.setValue(self.seed.value() + 2))
        self.mix = QSlider(Qt.Orientation.Horizontal)
        self.mix.setRange(0, 100)
        self.mix.setToolTip("Walk every tile's z towards the next seed's z (spherical interpolation)")
        self.mix.valueChanged.connect(self._redraw)
        self.mix_label = QLabel()
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Model:"))
        bar.addWidget(self.model_combo)
        bar.addStretch(1)
        bar.addWidget(self.training_button)
        walk = QHBoxLayout()  # a second row: the latent controls
        for w in (self.seed, self.new_button, self.mix_label):
            walk.addWidget(w)
        walk.addWidget(self.mix, 1)
        self.codes = self._code_controls()
        lab = self._lab_controls()
        self.status = QLabel("Loading the generator ...")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.status.setFixedHeight(2 * self.status.fontMetrics().lineSpacing())
        self.view = FrameView(self)
        self.view.set_placeholder("No generator yet: train one (Training) or open a gan.pt")
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.view)
        split.addWidget(self.training_area)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(walk)
        layout.addLayout(lab)
        layout.addWidget(self.codes)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self._update_mix_label()
        self.fill_trained_runs(self.model_combo)
        self.training_opened.connect(self._on_training_opened)

    def _code_controls(self) -> QWidget:
        """InfoGAN's category (-1: drawn per tile) and two continuous codes (-2..2, the paper extrapolates to +-2)."""
        box = QWidget(self)
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 0, 0)
        self.category = QSpinBox()
        self.category.setRange(-1, 99)
        self.category.setValue(-1)
        self.category.setSpecialValueText("category: per tile")
        self.category.setPrefix("category ")
        self.category.valueChanged.connect(self._redraw)
        row.addWidget(QLabel("InfoGAN codes:"))
        row.addWidget(self.category)
        self.code_sliders = []
        for i in range(2):
            s = QSlider(Qt.Orientation.Horizontal)
            s.setRange(-200, 200)
            s.setToolTip(f"continuous code c{i + 1} (x100); U(-1, 1) in training")
            s.valueChanged.connect(self._redraw)
            row.addWidget(QLabel(f"c{i + 1}"))
            row.addWidget(s, 1)
            self.code_sliders.append(s)
        box.hide()
        return box

    def _lab_controls(self) -> QHBoxLayout:
        """GAN Lab on a 2-D set: one D update, one G update, play/pause, reset (a new variant or set resets)."""
        row = QHBoxLayout()
        self.lab_commands: queue.SimpleQueue = queue.SimpleQueue()
        self.lab_worker: Worker | None = None
        self.lab_set, self.lab_variant = QComboBox(), QComboBox()
        for key in ("ring8", "grid25", "moons"):
            self.lab_set.addItem(DATASET_NAMES[key].removeprefix("2-D: "), key)
        for key in ("gan-ns", "gan-minimax", "wgan-gp", "wgan", "sngan"):
            self.lab_variant.addItem(VARIANT_NAMES[key], key)
        self.lab_set.activated.connect(lambda _i: self.lab_reset())
        self.lab_variant.activated.connect(lambda _i: self.lab_reset())
        row.addWidget(QLabel("2-D lab:"))
        row.addWidget(self.lab_set)
        row.addWidget(self.lab_variant)
        self.lab_buttons = {}
        for text, command in (("D step", "d"), ("G step", "g"), ("Play", "play"), ("Reset", "reset")):
            b = QPushButton(text)
            b.clicked.connect(lambda _c=False, cmd=command: self.lab_command(cmd))
            row.addWidget(b)
            self.lab_buttons[command] = b
        row.addStretch(1)
        return row

    def lab_command(self, command: str) -> None:
        """d | g | play (toggles pause) | reset; starts the lab on first use."""
        if command == "reset" or self.lab_worker is None or not self.lab_worker.is_running():
            self.lab_reset()
            if command == "reset":
                return
        if command == "play":
            playing = self.lab_buttons["play"].text() == "Play"
            self.lab_buttons["play"].setText("Pause" if playing else "Play")
            command = "play" if playing else "pause"
        self.lab_commands.put(command)

    def lab_reset(self) -> None:
        """A fresh ToyLab with the chosen variant and set (replaces a running one), paused."""
        self.lab_buttons["play"].setText("Play")
        self.lab_commands = commands = queue.SimpleQueue()
        variant, dataset = self.lab_variant.currentData(), self.lab_set.currentData()

        def work(stop):
            from engines.gan.toylab import ToyLab

            lab, playing = ToyLab(variant, dataset), False
            yield lab.view()
            while not stop():
                try:
                    cmd = commands.get(timeout=0.0 if playing else 0.1)
                except queue.Empty:
                    cmd = None
                if cmd in ("play", "pause"):
                    playing = cmd == "play"
                elif cmd == "d":
                    lab.step_d()
                elif cmd == "g":
                    lab.step_g()
                if playing:
                    lab.train(0.04)
                if cmd is not None or playing:
                    yield lab.view()

        self.lab_worker = self.run_task("lab", work, self._on_lab_frame, failure="The 2-D lab stopped")

    def _on_lab_frame(self, frame) -> None:
        self.view.show_frame(frame.image, time.perf_counter())
        modes = f"modes {frame.modes}" if self.lab_set.currentData() != "moons" else "moons"
        self.view.set_hud([f"2-D lab: {self.lab_variant.currentText()} on {self.lab_set.currentText()}",
                           f"D updates {frame.d_steps}  G updates {frame.g_steps}  ({frame.updates_per_s:.0f}/s)",
                           f"{modes}, {frame.within_3_sigma:.0%} of samples within 3 sigma"])
        losses = "  ".join(f"{k} {v:.3g}" for k, v in frame.losses.items() if not k.startswith("grad"))
        self.status.setText(f"Green: real points; purple: G's samples, arrows: where G's next update moves them; "
                            f"background: D's belief (green = real). {losses}")
        self.lab_frame_shown.emit(frame)

    # lifecycle ---------------------------------------------------------------------
    def activate(self) -> None:
        if self.worker is not None and self.worker.is_running():
            return
        first = self.model_combo.currentData()
        if not first:
            self.status.setText("No GAN weights are shipped in assets/weights; open a gan.pt or train one.")
            return
        self.slot = LatestSlot()
        slot = self.slot

        def serve(stop):
            from engines.gan.engine import GANEngine
            from engines.pipeline import live_loop

            engine = GANEngine()
            yield from live_loop(slot, lambda req: run_request(engine, req), stop, lambda: engine.device)

        self.worker = self.run_task("serve", serve, self._on_reply, failure="The GAN worker stopped")
        self.request("load", path=first)

    def deactivate(self) -> None:
        if self.lab_worker is not None:
            self.lab_worker.stop()
            self.lab_worker.wait()
            self.lab_worker = None
            self.lab_buttons["play"].setText("Play")
        if self.worker is not None:
            self.worker.stop()
            self.slot.close()
            self.worker.wait()
            self.worker = None

    # requests ----------------------------------------------------------------------
    def request(self, kind: str = "grid", **kw) -> None:
        self.serial += 1
        codes = tuple(s.value() / 100 for s in self.code_sliders) if self.codes.isVisible() else ()
        category = self.category.value() if self.codes.isVisible() else -1
        self.slot.put(GANRequest(kind, seed=self.seed.value(), seed_b=self.seed.value() + 1, t=self.mix.value() / 100,
                                 category=category, codes=codes, serial=self.serial, **kw))

    def _redraw(self) -> None:
        self._update_mix_label()
        if self.worker is not None:
            self.request("grid")

    def _update_mix_label(self) -> None:
        s = self.seed.value()
        self.mix_label.setText(f"z: seed {s} \u2192 {s + 1}  {self.mix.value()}%")

    def _on_model(self) -> None:
        path = self.model_combo.currentData()
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "GAN weights", "", "PaperZoo GAN weights (*.pt)")
        if not path:
            return
        self._floor = self.serial
        if self.worker is None:
            self.activate()
        else:
            self.request("load", path=path)

    # replies (GUI thread) --------------------------------------------------------------
    def _on_reply(self, item: object) -> None:
        if isinstance(item, LiveNotice):
            self.status.setText(item.text)
            return
        assert isinstance(item, LiveResult)
        reply = item.result
        if not isinstance(reply, GANReply) or reply.request.serial <= self._floor:
            return
        self.codes.setVisible(reply.variant == "infogan")
        self.mix.setEnabled(reply.image_model)
        self.view.show_frame(reply.image, time.perf_counter())
        self.view.set_hud([])
        what = "64 samples from fixed z" if reply.image_model else "real points (green), samples (purple), D's map"
        how = "loaded and drawn" if reply.request.kind == "load" else "drawn"
        self.status.setText(f"{reply.describe}: {what}, {how} in {reply.ms:.0f} ms.")
        self.reply_shown.emit(reply)
        self.result_shown.emit(reply)

    def task_failed(self, text: str) -> None:
        self.status.setText(text)

    # training ------------------------------------------------------------------------
    def _on_training_opened(self, panel) -> None:
        panel.add_tool(self._choice_tool(panel))
        panel.step_received.connect(self._on_training_step)

    def _choice_tool(self, panel) -> QWidget:
        """Variant and data set pickers that fill the form's text fields (a folder path still works there)."""
        box = QWidget()
        form = QFormLayout(box)
        form.setContentsMargins(0, 0, 0, 0)
        for field, names in (("variant", VARIANT_NAMES), ("dataset", DATASET_NAMES)):
            combo = QComboBox()
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(12)
            for key, label in names.items():
                combo.addItem(label, key)
            current = combo.findData(getattr(panel.config(), field))
            combo.setCurrentIndex(max(0, current))
            combo.activated.connect(lambda _i, c=combo, f=field: panel.set_field(f, c.currentData()))
            form.addRow(field, combo)
        return box

    def _on_training_step(self, step) -> None:
        """The preview of the run being trained (fixed z) replaces the grid while training runs."""
        if getattr(step, "preview", None) is None:
            return
        self.view.show_frame(step.preview, time.perf_counter())
        self.view.set_hud([f"training preview, step {step.step}/{step.total_steps}"])
        self.status.setText(f"Training: the grid shows the run's fixed-z samples (step {step.step}).")


"""GAN lab tab: a fixed-z sample grid from a trained generator (or the live training preview), latent
interpolation, DCGAN's vector arithmetic on picked tiles, InfoGAN code sliders, and GAN Lab's 2-D view
(desktop/widgets/gan_lab.py). Training comes from the shared panel (desktop/widgets/gan_form.py adds to its form)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
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

from desktop.tabs.serving import ServingTab
from desktop.widgets.gan_form import DATASET_NAMES, VARIANT_NAMES, GANFormTool
from desktop.widgets.gan_lab import ToyLabControls
from desktop.widgets.gan_view import PickView
from engines.gan.arithmetic import TilePick, tile_at
from engines.pipeline import LiveNotice, LiveResult

OPEN = "Open .pt ..."
SLOTS = ("A", "B", "C")
MAX_PER_SLOT = 3  # the DCGAN paper averages three exemplars per concept


@dataclass(frozen=True)
class GANRequest:
    """One job for the worker. kind: load | grid. t: 0..1 from seed's z to seed_b's z (slerp per tile).
    category -1 and codes () keep InfoGAN's codes as drawn from the prior. picks: (slot, TilePick) for DCGAN's
    vector arithmetic (A - B + C, drawn under the grid once every slot holds a tile)."""

    kind: str
    path: str = ""
    seed: int = 0
    seed_b: int = 1
    t: float = 0.0
    category: int = -1
    codes: tuple[float, ...] = ()
    picks: tuple[tuple[str, TilePick], ...] = ()
    runtime: str = "torch"  # or a CPU backend device ("openvino-f32", ...): G runs there once its gate passes
    serial: int = 0


@dataclass(frozen=True)
class GANReply:
    request: GANRequest
    image: np.ndarray  # BGR uint8: the 8x8 grid, or the 2-D view
    describe: str
    variant: str
    image_model: bool
    ms: float
    runtime: str = "torch"  # what ran G: "torch", a backend device, or why a backend was refused


def grid_latents(engine, seed: int, seed_b: int, t: float, category: int, codes: tuple[float, ...]) -> np.ndarray:
    """The 64 latents of a grid: seed's z walked a fraction t towards seed_b's, InfoGAN codes set. float32[64, Z]."""
    za = engine.latent(64, seed)
    z = engine.between(za, engine.latent(64, seed_b), t) if t > 0 else za
    return engine.with_codes(z, None if category < 0 else category, codes)


def run_request(engine, req: GANRequest) -> GANReply:
    """Load and/or draw on the worker thread (one batched G call for the 64 tiles, one for the arithmetic)."""
    from engines.gan.arithmetic import arithmetic_latents, arithmetic_strip, mark_tiles, with_strip
    from engines.gan.render import sample_grid

    t0 = time.perf_counter()
    if req.kind == "load":
        engine.load(req.path, "cpu")
    runtime = engine.runtime
    if engine.config.image and engine.runtime != req.runtime:  # export + gate once per model and runtime
        runtime = engine.use_backend(None if req.runtime == "torch" else req.runtime)
    if engine.config.image:
        z = grid_latents(engine, req.seed, req.seed_b, req.t, req.category, req.codes)
        image = sample_grid(engine.infer(z).pictures)
        if req.picks:
            here = (req.seed, req.seed_b, req.t, req.category, req.codes)
            image = mark_tiles(image, {s: [p.index for k, p in req.picks if k == s and
                                           (p.seed, p.seed_b, p.t, p.category, p.codes) == here] for s in SLOTS})
        slots = {s: [grid_latents(engine, p.seed, p.seed_b, p.t, p.category, p.codes)[p.index]
                     for k, p in req.picks if k == s] for s in SLOTS}
        if all(slots.values()):
            za, zb, zc = (np.stack(slots[s]) for s in SLOTS)
            z = arithmetic_latents(za, zb, zc, engine.config.latent_dim, seed=req.seed)
            image = with_strip(image, arithmetic_strip(engine.infer(z).pictures))
    else:
        image = engine.toy_view(seed=req.seed)
    return GANReply(req, image, engine.describe(), engine.config.variant, bool(engine.config.image),
                    (time.perf_counter() - t0) * 1000, runtime if engine.backend is not None else "torch")


SHIPPED_NAMES = {"ambientgan": "AmbientGAN (DCGAN, trained on pictures with half the pixels blocked)",
                 "began": "BEGAN (skip connections: clothes, but no shoes or bags)"}


def model_label(stem: str) -> str:
    """'dcgan_fashion-mnist' -> 'DCGAN on Fashion-MNIST' (unknown parts kept as they are)."""
    variant, _, dataset = stem.partition("_")
    name = SHIPPED_NAMES.get(variant) or VARIANT_NAMES.get(variant, variant)
    return f"{name} on {DATASET_NAMES.get(dataset, dataset)}"


class GANTab(ServingTab):
    trained_export = "gan.pt"
    reply_shown = Signal(object)  # GANReply (GUI thread)
    lab_frame_shown = Signal(object)  # engines.gan.toylab.ToyFrame (GUI thread)

    def __init__(self, info, options: dict[str, Any] | None = None, parent=None) -> None:
        super().__init__(info, options, parent)
        from engines.gan.engine import shipped_weights  # numpy-only at import; torch loads on the worker

        self.models = self.options.get("gan_weights") or shipped_weights()
        self._floor = 0
        self.latest: GANReply | None = None  # the reply on screen (`paperzoo --screenshot --wait-for-result` waits)
        self.model_combo = QComboBox()
        for name, path in self.models.items():
            self.model_combo.addItem(f"{model_label(name)} (shipped)", str(path))
        self.model_combo.addItem(OPEN, "")
        self.model_combo.activated.connect(self._on_model)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.model_combo.setMinimumContentsLength(30)
        self.runtime_combo = QComboBox()
        self.runtime_combo.addItem("G on torch", "torch")
        for device in self._backend_devices():
            self.runtime_combo.addItem(f"G on {device}", device)
        self.runtime_combo.setToolTip("Which runtime runs the generator for the grid; a CPU backend is used only "
                                      "when its pictures are within 2 grey levels of torch's")
        self.runtime_combo.activated.connect(lambda _i: self._redraw())
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
        bar.addWidget(self.model_combo, 2)  # wide windows show the whole model name
        bar.addWidget(self.runtime_combo)
        bar.addStretch(1)
        bar.addWidget(self.training_button)
        walk = QHBoxLayout()  # a second row: the latent controls
        for w in (self.seed, self.new_button, self.mix_label):
            walk.addWidget(w)
        walk.addWidget(self.mix, 1)
        self.codes = self._code_controls()
        self.lab = ToyLabControls(self)
        self.lab_buttons = self.lab.buttons
        self._arithmetic_controls(walk)  # on the latent row: a row of its own grew a 900x600 window to 627 px
        self.status = QLabel("Loading the generator ...")
        self.status.setWordWrap(True)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.status.setFixedHeight(2 * self.status.fontMetrics().lineSpacing())
        self.view = PickView(self)
        self.view.set_placeholder("No generator yet: train one (Training) or open a gan.pt")
        self.view.pressed.connect(self._on_pressed)
        self.view.dragged.connect(lambda p: self.lab.draw_at(p, drag=True))
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.view)
        split.addWidget(self.training_area)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addLayout(walk)
        layout.addLayout(self.lab.row)
        layout.addWidget(self.codes)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)
        self._update_mix_label()
        self.fill_trained_runs(self.model_combo)
        self.training_opened.connect(self._on_training_opened)

    @staticmethod
    def _backend_devices() -> list[str]:
        """The CPU backends installed here (f32 / bf16; int8 has no calibration set for a generator)."""
        from engines.backends.choice import float_backend_devices

        return float_backend_devices()

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

    # lifecycle ---------------------------------------------------------------------
    def activate(self) -> None:
        if self.serving():
            return
        first = self.model_combo.currentData()
        if not first:
            self.status.setText("No GAN weights are shipped in assets/weights; open a gan.pt or train one.")
            return

        def make():
            from engines.gan.engine import GANEngine

            engine = GANEngine()
            return engine, lambda req: run_request(engine, req)

        self.start_serving(make, "The GAN worker stopped")
        self.request("load", path=first)

    def deactivate(self) -> None:
        self.lab.stop()
        self.stop_serving()

    # requests ----------------------------------------------------------------------
    def request(self, kind: str = "grid", **kw) -> None:
        self.serial += 1
        codes = tuple(s.value() / 100 for s in self.code_sliders) if self.codes.isVisible() else ()
        category = self.category.value() if self.codes.isVisible() else -1
        picks = tuple((slot, p) for slot in SLOTS for p in self.picks[slot])
        self.slot.put(GANRequest(kind, seed=self.seed.value(), seed_b=self.seed.value() + 1, t=self.mix.value() / 100,
                                 category=category, codes=codes, picks=picks, serial=self.serial,
                                 runtime=self.runtime_combo.currentData(), **kw))

    def _redraw(self) -> None:
        self._update_mix_label()
        self.lab.showing = False  # the grid takes the view back from the 2-D lab
        if self.worker is not None:
            self.request("grid")

    # vector arithmetic (DCGAN) ----------------------------------------------------------
    def _arithmetic_controls(self, row: QHBoxLayout) -> None:
        """Clicks on grid tiles fill A, B, C in turn (shift-click: one more for the same slot, up to 3)."""
        self.picks: dict[str, list[TilePick]] = {s: [] for s in SLOTS}
        self._next_slot = 0
        self.arith_label = QLabel()
        self.arith_label.setToolTip("DCGAN's vector arithmetic: click a tile for A, one for B, one for C (shift-click "
                                    "adds up to 3 exemplars to the same slot, averaged); the row under the grid "
                                    "shows A, B, C and Y = A - B + C with four noisy neighbours")
        self.arith_clear = QPushButton("Clear")
        self.arith_clear.setToolTip("Forget the picked tiles A, B, C")
        self.arith_clear.clicked.connect(self.clear_picks)
        row.addWidget(self.arith_label)
        row.addWidget(self.arith_clear)
        self._update_arith_label()

    def _update_arith_label(self) -> None:
        counts = " ".join(f"{s}{len(self.picks[s])}" for s in SLOTS)
        self.arith_label.setText(f"A - B + C (click tiles): {counts}")

    def pick_tile(self, index: int, same_slot: bool = False) -> str:
        """Add the current grid's tile `index` to the next slot (or the last one filled); which slot got it."""
        if same_slot and self._next_slot > 0:
            slot = SLOTS[self._next_slot - 1]
        else:
            slot = SLOTS[self._next_slot % 3]
            if self._next_slot % 3 == 0 and all(self.picks.values()):  # a fourth click starts a new sum
                self.picks = {s: [] for s in SLOTS}
            self._next_slot = self._next_slot % 3 + 1
        codes = tuple(s.value() / 100 for s in self.code_sliders) if self.codes.isVisible() else ()
        category = self.category.value() if self.codes.isVisible() else -1
        pick = TilePick(self.seed.value(), self.seed.value() + 1, self.mix.value() / 100, category, codes, index)
        self.picks[slot] = (self.picks[slot] + [pick])[-MAX_PER_SLOT:]
        self._update_arith_label()
        self._redraw()
        return slot

    def clear_picks(self) -> None:
        self.picks = {s: [] for s in SLOTS}
        self._next_slot = 0
        self._update_arith_label()
        self._redraw()

    def _on_pressed(self, p: QPointF, shift: bool) -> None:
        """A press in the view: a tile pick on an image model's grid, a drawn point in the 2-D lab."""
        if self.lab.draw_at(p):
            return
        if self.lab.showing or not self.mix.isEnabled():  # the lab or a 2-D model's view: nothing to pick
            return
        index = tile_at(p.x(), p.y())
        if index is not None:
            self.pick_tile(index, shift)

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
        self.latest = reply
        if self.lab.showing and reply.request.serial <= self.lab.since_serial:
            return  # asked for before the 2-D lab took the view (a load still running): the lab keeps it
        self.lab.showing = False  # a grid reply takes the view (a lab button gives it back)
        self.view.show_frame(reply.image, time.perf_counter())
        self.view.set_hud([])
        what = "64 samples from fixed z" if reply.image_model else "real points (green), samples (purple), D's map"
        how = "loaded and drawn" if reply.request.kind == "load" else "drawn"
        self.status.setText(f"{reply.describe}: {what}, {how} in {reply.ms:.0f} ms on {reply.runtime}.")
        self.reply_shown.emit(reply)
        self.result_shown.emit(reply)

    def task_failed(self, text: str) -> None:
        self.status.setText(text)

    # training ------------------------------------------------------------------------
    def _on_training_opened(self, panel) -> None:
        self.form_tool = GANFormTool(panel)
        panel.add_tool(self.form_tool)
        panel.step_received.connect(self._on_training_step)
        panel.run_ended.connect(lambda _why: self._redraw())  # the run's preview gives the view back to the model

    def _on_training_step(self, step) -> None:
        """The preview of the run being trained (fixed z) replaces the grid while training runs."""
        if getattr(step, "preview", None) is None:
            return
        self.view.show_frame(step.preview, time.perf_counter())
        self.view.set_hud([f"training preview, step {step.step}/{step.total_steps}"])
        self.status.setText(f"Training: the grid shows the run's fixed-z samples (step {step.step}).")


"""GAN Lab's controls in the GAN tab: a 2-D set (or points the user draws), a variant, one D step / one G step /
play / reset, and the worker that owns the engines.gan.toylab.ToyLab. GUI thread only; torch stays in the worker.
"""

from __future__ import annotations

import queue
import time

import numpy as np
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton

from desktop.widgets.gan_form import VARIANT_NAMES
from desktop.workers import Worker
from engines.gan.data import DRAWN, TOY_EXTENT

LAB_VARIANTS = ("gan-ns", "gan-minimax", "wgan-gp", "wgan", "sngan", "otgan")
LAB_SETS = {"ring8": "ring of 8 Gaussians", "grid25": "5x5 grid", "moons": "two moons",
            DRAWN: "drawn: click or drag in the view"}
VIEW_SIZE = 480  # the lab's picture (pixels); ToyLab.view draws [-extent, extent]^2 into it
DRAW_SPACING = 6.0  # pixels between points added by a drag


def view_to_data(p: QPointF, extent: float, size: int = VIEW_SIZE) -> tuple[float, float]:
    """Lab picture pixels (y down) -> data units (y up); the inverse of engines.gan.render.to_view."""
    return p.x() / (size - 1) * 2 * extent - extent, extent - p.y() / (size - 1) * 2 * extent


class ToyLabControls:
    """The lab row of `tab` (a GANTab): builds its widgets into `row`, runs the lab on tab.run_task, shows frames
    in tab.view and emits tab.lab_frame_shown."""

    def __init__(self, tab) -> None:
        self.tab = tab
        self.row = QHBoxLayout()
        self.commands: queue.SimpleQueue = queue.SimpleQueue()
        self.worker: Worker | None = None
        self.showing = False  # the view shows the lab (clicks draw points) rather than a sample grid
        self.since_serial = 0  # the tab's request serial when the lab took the view: older grid replies leave it
        self._last_drawn: QPointF | None = None
        self.set_combo, self.variant_combo = QComboBox(), QComboBox()
        for key, label in LAB_SETS.items():
            self.set_combo.addItem(label, key)
        for key in LAB_VARIANTS:
            self.variant_combo.addItem(VARIANT_NAMES[key].removesuffix(" (2-D sets)"), key)
        self.set_combo.activated.connect(lambda _i: self.reset())
        self.variant_combo.activated.connect(lambda _i: self.reset())
        self.row.addWidget(QLabel("2-D lab:"))
        self.row.addWidget(self.set_combo)
        self.row.addWidget(self.variant_combo)
        self.buttons: dict[str, QPushButton] = {}
        for text, command in (("D step", "d"), ("G step", "g"), ("Play", "play"), ("Reset", "reset"),
                              ("Clear points", "clear")):
            b = QPushButton(text)
            b.clicked.connect(lambda _c=False, cmd=command: self.command(cmd))
            self.row.addWidget(b)
            self.buttons[command] = b
        self.buttons["clear"].setToolTip("Remove every drawn point")
        self.row.addStretch(1)
        self._sync_clear()

    @property
    def dataset(self) -> str:
        return self.set_combo.currentData()

    def _sync_clear(self) -> None:
        self.buttons["clear"].setEnabled(self.dataset == DRAWN)

    def command(self, command: str) -> None:
        """d | g | play (toggles pause) | reset | clear; starts the lab on first use (and gives it the view)."""
        self.take_view()
        if command == "reset" or self.worker is None or not self.worker.is_running():
            self.reset()
            if command == "reset":
                return
        if command == "play":
            playing = self.buttons["play"].text() == "Play"
            self.buttons["play"].setText("Pause" if playing else "Play")
            command = "play" if playing else "pause"
        self.commands.put(command)

    def reset(self) -> None:
        """A fresh ToyLab with the chosen variant and set (replaces a running one), paused."""
        self._sync_clear()
        self.buttons["play"].setText("Play")
        self.commands = commands = queue.SimpleQueue()
        variant, dataset = self.variant_combo.currentData(), self.dataset

        def work(stop):
            from engines.gan.toylab import ToyLab

            lab, playing = ToyLab(variant, dataset), False
            yield lab.view(VIEW_SIZE)
            while not stop():
                try:
                    cmd = commands.get(timeout=0.0 if playing else 0.1)
                except queue.Empty:
                    cmd = None
                if isinstance(cmd, tuple):  # ("points", float32[k, 2])
                    lab.add_points(cmd[1])
                elif cmd in ("play", "pause"):
                    playing = cmd == "play"
                elif cmd == "clear":
                    lab.clear_points()
                elif cmd == "d":
                    lab.step_d()
                elif cmd == "g":
                    lab.step_g()
                if playing:
                    yield lab.play(VIEW_SIZE)
                elif cmd is not None:
                    yield lab.view(VIEW_SIZE)

        self.take_view()
        self.worker = self.tab.run_task("lab", work, self.show_frame, failure="The 2-D lab stopped")

    def take_view(self) -> None:
        """The lab owns the view from now on; a grid requested before this moment (a checkpoint still loading)
        does not take it back when its reply arrives, a later request does."""
        self.showing = True
        self.since_serial = self.tab.serial

    def stop(self) -> None:
        if self.worker is not None:
            self.worker.stop()
            self.worker.wait()
            self.worker = None
        self.buttons["play"].setText("Play")
        self.showing = False

    # drawing ------------------------------------------------------------------------
    def draw_at(self, p: QPointF, drag: bool = False) -> bool:
        """Add a real point at lab-picture pixel p when the drawn set is on screen (drags: every 6 px)."""
        if not self.showing or self.dataset != DRAWN:
            return False
        if drag and self._last_drawn is not None:
            d = p - self._last_drawn
            if (d.x() ** 2 + d.y() ** 2) ** 0.5 < DRAW_SPACING:
                return False
        if self.worker is None or not self.worker.is_running():
            self.reset()
        self._last_drawn = p
        self.commands.put(("points", np.array([view_to_data(p, TOY_EXTENT[DRAWN])], np.float32)))
        return True

    def show_frame(self, frame) -> None:
        tab = self.tab
        if not self.showing:
            return
        tab.view.show_frame(frame.image, time.perf_counter())
        drawn = self.dataset == DRAWN
        cover = f"modes {frame.modes}, " if self.dataset in ("ring8", "grid25") else ""
        tab.view.set_hud([f"2-D lab: {self.variant_combo.currentText()} on {self.set_combo.currentText()}",
                          f"D updates {frame.d_steps}  G updates {frame.g_steps}  ({frame.updates_per_s:.0f}/s)",
                          f"{cover}{frame.within_3_sigma:.0%} of samples within 3 sigma"
                          + (" of a drawn point" if drawn else "")])
        losses = "  ".join(f"{k} {v:.3g}" for k, v in frame.losses.items() if not k.startswith("grad"))
        hint = "Click or drag in the view to add real points (green), then Play. " if drawn else ""
        tab.status.setText(f"{hint}Green: real points; purple: G's samples, arrows: where G's next update moves "
                           f"them; background: D's belief (green = real). {losses}")
        tab.lab_frame_shown.emit(frame)

"""`python -m desktop.bench --json OUT.json`: GUI responsiveness while a tab runs its model.

`--soak SECONDS` runs the leak check in desktop/soak.py instead.

Measures the worst gap between ticks of a 16 ms timer on the GUI thread (a stall shows as a long
gap), the display/model FPS and frame age in the real window, and how fast the window appears.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path


def window_visible_seconds() -> float:
    """Launch the real app in a fresh process; read how long after start the window was shown."""
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    out = subprocess.run([sys.executable, "-m", "desktop.app", "--source", "demo", "--quit-after-ms", "300"],
                         capture_output=True, text=True, timeout=120, env=env)
    m = re.search(r"window shown ([\d.]+) s", out.stderr)
    return float(m.group(1)) if m else float("nan")


class GapTimer:
    """A 16 ms GUI-thread timer; while `measuring`, records the gap between its ticks (a stall = a long gap)."""

    def __init__(self) -> None:
        from PySide6.QtCore import QElapsedTimer, QTimer

        self.gaps: list[float] = []
        self.measuring = False
        self._last: float | None = None
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(16)
        self._timer.timeout.connect(self._tick)
        self._clock.start()
        self._timer.start()

    def seconds(self) -> float:
        return self._clock.nsecsElapsed() / 1e9

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed() / 1e6
        if self.measuring and self._last is not None:
            self.gaps.append(now - self._last)
        self._last = now

    def stats(self) -> dict:
        g = sorted(self.gaps)
        return {"median_ms": round(statistics.median(g), 2), "max_gap_ms": round(g[-1], 2),
                "p99_gap_ms": round(g[int(0.99 * (len(g) - 1))], 2), "ticks": len(g)}


def open_window(tab: str):
    """The real main window on the demo clip, CPU, `tab` first; returns (app, window)."""
    from PySide6.QtWidgets import QApplication

    from desktop.main_window import MainWindow
    from desktop.sources import CameraList, SourceChoice

    app = QApplication.instance() or QApplication([])
    window = MainWindow(options={"cameras": CameraList(), "source_choice": SourceChoice("demo"), "device": "cpu"},
                        first_tab=tab)
    window.show()
    window.start()
    return app, window


def gui_stall(tab: str, seconds: float) -> dict:
    from PySide6.QtCore import QTimer

    app, window = open_window(tab)
    live = window.current_tab()
    gaps, ages = GapTimer(), []

    def start_measuring() -> None:
        if getattr(live, "latest", None) is None:
            QTimer.singleShot(100, start_measuring)
            return
        gaps.measuring = True
        live.view.painted.connect(ages.append)
        QTimer.singleShot(int(seconds * 1000), app.quit)

    start_measuring()
    app.exec()
    latest = live.latest
    record = {"name": f"gui.{tab}.timer_gap", "device": latest.device if latest else "cpu", **gaps.stats(),
              "seconds": seconds, "display_fps": round(live.view.display_meter.rate, 2),
              "model_fps": round(latest.model_fps, 2) if latest else 0.0,
              "median_frame_age_ms": round(statistics.median(ages), 1) if ages else None,
              "median_latency_ms": round(latest.latency_ms, 1) if latest else None}
    window.close()
    return record


def training_stall(data: str, seconds: float, steps: int, keep_live: bool = False, tab_name: str = "detection") -> dict:
    """Train in `tab_name`'s panel for `seconds` (keep_live: the live view keeps running). data "default": the
    form's defaults (steps included), else a data path set in the form with `steps`."""
    from PySide6.QtCore import QTimer

    app, window = open_window(tab_name)
    tab = window.current_tab()
    gaps, state = GapTimer(), {"t0": 0.0, "ticks0": 0, "rep0": 0, "steps0": 0}

    def begin() -> None:
        panel = tab.training_panel
        if panel is None:
            QTimer.singleShot(100, begin)
            return
        if panel.last is None:
            if not panel.running:
                if data != "default":
                    panel.set_field("data", data)
                    panel.set_field("steps", steps)
                panel.device_combo.setCurrentText("cpu")
                panel.start()
            QTimer.singleShot(100, begin)
            return
        gaps.measuring = True
        state.update(t0=gaps.seconds(), ticks0=panel.curves.ticks, rep0=panel.curves.repaints,
                     steps0=panel.last.step)
        QTimer.singleShot(int(seconds * 1000), app.quit)

    if hasattr(tab, "pause_live_box"):
        tab.pause_live_box.setChecked(not keep_live)
    tab.show_training(True)
    begin()
    app.exec()
    panel = tab.training_panel
    span = gaps.seconds() - state["t0"]
    record = {"name": f"gui.training.{tab_name}", "device": "cpu", **gaps.stats(),
              "panel_refresh_hz": round((panel.curves.ticks - state["ticks0"]) / span, 2),
              "panel_new_data_hz": round((panel.curves.repaints - state["rep0"]) / span, 2),
              "train_steps_per_s": round((panel.last.step - state["steps0"]) / span, 3), "seconds": round(span, 1),
              "live_view_paused": tab.pause_live_box.isChecked() if hasattr(tab, "pause_live_box") else None,
              "live_model_fps": round(getattr(tab.latest, "model_fps", 0.0), 2) if tab.latest else 0.0}
    panel.stop()
    window.close()
    return record


def lab_stall(variant: str, dataset: str, seconds: float) -> dict:
    """Play the GAN tab's 2-D lab (`variant` on `dataset`) for `seconds`: timer gaps, G/D steps/s, frames/s."""
    from PySide6.QtCore import QTimer

    app, window = open_window("gan")
    tab = window.current_tab()
    lab, gaps, frames = tab.lab, GapTimer(), []

    def begin() -> None:
        lab.variant_combo.setCurrentIndex(lab.variant_combo.findData(variant))
        lab.set_combo.setCurrentIndex(lab.set_combo.findData(dataset))
        lab.command("play")
        QTimer.singleShot(2000, measure)  # the lab's first frames (torch warm-up) are not counted

    def measure() -> None:
        gaps.measuring = True
        tab.lab_frame_shown.connect(lambda f: frames.append((gaps.seconds(), f.g_steps, f.d_steps)))
        QTimer.singleShot(int(seconds * 1000), app.quit)

    QTimer.singleShot(500, begin)
    app.exec()
    lab.stop()
    window.close()
    (t0, g0, d0), (t1, g1, d1) = frames[0], frames[-1]
    span = max(t1 - t0, 1e-9)
    return {"name": f"gui.gan_lab.{variant}.{dataset}", "device": "cpu", **gaps.stats(), "seconds": seconds,
            "frames_per_s": round((len(frames) - 1) / span, 2), "g_steps_per_s": round((g1 - g0) / span, 1),
            "d_steps_per_s": round((d1 - d0) / span, 1)}


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    p = argparse.ArgumentParser(prog="python -m desktop.bench")
    p.add_argument("--json", type=Path)
    p.add_argument("--tab", default="detection")
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--training-data", help="measure the GUI while --tab trains from its panel on this data "
                   "(detection: a YOLO-format set) or on the form's defaults ('default')")
    p.add_argument("--gan-lab", metavar="VARIANT[:SET]",
                   help="measure the GAN tab's 2-D lab playing VARIANT (gan-ns, wgan-gp, ...) on SET (ring8)")
    p.add_argument("--training-steps", type=int, default=2000)
    p.add_argument("--keep-live", action="store_true", help="with --training-data: untick 'pause the live view'")
    p.add_argument("--soak", type=float, metavar="SECONDS",
                   help="leak check: --tab live on the looping demo clip; RSS/threads/fds sampled into --samples")
    p.add_argument("--samples", type=Path, default=Path("soak_samples.jsonl"), help="with --soak: JSON lines, flushed")
    p.add_argument("--interval", type=float, default=5.0, help="with --soak: seconds between samples")
    p.add_argument("--soak-report", type=Path, metavar="SAMPLES", help="growth figures of a (partial) samples file")
    args = p.parse_args(argv)
    t0 = time.perf_counter()
    if args.soak is not None or args.soak_report is not None:
        from desktop.soak import read_samples, soak, summarize

        if args.soak_report is not None:
            record = summarize(read_samples(args.soak_report))
        else:
            record = soak(args.soak, args.samples, args.interval, args.tab)
        record = {"name": f"soak.{args.tab}", **record}
        print(json.dumps(record))
        if args.json:
            args.json.write_text(json.dumps(record, indent=2))
        return 0
    if args.gan_lab:
        variant, _, dataset = args.gan_lab.partition(":")
        record = lab_stall(variant, dataset or "ring8", args.seconds)
        print(json.dumps(record))
        if args.json:
            args.json.write_text(json.dumps(record, indent=2))
        return 0
    if args.training_data:
        records = [training_stall(args.training_data, args.seconds, args.training_steps, args.keep_live,
                                  args.tab)]
        for r in records:
            print(json.dumps(r))
        if args.json:
            args.json.write_text(json.dumps(records, indent=2))
        return 0
    records = [gui_stall(args.tab, args.seconds)]
    records.append({"name": "gui.window_visible", "device": "cpu", "median_ms": round(1000 * statistics.median(
        window_visible_seconds() for _ in range(3)), 1)})
    for r in records:
        print(json.dumps(r))
    if args.json:
        args.json.write_text(json.dumps(records, indent=2))
    print(f"({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

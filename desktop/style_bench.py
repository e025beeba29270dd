"""`python -m desktop.style_bench --runs 3`: the GUI thread while Gatys et al.'s iterative mode optimises.

Each run is a fresh app process: the real main window on the style tab (a photo as the source), the training
panel started with its default form, and for `--seconds` after the first step a 16 ms QTimer records the gaps
between its ticks (a stall shows as a long gap). For every gap over `--late-ms` the run records what the GUI
thread was doing: the Qt events dispatched during the gap with their durations (an application-wide event
filter; `--trace-events`), the GUI thread's Python stacks sampled by a watchdog thread while the tick was late,
the CPU, run-queue wait and major page faults of every thread of the app over the gap, the CPU time the
hypervisor stole from each virtual CPU (/proc/stat "steal"), and the gaps seen at the same moments by a witness:
a separate process that only sleeps 2 ms in a loop. A gap the witness shares, or that steal covers, is the
whole machine frozen, not the app; `outside_freeze_ms` is what is left of a gap after that (the GUI's own
work plus its wait for a CPU that other processes hold), and `gui_cpu_ms` the GUI thread's own work in it.
Prints one JSON record per run and a summary line (max gap over the runs, raw and outside machine freezes).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

from engines.stall_probe import StackWatch, busy_threads, frozen_ms, read_witness, steal_ms, thread_times


class EventTrace:
    """Application-wide event filter: a ring of (perf_counter s, event type, receiver class) (GUI thread only)."""

    def __init__(self, app, size: int = 4000) -> None:
        from PySide6.QtCore import QObject

        self.ring: deque[tuple[float, str, str]] = deque(maxlen=size)
        ring = self.ring

        class _Filter(QObject):
            def eventFilter(self, obj, event) -> bool:  # noqa: N802 (Qt)
                ring.append((time.monotonic(), event.type().name, type(obj).__name__))
                return False

        self._filter = _Filter()
        app.installEventFilter(self._filter)

    def during(self, t0: float, t1: float) -> list[dict]:
        """Events that started in [t0, t1], each with the time until the next event started (ms)."""
        events = list(self.ring)
        out = []
        for (t, kind, obj), nxt in zip(events, [*events[1:], (t1, "", "")]):
            if t0 <= t <= t1:
                out.append({"event": kind, "receiver": obj, "ms": round((nxt[0] - t) * 1000, 1)})
        return sorted(out, key=lambda e: -e["ms"])[:5]


def one_run(seconds: float, late_ms: float, trace_events: bool, photo: str, steps: int,
            fields: dict[str, str] | None = None) -> dict:
    """In this process: the window, the panel's default run, the gaps (see the module docstring)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop.main_window import MainWindow
    from desktop.sources import CameraList, SourceChoice

    app = QApplication.instance() or QApplication([])
    witness_out = Path(tempfile.mkdtemp(prefix="style-bench-")) / "witness.txt"
    witness_proc = subprocess.Popen([sys.executable, "-m", "engines.stall_probe", str(seconds + 120), str(late_ms),
                                     str(witness_out)])
    watch = StackWatch(late_ms / 1000)
    watch.start()
    trace = EventTrace(app) if trace_events else None
    window = MainWindow(options={"cameras": CameraList(), "source_choice": SourceChoice("file", path=Path(photo)),
                                 "device": None}, first_tab="style")
    window.resize(1280, 780)
    window.show()
    window.start()
    tab = window.tab_widget("style")
    state: dict = {"t0": None, "last": None, "cpu": None, "steps": 0, "previews": 0, "late": [], "gaps": []}

    def tick() -> None:
        now, cpu, threads, steal = time.monotonic(), time.thread_time(), thread_times(), steal_ms()
        if state["t0"] is not None and state["last"] is not None:
            gap = (now - state["last"]) * 1000
            state["gaps"].append(gap)
            if gap > late_ms:
                late = {"gap_ms": round(gap, 1), "at_s": round(now - state["t0"], 2), "monotonic_s": round(now, 4),
                        "gui_tid": threading.main_thread().native_id, "steps": state["steps"],
                        "previews": state["previews"],
                        "gui_cpu_ms": round((cpu - state["cpu"]) * 1000, 1),
                        "threads_cpu_wait_fault": busy_threads(state["threads"], threads),
                        "steal_ms": max((b - a for a, b in zip(state["steal"], steal)), default=0.0),
                        "python_stacks": watch.during(state["last"], now)}
                if trace is not None:
                    late["events"] = trace.during(state["last"], now)
                state["late"].append(late)
        state["last"], state["cpu"], state["threads"], state["steal"] = now, cpu, threads, steal
        watch.last_tick = now

    timer = QTimer()
    timer.setInterval(16)
    timer.timeout.connect(tick)
    timer.start()

    def on_step(step) -> None:
        state["steps"] += 1
        state["previews"] += step.preview is not None
        if state["t0"] is None and "span" not in state:
            state["t0"] = time.monotonic()
            QTimer.singleShot(int(seconds * 1000), finish)

    def begin() -> None:
        tab.show_training(True)
        panel = tab.training_panel
        if panel is None:
            QTimer.singleShot(200, begin)
            return
        panel.set_field("steps", steps)
        for name, value in (fields or {}).items():
            panel.set_field(name, value)
        panel.step_received.connect(on_step)
        panel.start_button.click()

    def finish() -> None:
        state["span"] = time.monotonic() - state["t0"]
        state["t0"] = None  # stop measuring
        tab.training_panel.stop()
        QTimer.singleShot(2000, app.quit)

    QTimer.singleShot(3000, begin)
    app.exec()
    watch.running = False
    window.close()
    witness_proc.terminate()
    witness_proc.wait(10)
    witness_gaps = read_witness(witness_out)
    outside = {}  # late gap (monotonic end) -> ms of it not explained by a frozen machine
    for late in state["late"]:
        t1 = late["monotonic_s"]
        frozen = frozen_ms(t1 - late["gap_ms"] / 1000, t1, witness_gaps, late["steal_ms"])
        late["machine_frozen_ms"] = round(frozen, 1)
        late["outside_freeze_ms"] = outside[t1] = round(late["gap_ms"] - frozen, 1)
    g = sorted(state["gaps"])
    return {"name": "gui.style.gatys_timer_gap", "max_gap_ms": round(g[-1], 1) if g else None,
            "max_gap_outside_freezes_ms": round(max([x for x in g if x <= late_ms] + list(outside.values()),
                                                    default=0.0), 1),
            "max_gui_cpu_in_a_late_gap_ms": max((x["gui_cpu_ms"] for x in state["late"]), default=0.0),
            "witness_late_wakeups": len(witness_gaps),
            "p99_gap_ms": round(g[int(0.99 * (len(g) - 1))], 1) if g else None,
            "median_gap_ms": round(statistics.median(g), 1) if g else None, "ticks": len(g),
            "steps": state["steps"], "seconds": round(state.get("span", 0.0), 1),
            "late": sorted(state["late"], key=lambda x: -x["gap_ms"])[:5],
            "loadavg": Path("/proc/loadavg").read_text().split()[:3]}


def _value(text: str):
    """A form value from the command line: a number when it reads as one, else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m desktop.style_bench")
    p.add_argument("--runs", type=int, default=3, help="fresh app processes, one after the other")
    p.add_argument("--seconds", type=float, default=30.0, help="measured seconds per run, from the first step")
    p.add_argument("--steps", type=int, default=200, help="the panel's steps field")
    p.add_argument("--late-ms", type=float, default=40.0, help="gaps over this are explained in the record")
    p.add_argument("--trace-events", action="store_true", help="log every Qt event (slows the GUI a little)")
    p.add_argument("--photo", default="", help="the tab's source (default: the demo photo messi5.jpg)")
    p.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE",
                   help="a field of the panel's form, e.g. style_loss=mrf (repeatable)")
    p.add_argument("--json", type=Path)
    p.add_argument("--one", action="store_true", help=argparse.SUPPRESS)  # the child process of one run
    args = p.parse_args(argv)
    if not args.photo:
        from engines import assets

        args.photo = str(assets.require("messi5.jpg"))
    if args.one:
        fields = {name: _value(text) for name, text in (item.split("=", 1) for item in args.set)}
        print("RECORD " + json.dumps(one_run(args.seconds, args.late_ms, args.trace_events, args.photo, args.steps,
                                             fields)))
        return 0
    records = []
    for _ in range(args.runs):
        cmd = [sys.executable, "-m", "desktop.style_bench", "--one", "--seconds", str(args.seconds), "--steps",
               str(args.steps), "--late-ms", str(args.late_ms), "--photo", args.photo,
               *(f"--set={item}" for item in args.set)]
        out = subprocess.run(cmd + (["--trace-events"] if args.trace_events else []), capture_output=True,
                             text=True, timeout=args.seconds + 300)
        lines = [line for line in out.stdout.splitlines() if line.startswith("RECORD ")]
        record = json.loads(lines[-1][7:]) if lines else {"error": out.stderr[-2000:]}
        print(json.dumps(record))
        records.append(record)
    ok = [r for r in records if r.get("max_gap_ms") is not None]
    keys = ("max_gap_ms", "max_gap_outside_freezes_ms", "max_gui_cpu_in_a_late_gap_ms")
    print(json.dumps({"name": "gui.style.gatys_max_gap_over_runs", **{k: max((r[k] for r in ok), default=None)
                                                                       for k in keys},
                      "per_run": [[r[k] for k in keys] for r in ok]}))
    if args.json:
        args.json.write_text(json.dumps(records, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`python -m desktop.bench --soak SECONDS`: the real detection tab on the looping demo clip, watched for leaks.

Every `interval` s (wall clock, from the first shown result) one sample is appended to a JSON-lines
file and flushed, so a run cut short still has its figures: t_s, rss_mb (VmRSS, MiB), threads
(/proc/self/task), fds (/proc/self/fd), results (frames inferred and shown so far), model_fps, dropped.
`summarize` turns a samples file (complete or partial) into the growth figures.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

WINDOW_S = 300.0  # the "first/last 5 minutes" the RSS growth compares


def process_sample() -> dict:
    """This process now: rss_mb (MiB), threads, fds (Linux /proc)."""
    rss_kb = 0
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss_kb = int(line.split()[1])
    return {"rss_mb": round(rss_kb / 1024, 1), "threads": len(os.listdir("/proc/self/task")),
            "fds": len(os.listdir("/proc/self/fd"))}


def summarize(samples: list[dict]) -> dict:
    """Growth figures: mean RSS of the first vs the last window (5 min, or a third of a shorter run), in MiB."""
    if not samples:
        return {"samples": 0}
    span = samples[-1]["t_s"] - samples[0]["t_s"]
    window = min(WINDOW_S, max(span / 3, 1e-9))
    first = [s["rss_mb"] for s in samples if s["t_s"] - samples[0]["t_s"] <= window]
    last = [s["rss_mb"] for s in samples if samples[-1]["t_s"] - s["t_s"] <= window]
    done = samples[-1]["results"] - samples[0]["results"]
    return {"samples": len(samples), "seconds": round(span, 1), "window_s": round(window, 1),
            "rss_first_avg_mb": round(statistics.mean(first), 1), "rss_last_avg_mb": round(statistics.mean(last), 1),
            "rss_growth_mb": round(statistics.mean(last) - statistics.mean(first), 1),
            "rss_min_mb": min(s["rss_mb"] for s in samples), "rss_max_mb": max(s["rss_mb"] for s in samples),
            "threads_min": min(s["threads"] for s in samples), "threads_max": max(s["threads"] for s in samples),
            "fds_min": min(s["fds"] for s in samples), "fds_max": max(s["fds"] for s in samples),
            "results": done, "mean_results_per_s": round(done / span, 2) if span else 0.0}


def read_samples(path: Path) -> list[dict]:
    """The samples of a JSON-lines file; a last line cut by a kill is skipped."""
    out = []
    for line in Path(path).read_text().splitlines():
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return out


def soak(seconds: float, samples_path: Path, interval: float = 5.0, tab: str = "detection") -> dict:
    """Run `tab` live on the looping demo clip for `seconds` after its first result; return `summarize`."""
    from PySide6.QtCore import QTimer

    from desktop.bench import open_window

    app, window = open_window(tab)
    live = window.current_tab()
    state = {"results": 0, "t0": None}
    live.result_shown.connect(lambda _item: state.__setitem__("results", state["results"] + 1))
    samples_path.parent.mkdir(parents=True, exist_ok=True)
    out = samples_path.open("w", buffering=1)
    samples: list[dict] = []

    def sample() -> None:
        now = time.monotonic()
        latest = live.latest
        s = {"t_s": round(now - state["t0"], 2), **process_sample(), "results": state["results"],
             "model_fps": round(latest.model_fps, 2) if latest else 0.0,
             "dropped": latest.dropped if latest else 0}
        samples.append(s)
        out.write(json.dumps(s) + "\n")
        out.flush()
        if now - state["t0"] >= seconds:
            app.quit()

    timer = QTimer()
    timer.timeout.connect(sample)

    def begin() -> None:
        if live.latest is None:
            QTimer.singleShot(100, begin)
            return
        state["t0"] = time.monotonic()
        sample()
        timer.start(int(interval * 1000))

    begin()
    app.exec()
    timer.stop()
    out.close()
    window.close()
    return summarize(samples)

"""Qt-free probes for GUI-stall benchmarks (desktop/style_bench.py): what the GUI thread was doing while a timer
tick was late, which threads ran, waited or faulted, the CPU time the hypervisor stole, and a witness process
that only sleeps, whose late wake-ups mark moments when the whole machine was frozen.

`python -m engines.stall_probe SECONDS LATE_MS OUT` runs the witness (the benchmark starts it as a process).
"""

from __future__ import annotations

import os
import sys
import threading
import time
import traceback
from collections import Counter
from pathlib import Path


class StackWatch(threading.Thread):
    """Samples the GUI thread's Python stack every 5 ms while no tick came for more than `late_s`."""

    def __init__(self, late_s: float) -> None:
        super().__init__(daemon=True, name="gui-stack-watch")
        self.late_s, self.main_id = late_s, threading.main_thread().ident
        self.last_tick = time.monotonic()
        self.samples: list[tuple[float, str]] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            time.sleep(0.005)
            if time.monotonic() - self.last_tick > self.late_s:
                frame = sys._current_frames().get(self.main_id)
                if frame is not None:
                    stack = "".join(traceback.format_stack(frame)[-6:])
                    self.samples.append((time.monotonic(), stack))

    def during(self, t0: float, t1: float) -> list[tuple[int, str]]:
        return Counter(s for t, s in list(self.samples) if t0 <= t <= t1).most_common(2)


def thread_times() -> dict[int, tuple[int, int, int]]:
    """{thread id: (ns on a CPU, ns waiting on the run queue, major page faults)} of this process (Linux
    /proc; {} elsewhere). A major fault reads a page back from disk (code or a mapped file the kernel evicted)."""
    out = {}
    for task in Path("/proc/self/task").glob("*"):
        try:
            cpu, wait, _ = (task / "schedstat").read_text().split()
            faults = (task / "stat").read_text().rsplit(")", 1)[1].split()[9]
        except (OSError, ValueError, IndexError):
            continue
        out[int(task.name)] = (int(cpu), int(wait), int(faults))
    return out


def _comm(tid: int) -> str:
    try:
        return Path(f"/proc/self/task/{tid}/comm").read_text().strip() + f" {tid}"
    except OSError:
        return f"tid {tid}"


def busy_threads(before: dict, after: dict, min_ms: float = 5.0) -> dict[str, list[float]]:
    """{thread name: [ms on a CPU, ms waiting for one, major faults]} between two thread_times() snapshots, for
    the GUI thread and every thread that ran, waited or faulted."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    main = threading.main_thread().native_id
    out = {}
    for tid, (cpu, wait, faults) in after.items():
        c0, w0, f0 = before.get(tid, (0, 0, faults))
        d_cpu, d_wait, d_faults = (cpu - c0) / 1e6, (wait - w0) / 1e6, faults - f0
        if d_cpu >= min_ms or d_wait >= min_ms or d_faults or tid == main:
            name = "GUI" if tid == main else names.get(tid) or _comm(tid)
            out[name] = [round(d_cpu, 1), round(d_wait, 1), d_faults]
    return out


def steal_ms() -> list[float]:
    """Per virtual CPU: ms of CPU time the hypervisor has stolen so far ([] where /proc/stat has no steal)."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return []
    tick_ms = 1000 / os.sysconf("SC_CLK_TCK")
    return [int(line.split()[8]) * tick_ms for line in lines if line.startswith("cpu") and line[3].isdigit()]


def witness(seconds: float, late_s: float, out: Path) -> None:
    """Sleep 2 ms in a loop for `seconds`; append 'monotonic_end gap_ms' for every wake-up later than late_s."""
    end = time.monotonic() + seconds
    last = time.monotonic()
    with out.open("w") as f:
        while last < end:
            time.sleep(0.002)
            now = time.monotonic()
            if now - last > late_s:
                f.write(f"{now:.4f} {1000 * (now - last):.1f}\n")
                f.flush()
            last = now


def read_witness(path: Path) -> list[tuple[float, float]]:
    """(start, end) monotonic seconds of the witness's late wake-ups."""
    try:
        rows = [line.split() for line in path.read_text().splitlines()]
    except OSError:
        return []
    return [(float(end) - float(gap) / 1000, float(end)) for end, gap in rows]


def frozen_ms(t0: float, t1: float, witness_gaps: list[tuple[float, float]], stolen: float) -> float:
    """ms of [t0, t1] (monotonic s) the machine was frozen: the witness's overlapping gap or the steal, the larger."""
    overlap = max((min(t1, b) - max(t0, a) for a, b in witness_gaps), default=0.0)
    return max(overlap * 1000, stolen, 0.0)



if __name__ == "__main__":
    witness(float(sys.argv[1]), float(sys.argv[2]) / 1000, Path(sys.argv[3]))

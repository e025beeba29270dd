"""Walk every tab as a new user would, in a real X window, with the real mouse (xdotool), and screenshot it.

Run under a virtual screen (Debian: xvfb xdotool imagemagick):

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python tests/manual/xvfb_walk.py OUT_DIR [--steps 40]

For each tab, at 900x600: wait for a live result, press Training, press Start on the defaults (only the step
count lowered, typed into the form like a user), wait for steps and curves, press Stop, then maximise to
1920x1080. Every click is a real X pointer event at the button's centre; every screenshot is the X root window
(`import -window root`), so it shows what the screen shows. Then the app quits and is started again with the
same settings file, to check that the tab, size and stopped run come back. A line per check goes to
OUT_DIR/walk.log; the exit code is the number of failed checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


class Walk:
    """A step list run off QTimer: each step returns None (next step now) or a wait in ms / a condition."""

    def __init__(self, out: Path, keys: list[str], steps: int, phase: str) -> None:
        self.out, self.keys, self.steps, self.phase = out, keys, steps, phase
        self.failures = 0
        self.log = (out / "walk.log").open("a")
        self.plan = iter(self.script())
        self._pending = None  # a condition still being polled

    def note(self, ok: bool, text: str) -> None:
        self.failures += 0 if ok else 1
        line = f"{'ok  ' if ok else 'FAIL'} [{self.phase}] {text}"
        print(line, flush=True)
        self.log.write(line + "\n")
        self.log.flush()

    def window(self):
        from desktop.main_window import MainWindow

        return next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))

    def click(self, widget: QWidget) -> None:
        """A real pointer click at the widget's centre (X server coordinates)."""
        centre = widget.mapToGlobal(widget.rect().center())
        subprocess.run(["xdotool", "mousemove", str(centre.x()), str(centre.y()), "click", "1"], check=True)

    def click_tab(self, win, key: str) -> None:
        bar = win.tabs.tabBar()
        index = win.tabs.indexOf(win.tab_widget(key))
        centre = bar.mapToGlobal(bar.tabRect(index).center())
        subprocess.run(["xdotool", "mousemove", str(centre.x()), str(centre.y()), "click", "1"], check=True)

    def shoot(self, name: str) -> None:
        path = self.out / f"{self.phase}-{name}.png"
        subprocess.run(["import", "-window", "root", str(path)], check=True)

    def resize(self, w: int, h: int) -> None:
        win = self.window()
        win.showNormal()
        win.resize(w, h)
        win.move(0, 0)

    def run(self) -> None:
        wait = self._pending
        self._pending = None
        if wait is None:
            try:
                wait = next(self.plan)
            except StopIteration:
                self.window().close()
                QApplication.instance().quit()
                return
        if callable(wait):  # a condition: poll it every 200 ms, give up after its deadline
            if wait():
                QTimer.singleShot(0, self.run)
            elif time.monotonic() > self._deadline:
                self.note(False, f"timed out waiting for {self._what}")
                QTimer.singleShot(0, self.run)
            else:
                self._pending = wait
                QTimer.singleShot(200, self.run)
            return
        QTimer.singleShot(int(wait or 0), self.run)

    def until(self, cond, seconds: float, what: str):
        self._deadline, self._what = time.monotonic() + seconds, what
        return cond

    def script(self):
        win = self.window()
        if self.phase == "restart":
            yield from self.check_restart(win)
            return
        for key in self.keys:
            tab = win.tab_widget(key)
            self.resize(900, 600)
            yield 500
            self.click_tab(win, key)
            yield 500
            self.note(win.current_tab() is tab, f"{key}: a click on its tab shows it")
            yield self.until(lambda t=tab: getattr(t, "latest", "n/a") is not None, 90, f"{key}: a live result")
            yield 1500
            self.shoot(f"{key}-900x600-live")
            size = (win.width(), win.height())
            self.note(size == (900, 600), f"{key}: window is {size[0]}x{size[1]} at 900x600")
            before = tab.model_list.currentText()
            self.click(tab.training_button)
            yield self.until(lambda t=tab: t.training_panel is not None and t.training_panel.isVisible(), 60,
                             f"{key}: training panel")
            panel = tab.training_panel
            yield 800
            self.shoot(f"{key}-900x600-panel")
            panel.set_field("steps", self.steps)
            steps: list = []
            ended: list = []
            panel.step_received.connect(steps.append)
            panel.run_ended.connect(ended.append)
            self.click(panel.start_button)
            yield self.until(lambda p=panel: p.running, 20, f"{key}: the run to start")
            yield self.until(lambda p=panel, s=steps: len(s) >= 3 or not p.running, 300, f"{key}: 3 steps")
            self.note(len(steps) >= 3, f"{key}: Start on the defaults gave {len(steps)} steps "
                                       f"({panel.status.text()[:80]!r})")
            yield 2000
            self.shoot(f"{key}-900x600-training")
            if ended:  # a fast paper finished its short run before Stop could be pressed
                self.note(ended[:1] == ["finished"], f"{key}: the run ended as {ended[:1]} before Stop")
            else:
                self.click(panel.stop_button)
                yield self.until(lambda e=ended: bool(e), 120, f"{key}: run ended")
                yield 800
                self.note(ended[:1] == ["stopped"], f"{key}: Stop ended the run as {ended[:1]}")
            self.note(tab.model_list.currentText() == before, f"{key}: live model still {before!r}")
            self.note(panel.use_button.isVisible(), f"{key}: 'Use these weights' offered")
            self.shoot(f"{key}-900x600-stopped")
            size = (win.width(), win.height())
            self.note(size == (900, 600), f"{key}: window is {size[0]}x{size[1]} after the run (900x600)")
            self.resize(1920, 1080)
            yield 1500
            self.shoot(f"{key}-1920x1080-stopped")
            self.click(tab.training_button)  # close the panel again
            yield 800
            self.shoot(f"{key}-1920x1080-live")
        self.resize(1000, 700)
        yield 500
        self.click_tab(win, self.keys[0])
        yield 800

    def check_restart(self, win):
        yield 2000
        size = (win.width(), win.height())
        self.note(size == (1000, 700), f"restart: window came back at {size[0]}x{size[1]} (left at 1000x700)")
        tab = win.current_tab()
        self.note(tab is not None and tab.info.key == self.keys[0], f"restart: tab {tab.info.key if tab else None}")
        for key in self.keys:
            t = win.tab_widget(key)
            labels = [t.model_list.itemText(i) for i in range(t.model_list.count())]
            self.note(any("stopped at" in s for s in labels), f"restart: {key} lists its stopped run")
        yield self.until(lambda: getattr(tab, "latest", "n/a") is not None, 90, "restart: a live result")
        yield 1000
        self.shoot("after-restart")


def main() -> int:
    out = Path(sys.argv[1]).resolve()
    steps = int(sys.argv[sys.argv.index("--steps") + 1]) if "--steps" in sys.argv else 40
    out.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PAPERZOO_SETTINGS", str(out / "settings.ini"))
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    from desktop.app import main as app_main
    from engines.registry import default_registry

    keys = [k for k in default_registry().keys() if not os.environ.get("WALK_TABS")
            or k in os.environ["WALK_TABS"].split(",")]
    if "--phase" not in sys.argv:  # each phase is its own process: the second one is a real restart
        here = [sys.executable, __file__, *sys.argv[1:]]
        return sum(subprocess.run([*here, "--phase", phase]).returncode for phase in ("first", "restart"))
    phase = sys.argv[sys.argv.index("--phase") + 1]
    argv = ["--reset-settings", "--source", "demo", "--tab", keys[-1]] if phase == "first" else []
    QApplication.instance() or QApplication(sys.argv[:1])
    walk = Walk(out, keys, steps, phase)
    QTimer.singleShot(1000, walk.run)
    app_main(argv)
    return walk.failures


if __name__ == "__main__":
    raise SystemExit(main())

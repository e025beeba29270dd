"""`paperzoo`: the desktop app, plus `paperzoo infer ...` for headless inference.

    paperzoo [--tab NAME] [--source camera|camera:NAME|demo|PATH] [--device auto|cpu|cuda|openvino-bf16 ...]
             [--window-size WxH] [--screenshot PNG --quit-after-ms N] [--reset-settings]
    paperzoo train TAB [--steps N] [--json OUT]
    paperzoo infer detection INPUT --out ANNOTATED.png --json RESULT.json
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

T_START = time.perf_counter()


def _window_size(text: str) -> tuple[int, int]:
    """"900x600" -> (900, 600); anything else is a usage error."""
    w, sep, h = text.lower().partition("x")
    if not (sep and w.isdigit() and h.isdigit() and int(w) > 0 and int(h) > 0):
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 900x600, not {text!r}")
    return int(w), int(h)


def _version() -> str:
    from engines.system_check import version

    return version()


def parse_args(argv: list[str]) -> argparse.Namespace:
    from engines.backends.choice import PRECISIONS
    from engines.registry import default_registry

    backend_devices = [f"{b}-{p}" for b, ps in PRECISIONS.items() for p in ps]  # e.g. openvino-bf16
    tabs = default_registry().keys()
    p = argparse.ArgumentParser(prog="paperzoo", description="Deep-learning papers, live on your camera.")
    p.add_argument("--tab", default=None, choices=tabs, metavar="TAB", help=f"tab to open first: {', '.join(tabs)}")
    p.add_argument("--source", default=None, help="camera | camera:NAME | demo | PATH (image, video, folder)")
    p.add_argument("--device", default=None, choices=["auto", "cpu", "cuda", "mps", *backend_devices],
                   help="auto (default): the GPU, else the fastest CPU backend that passes its accuracy gate")
    p.add_argument("--screenshot", default=None, help="save a PNG of the main window, then exit")
    p.add_argument("--window-size", default=None, type=_window_size, metavar="WxH",
                   help="e.g. 900x600 (instead of the last size)")
    p.add_argument("--reset-settings", action="store_true", help="forget what earlier launches remembered")
    p.add_argument("--version", action="version", version=f"paperzoo {_version()}")
    p.add_argument("--quit-after-ms", type=int, default=None, help="exit after N ms (with --screenshot: shoot first)")
    p.add_argument("--wait-for-result", action="store_true",
                   help="with --screenshot: shoot only once the live tab has shown a result (up to 60 s more)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "infer":
        from engines.cli import infer_main

        return infer_main(argv[1:])
    if argv and not argv[0].startswith("-"):  # `paperzoo PAPER COMMAND ...`: the paper's command line
        from engines.cli import paper_main

        return paper_main(argv)
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    from PySide6.QtWidgets import QApplication

    from desktop.main_window import MainWindow
    from desktop.sources import CameraList, parse_source_arg

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("PaperZoo")
    from pathlib import Path

    from PySide6.QtGui import QIcon

    app.setWindowIcon(QIcon(str(Path(__file__).resolve().parent.parent / "assets" / "icons" / "paperzoo.png")))
    cameras = CameraList(app)
    choice, notice = parse_source_arg(args.source, cameras)
    from desktop.persistence import settings_store

    store = settings_store()
    if args.reset_settings:
        store.clear()
    options = {"cameras": cameras, "source_choice": choice, "device": args.device, "settings": store,
               "restore_source": args.source is None}
    window = MainWindow(options=options, first_tab=args.tab)
    if args.window_size:  # wins over the size the last launch left
        window.resize(*args.window_size)
    window.show()
    if args.window_size and (window.width(), window.height()) != args.window_size:
        logging.getLogger("paperzoo").warning("--window-size %dx%d: the window needs %dx%d",
                                              *args.window_size, window.width(), window.height())
    logging.getLogger("paperzoo").info("window shown %.2f s after start", time.perf_counter() - T_START)
    window.start()
    if not args.screenshot:
        window.check_on_start()  # a missing pretrained file: show the system check (it says what and why)
    tab = window.current_tab()
    if notice and tab is not None and hasattr(tab, "show_notice"):
        tab.show_notice(notice)
    if args.screenshot or args.quit_after_ms is not None:
        _schedule_exit(app, window, args)
    code = app.exec()
    if not window.shutdown():  # a worker is stuck in one long call: leave without destroying its thread
        logging.getLogger("paperzoo").warning("a background task did not end in time; exiting without it")
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    return code


def _schedule_exit(app, window, args) -> None:
    from PySide6.QtCore import QTimer

    delay = args.quit_after_ms if args.quit_after_ms is not None else 5000
    deadline = time.perf_counter() + delay / 1000 + (60 if args.wait_for_result else 0)

    state = {"first_result": None}

    def shoot() -> None:
        tab = window.current_tab()
        if args.wait_for_result and time.perf_counter() < deadline:
            has_result = getattr(tab, "latest", "n/a") is not None
            if has_result and state["first_result"] is None:
                state["first_result"] = time.perf_counter()
            # shoot once a result is on screen and the HUD has had 2 s to fill in
            if not has_result or time.perf_counter() - state["first_result"] < 2.0:
                QTimer.singleShot(200, shoot)
                return
        if args.screenshot:
            os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)
            window.grab().save(args.screenshot)
            print(f"screenshot saved to {args.screenshot}")
        window.close()
        app.quit()

    QTimer.singleShot(delay, shoot)


if __name__ == "__main__":
    raise SystemExit(main())

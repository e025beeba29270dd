"""The main window: one tab per registry entry, a menu, a status bar. Only the visible tab runs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QLabel, QMainWindow, QMessageBox, QTabWidget, QWidget

from desktop.tabs.base import PaperTab
from desktop.tabs.live import LiveTab
from desktop.workers import GuiThreadGC
from engines.registry import PaperRegistry, default_registry, load_object

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    def __init__(self, registry: PaperRegistry | None = None, options: dict[str, Any] | None = None,
                 first_tab: str | None = None) -> None:
        super().__init__()
        self.setWindowTitle("PaperZoo - deep-learning papers, live")
        self.resize(1280, 780)
        self.registry = registry or default_registry()
        from engines.runs import empty_trash

        empty_trash((options or {}).get("runs_root"))  # runs deleted in an earlier session are gone for good now
        self.tabs = QTabWidget(self)
        self.tabs.setUsesScrollButtons(False)  # six tabs at 900 px: their titles shorten (full title in the tooltip)
        self.tabs.setElideMode(Qt.TextElideMode.ElideRight)
        self.setCentralWidget(self.tabs)
        self.paper_tabs: dict[str, PaperTab] = {}
        for info in self.registry:
            try:
                tab = load_object(info.tab)(info, options)
            except Exception as exc:  # one broken tab must not take the app down
                log.exception("tab %s failed to build", info.key)
                tab = QLabel(f"The {info.title} tab could not be built: {exc}")
            index = self.tabs.addTab(tab, info.title)
            self.tabs.setTabToolTip(index, " / ".join(info.papers) or info.title)
            if isinstance(tab, PaperTab):
                self.paper_tabs[info.key] = tab
                tab.notice.connect(self._on_notice)
        self._active: PaperTab | None = None
        self.store = (options or {}).get("settings")  # a QSettings: remember state between launches
        if self.store is not None:
            from desktop.persistence import restore_state

            restore_state(self, self.store, restore_source=(options or {}).get("restore_source", True),
                          restore_tab=first_tab is None)
        from desktop.wheel_guard import install_wheel_guard

        install_wheel_guard()  # once per QApplication
        if first_tab:
            self.show_tab(first_tab)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        from desktop.capture import CaptureActions
        from desktop.paper_card import install_paper_cards
        from desktop.presenter import PresenterMode

        self.presenter = PresenterMode(self)
        self.capture = CaptureActions(self, (options or {}).get("captures_dir"))
        self.paper_card = install_paper_cards(self, self.tabs)
        self.system_check = None  # the Help -> System check dialog, made on first use
        self._build_menu()
        self.statusBar().showMessage("Ready")
        self.gc = GuiThreadGC(self)  # garbage is collected on this thread only, never on a worker
        self.gc.start()

    def show_tab(self, key: str) -> None:
        if key not in self.paper_tabs:
            raise KeyError(f"no tab {key!r}; known: {', '.join(self.paper_tabs)}")
        self.tabs.setCurrentWidget(self.paper_tabs[key])

    def current_tab(self) -> PaperTab | None:
        tab = self.tabs.currentWidget()
        return tab if isinstance(tab, PaperTab) else None

    def start(self) -> None:
        """Activate the visible tab (call once the window is shown)."""
        self._on_tab_changed(self.tabs.currentIndex())

    def _on_tab_changed(self, _index: int) -> None:
        if self._active is not None:
            self._active.deactivate()
        self._active = self.current_tab()
        if self._active is not None:
            self._active.activate()
            self.statusBar().showMessage(" / ".join(self._active.info.papers))

    def _on_notice(self, text: str, error: bool) -> None:
        if text:
            self.statusBar().showMessage(text, 8000)

    def _build_menu(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        view_menu = self.menuBar().addMenu("&View")
        for i, key in enumerate(self.paper_tabs):
            act = QAction(self.registry[key].title, self)
            if i < 9:
                act.setShortcut(QKeySequence(f"Ctrl+{i + 1}"))
            act.triggered.connect(lambda _checked=False, k=key: self.show_tab(k))
            view_menu.addAction(act)
        open_act = QAction("&Open image or video...", self, shortcut=QKeySequence.StandardKey.Open)
        open_act.triggered.connect(self._open)
        file_menu.addAction(open_act)
        from desktop.presenter import presenter_actions

        self.key_actions = presenter_actions(self, self.presenter, self.capture)
        file_menu.addAction(self.key_actions["snapshot"])
        file_menu.addAction(self.key_actions["record"])
        view_menu.addSeparator()
        for name in ("presenter", "training", "freeze"):
            view_menu.addAction(self.key_actions[name])
        quit_act = QAction("&Quit", self)  # StandardKey.Quit is empty on Windows and bare X11: Ctrl+Q there
        quit_act.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")])
        quit_act.triggered.connect(self.close)
        file_menu.addAction(quit_act)
        help_menu = self.menuBar().addMenu("&Help")
        keys = QAction("&Keyboard shortcuts", self)
        keys.triggered.connect(self._shortcuts)
        help_menu.addAction(keys)
        help_menu.addAction(self.paper_card.action)
        check = QAction("&System check", self)
        check.triggered.connect(self.show_system_check)
        help_menu.addAction(check)
        about = QAction("&About PaperZoo", self)
        about.triggered.connect(self._about)
        help_menu.addAction(about)

    def _open(self) -> None:
        tab = self.current_tab()
        if isinstance(tab, LiveTab):
            path, _ = QFileDialog.getOpenFileName(self, "Open an image or a video")
            if path:
                tab.open_path(Path(path))

    def _about(self) -> None:
        QMessageBox.about(self, "About PaperZoo", about_html(self.registry))

    def show_system_check(self) -> None:
        """Help -> System check (also shown at start when a pretrained file a tab needs is missing)."""
        from desktop.system_check import SystemCheckDialog

        if self.system_check is None:
            self.system_check = SystemCheckDialog(self)
        self.system_check.show()
        self.system_check.raise_()
        self.system_check.run()

    def check_on_start(self) -> bool:
        """Open the system check when a pretrained file is missing (existence only: fast). True if opened."""
        from engines.assets import all_assets, missing

        if missing(a.name for a in all_assets()):
            self.show_system_check()
            return True
        return False

    def shortcut_lines(self) -> list[str]:
        """Every menu action that has a shortcut, as "KEYS  what"."""
        lines = []
        for menu_action in self.menuBar().actions():
            for act in menu_action.menu().actions():
                if not act.shortcut().isEmpty():
                    text = act.text().replace("&", "")
                    lines.append(f"{act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)}  {text}")
        return lines

    def _shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", "\n".join(self.shortcut_lines()))

    def closeEvent(self, event) -> None:  # noqa: N802
        if self.store is not None:
            from desktop.persistence import save_state

            save_state(self, self.store)
        self.presenter.set_active(False)
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> bool:
        """Stop every tab's workers and sources and wait for them. True if every thread ended."""
        self._active = None
        self.capture.shutdown()
        if self.system_check is not None:
            self.system_check.workers.stop_all(2000)
        stopped = all(tab.shutdown() for tab in self.paper_tabs.values())
        self.gc.stop()
        return stopped

    def tab_widget(self, key: str) -> QWidget:
        return self.paper_tabs[key]


def about_html(registry) -> str:
    """Version, the papers of every tab, and the licence of every pretrained and shipped weights file."""
    from engines.assets import all_assets
    from engines.system_check import version

    papers = "<br>".join(f"<b>{i.title}</b>: {'; '.join(i.papers)}" for i in registry)
    fetched = "<br>".join(f"{a.name}: {a.licence} ({a.archive.name})" for a in all_assets())
    return (f"<h3>PaperZoo {version()}</h3>Deep-learning papers, live on your camera. MIT licence.<br><br>"
            f"{papers}<br><br><b>Pretrained files (fetched once, sha256-checked)</b><br>{fetched}<br><br>"
            "<b>Weights we trained</b> (assets/weights, MIT): how each was made is in assets/weights/MANIFEST.md")

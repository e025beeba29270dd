"""The main window: one tab per registry entry, a menu, a status bar. Only the visible tab runs."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

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
        self.setCentralWidget(self.tabs)
        self.paper_tabs: dict[str, PaperTab] = {}
        for info in self.registry:
            try:
                tab = load_object(info.tab)(info, options)
            except Exception as exc:  # one broken tab must not take the app down
                log.exception("tab %s failed to build", info.key)
                tab = QLabel(f"The {info.title} tab could not be built: {exc}")
            self.tabs.addTab(tab, info.title)
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
        quit_act = QAction("&Quit", self)  # StandardKey.Quit is empty on Windows and bare X11: Ctrl+Q there
        quit_act.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Quit) or [QKeySequence("Ctrl+Q")])
        quit_act.triggered.connect(self.close)
        file_menu.addAction(quit_act)
        help_menu = self.menuBar().addMenu("&Help")
        keys = QAction("&Keyboard shortcuts", self)
        keys.triggered.connect(self._shortcuts)
        help_menu.addAction(keys)
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
        lines = [f"<b>{i.title}</b>: {'; '.join(i.papers)}" for i in self.registry]
        text = "PaperZoo runs deep-learning papers live.<br><br>" + "<br>".join(lines)
        QMessageBox.about(self, "About PaperZoo", text)

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
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> bool:
        """Stop every tab's workers and sources and wait for them. True if every thread ended."""
        self._active = None
        stopped = all(tab.shutdown() for tab in self.paper_tabs.values())
        self.gc.stop()
        return stopped

    def tab_widget(self, key: str) -> QWidget:
        return self.paper_tabs[key]

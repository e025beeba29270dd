"""What the app remembers between launches (QSettings): window geometry, the last tab, and per tab
its source, model and control values.

PAPERZOO_SETTINGS=/path/file.ini keeps the settings in that file (tests, a portable install).
Controls are found by attribute name on the tab (`self.tau`, `self.skeleton_box` ...), so a new
slider or check box on a tab is remembered without code; the training panel's form is not.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QSlider,
    QSpinBox,
    QWidget,
)

CONTROL_TYPES = (QSlider, QCheckBox, QSpinBox, QDoubleSpinBox, QComboBox)
# momentary state, not a preference: a restored "freeze" would show ticked over a live view, and a restored
# device would name one the engine does not run on (--device picks it per launch). A tab may add its own
# attribute names in `not_remembered`.
NOT_REMEMBERED = frozenset({"freeze_box", "device_combo"})


def settings_store() -> QSettings:
    path = os.environ.get("PAPERZOO_SETTINGS")
    if path:
        return QSettings(path, QSettings.Format.IniFormat)
    return QSettings("PaperZoo", "PaperZoo")


def tab_controls(tab: QWidget) -> dict[str, QWidget]:
    from desktop.widgets.training_panel import TrainingPanel

    found = {}
    skip = NOT_REMEMBERED | set(getattr(tab, "not_remembered", ()))
    for name, value in vars(tab).items():
        if name in skip:
            continue
        if isinstance(value, CONTROL_TYPES) and not name.startswith("_") and value not in found.values():
            parent = value.parentWidget()
            while parent is not None and not isinstance(parent, TrainingPanel):
                parent = parent.parentWidget()
            if parent is None:
                found[name] = value
    return found


def control_value(w: QWidget) -> Any:
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, QComboBox):
        return w.currentText()
    return w.value()


def _restore(w: QWidget, value: Any) -> None:
    """Set a control from its stored value (INI files give strings back); activates a chosen combo item."""
    if isinstance(w, QCheckBox):
        w.setChecked(str(value).lower() in ("true", "1"))
    elif isinstance(w, QComboBox):
        i = w.findText(str(value))
        if i >= 0 and i != w.currentIndex() and not str(value).startswith("Open "):
            w.setCurrentIndex(i)
            w.activated.emit(i)
    elif isinstance(w, QDoubleSpinBox):
        w.setValue(float(value))
    else:
        w.setValue(int(float(value)))


def source_text(choice: Any) -> str:
    """A source choice as `--source` would name it ("demo", "camera:NAME", a path); "" for others."""
    kind = getattr(choice, "kind", "")
    if kind == "demo":
        return "demo"
    if kind == "camera" and getattr(choice, "camera", None) is not None:
        return f"camera:{choice.camera.label}"
    if kind == "file" and getattr(choice, "path", None) is not None:
        return str(Path(choice.path).resolve())
    return ""


def save_state(window: Any, store: QSettings | None = None) -> None:
    store = store or settings_store()
    store.setValue("window/geometry", window.saveGeometry())
    store.setValue("window/size", f"{window.width()}x{window.height()}")
    tab = window.current_tab()
    if tab is not None:
        store.setValue("window/tab", tab.info.key)
    for key, tab in window.paper_tabs.items():
        for name, w in tab_controls(tab).items():
            store.setValue(f"tabs/{key}/{name}", control_value(w))
        source = source_text(getattr(tab, "choice", None))
        if source:
            store.setValue(f"tabs/{key}/source", source)
    store.sync()


def restore_state(window: Any, store: QSettings | None = None, restore_source: bool = True,
                  restore_tab: bool = True) -> None:
    """Apply saved state to a freshly built window (before window.start()). Anything stale is skipped."""
    store = store or settings_store()
    geometry = store.value("window/geometry")
    if geometry is not None:
        window.restoreGeometry(geometry)  # position and maximised state
    size = str(store.value("window/size") or "")
    if "x" in size:  # restoreGeometry squeezes into the screen Qt reports; the size the user left wins
        w, _, h = size.partition("x")
        if w.isdigit() and h.isdigit():
            window.resize(int(w), int(h))
    last = store.value("window/tab")
    if restore_tab and last in window.paper_tabs:
        window.show_tab(last)
    for key, tab in window.paper_tabs.items():
        for name, w in tab_controls(tab).items():
            value = store.value(f"tabs/{key}/{name}")
            if value is not None:
                try:
                    _restore(w, value)
                except (TypeError, ValueError):
                    continue
        source = store.value(f"tabs/{key}/source")
        if restore_source and source and hasattr(tab, "set_source"):
            _restore_source(tab, str(source))


def _restore_source(tab: Any, text: str) -> None:
    from desktop.sources import parse_source_arg

    if text not in ("demo",) and not text.startswith("camera:") and not Path(text).exists():
        return  # the file is gone: keep the default
    choice, notice = parse_source_arg(text, tab.cameras)
    if not notice:
        tab.choice = choice
        tab.source_bar.show_choice(choice)

"""The training form's fields: one widget per config dataclass field, chosen by the default's type (a check box,
an int or float spin box, a line edit, or a path with a browse button), and how to read and set them."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)


def _plain_widget(value):
    if isinstance(value, bool):
        w = QCheckBox()
        w.setChecked(value)
    elif isinstance(value, int):
        w = QSpinBox()
        w.setRange(-1_000_000_000, 1_000_000_000)
        w.setValue(value)
    elif isinstance(value, float):
        w = QDoubleSpinBox()
        w.setDecimals(6)
        w.setRange(-1e9, 1e9)
        w.setSingleStep(abs(value) / 10 if value else 0.1)
        w.setValue(value)
    else:
        w = QLineEdit(str(value))
    return w


PATH_FIELDS = ("data", "dataset", "video", "folder", "path")


class PathField(QWidget):
    """A text field with a browse button (folders for data sets, files otherwise)."""

    def __init__(self, value: str, folder: bool) -> None:
        super().__init__()
        self.edit = QLineEdit(value)
        browse = QPushButton("...")
        browse.setFixedWidth(30)
        browse.clicked.connect(self._browse)
        self._folder = folder
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)

    def text(self) -> str:
        return self.edit.text()

    def setText(self, value: str) -> None:  # noqa: N802 (Qt naming, like QLineEdit)
        self.edit.setText(value)

    def _browse(self) -> None:
        if self._folder:
            path = QFileDialog.getExistingDirectory(self, "Choose a folder")
        else:
            path, _ = QFileDialog.getOpenFileName(self, "Choose a file")
        if path:
            self.edit.setText(path)


def field_value(w):
    """The value a field widget holds (bool, int, float or str)."""
    if isinstance(w, QCheckBox):
        return w.isChecked()
    if isinstance(w, (QSpinBox, QDoubleSpinBox)):
        return w.value()
    return w.text()


def field_widget(name: str, value) -> QWidget:
    """The widget for config field `name` with default `value` (paths: data/dataset/video/folder/path, *_path,
    *_dir get a browse button; folders for data sets)."""
    if isinstance(value, str) and (name in PATH_FIELDS or name.endswith(("_path", "_dir"))):
        return PathField(value, folder=name in ("data", "dataset", "folder"))
    return _plain_widget(value)


def set_field_value(w: QWidget, value) -> None:
    """Put `value` into a field widget made by field_widget."""
    if isinstance(w, QCheckBox):
        w.setChecked(bool(value))
    elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
        w.setValue(value)
    else:
        w.setText(str(value))

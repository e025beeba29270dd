"""The desktop product's pieces in the real window: paper cards, system check, snapshot with settings,
recording to MP4, presenter mode and the shortcut list, --version."""

from __future__ import annotations

import json

import cv2
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from engines.png_text import read_png_text


def test_the_paper_card_follows_the_tab(qtbot, make_window):
    window = make_window("detection")
    qtbot.mouseClick(window.paper_card.button, Qt.MouseButton.LeftButton)
    assert window.paper_card.isVisible() and "YOLO" in window.paper_card.text.toPlainText()
    window.show_tab("sketch")
    assert "sketch-rnn" in window.paper_card.text.toPlainText()
    qtbot.mouseClick(window.paper_card.button, Qt.MouseButton.LeftButton)
    assert not window.paper_card.isVisible()


def test_system_check_lists_everything_and_copies_it(qtbot, make_window):
    window = make_window("sketch")
    window.show_system_check()
    dialog = window.system_check
    qtbot.waitUntil(lambda: not dialog.summary.text().startswith("Checking"), timeout=120_000)
    text = dialog.report_text()
    for needed in ("torch", "GPU", "Qt multimedia", "cameras", "data folder", "pretrained files", "vtest.avi"):
        assert needed in text
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == text
    dialog.close()


def test_a_missing_pretrained_file_opens_the_system_check(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window("sketch")
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path))  # a data folder with nothing fetched
    assert window.check_on_start() and window.system_check.isVisible()
    qtbot.waitUntil(lambda: "problem" in window.system_check.summary.text(), timeout=60_000)
    window.system_check.close()


def test_snapshot_carries_its_settings(qtbot, make_window, tmp_path):
    window = make_window("detection", captures_dir=tmp_path)
    tab = window.tab_widget("detection")
    qtbot.waitUntil(lambda: tab.latest is not None, timeout=60_000)
    qtbot.keyClick(window, Qt.Key.Key_S)
    shots = list(tmp_path.glob("detection-*.png"))
    assert len(shots) == 1, window.statusBar().currentMessage()
    settings = json.loads(read_png_text(shots[0])["paperzoo:settings"])
    assert settings["paper"] == "detection" and settings["model"] == tab.model_list.currentText()
    assert "conf_slider" in json.dumps(settings["controls"]) or settings["controls"]
    assert json.loads(shots[0].with_suffix(".json").read_text()) == settings
    assert cv2.imread(str(shots[0])) is not None


def test_recording_writes_an_mp4_of_the_view(qtbot, make_window, tmp_path):
    window = make_window("detection", captures_dir=tmp_path)
    tab = window.tab_widget("detection")
    qtbot.waitUntil(lambda: tab.latest is not None, timeout=60_000)
    window.capture.toggle_recording()
    qtbot.waitUntil(lambda: window.capture.badge.text().endswith("00:01"), timeout=20_000)
    with qtbot.waitSignal(window.capture.recorder.ended, timeout=30_000) as ended:
        window.capture.toggle_recording()
    video = cv2.VideoCapture(ended.args[0])
    frames = int(video.get(cv2.CAP_PROP_FRAME_COUNT))
    ok, frame = video.read()
    assert ok and frames >= 5, ended.args
    assert frame.shape[1] == window.capture.recorder.size[0] and frame.shape[0] == window.capture.recorder.size[1]


def test_presenter_mode_enlarges_and_hides_the_side_controls(qtbot, make_window):
    window = make_window("detection")
    tab = window.tab_widget("detection")
    points = QApplication.font().pointSizeF()
    window.key_actions["presenter"].trigger()
    assert window.isFullScreen() or window.windowState() & Qt.WindowState.WindowFullScreen
    assert not tab.side_column.isVisible() and tab.view.hud_points > 9
    assert QApplication.font().pointSizeF() > points
    window.key_actions["presenter"].trigger()
    assert tab.side_column.isVisible() and QApplication.font().pointSizeF() == pytest.approx(points)


def test_the_shortcut_list_names_the_presenter_keys(make_window):
    lines = "\n".join(make_window("sketch").shortcut_lines())
    for key in ("F11", "Space", "S  ", "R  ", "T  ", "F1", "Ctrl+1"):
        assert key in lines, lines


def test_version_flag(capsys):
    from desktop.app import main

    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0 and capsys.readouterr().out.startswith("paperzoo ")

"""Launch the real app as a user would and check the screenshot it writes."""

import os
import subprocess
import sys

import cv2
import pytest

from tests.conftest import require_assets


@pytest.fixture(autouse=True)
def own_settings(tmp_path, monkeypatch):
    """Each launch remembers into its own file, never the user's settings (nor reads them)."""
    path = tmp_path / "settings.ini"
    monkeypatch.setenv("PAPERZOO_SETTINGS", str(path))
    return path


def test_app_launches_and_saves_a_screenshot(tmp_path):
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-m", "desktop.app", "--source", "demo", "--screenshot", str(shot),
                          "--quit-after-ms", "1500", "--wait-for-result"],
                         capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    image = cv2.imread(str(shot))
    assert image is not None and image.shape[0] > 400 and image.std() > 10
    assert "window shown" in out.stderr


def _launch(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([sys.executable, "-m", "desktop.app", "--source", "demo", *args],
                         capture_output=True, text=True, timeout=180, env=env)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
    return out


def test_window_size_sets_the_screenshot_size_and_is_remembered(tmp_path, own_settings):
    shot = tmp_path / "small.png"
    _launch("--window-size", "900x600", "--tab", "pose", "--screenshot", str(shot), "--quit-after-ms", "300")
    assert cv2.imread(str(shot)).shape[:2] == (600, 900)
    assert own_settings.is_file(), "closing the window saved nothing"
    again = tmp_path / "again.png"
    out = _launch("--screenshot", str(again), "--quit-after-ms", "300")  # no --tab, no size: last launch's
    assert cv2.imread(str(again)).shape[:2] == (600, 900), out.stderr[-2000:]
    assert "tab=pose" in own_settings.read_text()


def test_a_malformed_window_size_is_a_usage_error():
    out = subprocess.run([sys.executable, "-m", "desktop.app", "--window-size", "900by600"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "WIDTHxHEIGHT" in out.stderr


def test_an_unknown_tab_is_a_usage_error_that_lists_every_tab():
    out = subprocess.run([sys.executable, "-m", "desktop.app", "--tab", "segmentation"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "'style'" in out.stderr and "'gan'" in out.stderr


def test_view_menu_switches_tabs_and_help_lists_every_shortcut(make_window):
    window = make_window("detection")
    menus = {a.text().replace("&", ""): a.menu() for a in window.menuBar().actions()}
    assert list(menus) == ["File", "View", "Help"]
    keys = list(window.paper_tabs)
    menus["View"].actions()[1].trigger()
    assert window.current_tab() is window.tab_widget(keys[1])
    lines = window.shortcut_lines()
    for i in range(min(9, len(keys))):
        assert any(line.startswith(f"Ctrl+{i + 1} ") for line in lines), lines
    assert any("Quit" in line for line in lines) and any("Open" in line for line in lines)

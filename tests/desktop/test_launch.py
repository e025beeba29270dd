"""Launch the real app as a user would and check the screenshot it writes."""

import os
import subprocess
import sys

import cv2

from tests.conftest import require_assets


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

"""Full-resolution compositing in strips: same pixels as the whole-image path, bounded peak memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import cv2
import numpy as np
import pytest

from engines.colorization.fullres import compose

from .conftest import synthetic_photo


def whole_image_compose(image: np.ndarray, ab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The engine's compositing before strips (one full-size Lab, one full-size float a*b*)."""
    bgr = image if image.ndim == 3 and image.shape[2] == 3 else cv2.cvtColor(
        image, cv2.COLOR_BGRA2BGR if image.ndim == 3 else cv2.COLOR_GRAY2BGR)
    lab8 = cv2.cvtColor(bgr, cv2.COLOR_BGR2Lab)
    h, w = bgr.shape[:2]
    big_ab = cv2.resize(ab, (w, h), interpolation=cv2.INTER_LINEAR)
    out, gray = lab8.copy(), lab8.copy()
    out[..., 1:] = np.clip(big_ab + 128.0 + 0.5, 0, 255).astype(np.uint8)
    gray[..., 1:] = 128
    return cv2.cvtColor(out, cv2.COLOR_Lab2BGR), cv2.cvtColor(gray, cv2.COLOR_Lab2BGR)


@pytest.mark.parametrize(("shape", "ab_hw"), [
    ((301, 457, 3), (43, 64)),   # upsampled 7x, strips cut between source rows
    ((250, 250), (64, 64)),      # gray input
    ((97, 131, 4), (47, 64)),    # BGRA, a scale that is not an integer
    ((40, 30, 3), (64, 48)),     # a picture smaller than the net's input: a*b* are downsampled
])
def test_strips_give_the_whole_image_result(shape, ab_hw) -> None:
    rng = np.random.default_rng(1)
    image = synthetic_photo(rng, *shape[:2])
    if len(shape) == 2:
        image = image[..., 1].copy()
    elif shape[2] == 4:
        image = np.dstack([image, rng.integers(0, 256, shape[:2], dtype=np.uint8)])
    ab = rng.uniform(-90, 90, (*ab_hw, 2)).astype(np.float32)
    ab = cv2.GaussianBlur(ab, (5, 5), 0)
    ref_colorized, ref_gray = whole_image_compose(image, ab)
    for rows in (1, 7, 64, shape[0]):
        colorized, gray = compose(image, ab, strip_rows=rows)
        assert np.array_equal(colorized, ref_colorized), rows
        assert np.array_equal(gray, ref_gray), rows


CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    from engines.colorization.engine import ColorizationEngine
    eng = ColorizationEngine()
    eng.load(sys.argv[1])
    eng.infer(np.zeros((64, 64, 3), np.uint8))
    h, w = int(sys.argv[2]), int(sys.argv[3])
    tile = np.random.default_rng(0).integers(0, 256, (500, 500, 3), dtype=np.uint8)
    image = np.empty((h, w, 3), np.uint8)
    for y in range(0, h, 500):
        for x in range(0, w, 500):
            part = image[y:y + 500, x:x + 500]
            part[...] = tile[:part.shape[0], :part.shape[1]]
    rss = lambda: int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024
    before = rss()
    res = eng.infer(image)
    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child spawned by a 4 GB test process
    # reported the parent's 4 GB as its own peak
    peak = int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
    print(json.dumps({"before_mb": before, "peak_mb": peak, "shape": list(res.colorized.shape)}))
""")


def test_a_40_megapixel_photo_colorizes_in_bounded_memory(tiny_weights) -> None:
    """Peak growth while colorizing 7000 x 5700: the two uint8 outputs (6 B/px, 228 MiB) and strips.

    Measured with the shipped weights: the whole-image path grew by 1,296 MiB, strips by 266 MiB."""
    h, w = 5700, 7000
    out = subprocess.run([sys.executable, "-c", CHILD, str(tiny_weights), str(h), str(w)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    figures = json.loads(out.stdout.strip().splitlines()[-1])
    assert figures["shape"] == [h, w, 3]
    outputs_mb = 6 * h * w / 2**20
    assert figures["peak_mb"] - figures["before_mb"] < outputs_mb + 150, figures

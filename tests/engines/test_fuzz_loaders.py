"""Fuzz every file format we read: damaged copies of real files must load or raise EngineError, nothing else.

Cases are generated from a seeded RNG (repeatable): truncations, bit flips, byte overwrites, numbers in
text formats replaced by huge/negative/non-numeric values. Each format's cases run in one child process
under RLIMIT_AS (3 GiB) and a time limit: a crash, a hang or memory past the limit fails the test with the
case that caused it. Default run: 30 cases per format; --run-slow: 300.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import re
import zlib
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import require_assets

ROOT = Path(__file__).resolve().parents[2]
WEIGHTS = ROOT / "assets" / "weights"
TINY_CFG = """[net]
width=64
height=64
channels=3

[convolutional]
batch_normalize=1
filters=8
size=3
stride=1
pad=1
activation=leaky

[maxpool]
size=2
stride=2

[convolutional]
filters=12
size=1
stride=1
pad=1
activation=linear

[region]
anchors=1,1,2,2
classes=1
num=2
"""


def _mutate(data: bytes, rng: np.random.Generator, text: bool) -> bytes:
    kind = rng.integers(0, 4 if text else 3)
    buf = bytearray(data)
    if kind == 0 and buf:  # truncation
        return bytes(buf[: int(rng.integers(0, len(buf)))])
    if kind == 1 and buf:  # bit flips
        for _ in range(int(rng.integers(1, 9))):
            i = int(rng.integers(0, len(buf)))
            buf[i] ^= 1 << int(rng.integers(0, 8))
        return bytes(buf)
    if kind == 2 and buf:  # a run of random bytes
        i = int(rng.integers(0, len(buf)))
        n = int(rng.integers(1, 64))
        buf[i:i + n] = rng.integers(0, 256, n, dtype=np.uint8).tobytes()
        return bytes(buf)
    numbers = list(re.finditer(rb"-?\d+(\.\d+)?", data))  # text: one number becomes a hostile value
    if not numbers:
        return data
    m = numbers[int(rng.integers(0, len(numbers)))]
    value = [b"0", b"-3", b"999999999", b"20000", b"1e30", b"nan", b"abc", b""][int(rng.integers(0, 8))]
    return data[:m.start()] + value + data[m.end():]


def _load_cfg(path: Path) -> None:
    from engines.importers.darknet import load_darknet

    load_darknet(path)


def _load_weights(path: Path) -> None:
    from engines.importers.darknet import load_darknet

    cfg = path.with_name("tiny.cfg")
    cfg.write_text(TINY_CFG)
    load_darknet(cfg, path)


def _load_sketch(path: Path) -> None:
    from engines.sketch.engine import SketchEngine

    SketchEngine().load(path, "cpu")


def _load_student(path: Path) -> None:
    from engines.pose.model import load_student

    load_student(path)


def _load_colorization(path: Path) -> None:
    from engines.colorization.engine import ColorizationEngine

    ColorizationEngine().load(path, "cpu")


def _load_image(path: Path) -> None:
    from engines.images import read_image

    read_image(path)


def _load_npz(path: Path) -> None:
    from engines.sketch.data import read_quickdraw_npz

    read_quickdraw_npz(path)  # the parser itself (in the app it runs in engines.sandbox)


def _load_tflite(path: Path) -> None:
    from engines.importers.tflite import load_tflite

    load_tflite(path)


def _load_checkpoint(path: Path) -> None:
    from engines.training import load_checkpoint

    load_checkpoint(path)


def _tflite(tmp: Path) -> bytes:
    from engines import assets

    return assets.require("pose_landmark_full.tflite").read_bytes()


def _checkpoint(tmp: Path) -> bytes:
    import torch

    from engines.training import save_checkpoint

    return save_checkpoint(tmp / "ck.pt", {"step": 3, "task": {"w": torch.ones(4, 4)}, "config": {}}).read_bytes()


def _tiny_weights() -> bytes:
    n = 4 * 8 + 8 * 3 * 9 + 12 + 12 * 8
    head = np.array([0, 2, 0], np.int32).tobytes() + np.array([0], np.int64).tobytes()
    return head + np.random.default_rng(0).standard_normal(n).astype(np.float32).tobytes()


def _quickdraw_npz(tmp: Path) -> bytes:
    strokes = np.empty(3, dtype=object)
    for i in range(3):
        strokes[i] = np.array([[1, 2, 0], [3, -1, 0], [0, 4, 1]], np.int16) * (i + 1)
    np.savez(tmp / "qd.npz", train=strokes, valid=strokes[:1], test=strokes[:1])
    return (tmp / "qd.npz").read_bytes()


def _png() -> bytes:
    import cv2

    ok, buf = cv2.imencode(".png", np.random.default_rng(0).integers(0, 255, (40, 60, 3), dtype=np.uint8))
    return buf.tobytes()


FORMATS = {  # name: (loader, sample maker, suffix, text?)
    "darknet-cfg": (_load_cfg, lambda tmp: TINY_CFG.encode(), ".cfg", True),
    "darknet-weights": (_load_weights, lambda tmp: _tiny_weights(), ".weights", False),
    "sketch-pt": (_load_sketch, lambda tmp: (WEIGHTS / "sketch_icons.pt").read_bytes(), ".pt", False),
    "pose-student": (_load_student, lambda tmp: (WEIGHTS / "pose_hourglass.pt").read_bytes(), ".pt", False),
    "colorization-pt": (_load_colorization, lambda tmp: (WEIGHTS / "colorization.pt").read_bytes(), ".pt", False),
    "image-png": (_load_image, lambda tmp: _png(), ".png", False),
    "quickdraw-npz": (_load_npz, _quickdraw_npz, ".npz", False),
    "tflite": (_load_tflite, _tflite, ".tflite", False),
    "checkpoint": (_load_checkpoint, _checkpoint, ".pt", False),
}


def _run_cases(name: str, count: int, tmp: str, report: str) -> None:
    """Child: run `count` mutated copies of the format's sample; write one JSON line per non-EngineError."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
    import torch

    torch.set_num_threads(1)
    from engines.base import EngineError

    loader, sample, suffix, text = FORMATS[name]
    base = sample(Path(tmp))
    rng = np.random.default_rng(zlib.crc32(name.encode()))  # the same cases every run
    with open(report, "w", encoding="utf-8") as out:
        for case in range(count):
            path = Path(tmp) / f"case{suffix}"
            path.write_bytes(_mutate(base, rng, text))
            out.write(json.dumps({"case": case, "started": True}) + "\n")
            out.flush()
            try:
                loader(path)
            except EngineError:
                pass
            except Exception as exc:  # the finding: a raw error reached the caller
                out.write(json.dumps({"case": case, "error": f"{type(exc).__name__}: {exc}"[:300]}) + "\n")
                out.flush()


@pytest.mark.parametrize("name", list(FORMATS))
def test_damaged_files_load_or_raise_engine_error(tmp_path, request, name):
    if name == "tflite":
        require_assets("pose_landmark_full.tflite")
    count = 300 if request.config.getoption("--run-slow") else 30
    report = tmp_path / "report.jsonl"
    child = mp.get_context("spawn").Process(target=_run_cases, args=(name, count, str(tmp_path), str(report)))
    child.start()
    child.join(240)
    if child.is_alive():
        child.kill()
    lines = [json.loads(line) for line in report.read_text().splitlines()] if report.is_file() else []
    last = max((r["case"] for r in lines), default=-1)
    errors = [r for r in lines if "error" in r]
    assert child.exitcode == 0, f"{name}: the child ended with {child.exitcode} at case {last} of {count}"
    assert not errors, f"{name}: {len(errors)} of {count} cases raised something else: {errors[:3]}"

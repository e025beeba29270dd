"""Fuzz every file format we read: damaged copies of real files must load or raise EngineError, nothing else.

Cases are generated from a seeded RNG (repeatable): truncations, bit flips, byte overwrites, numbers in
text formats replaced by huge/negative/non-numeric values; for videos half the damage hits the header,
including 32-bit header words set to hostile values. Each format's cases run in one child process
under RLIMIT_AS (3 GiB beyond what its imports mapped) and a time limit: a crash, a hang or memory past
the limit fails the test with the case that caused it. Default run: 30 cases per format; --run-slow: 300.
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


def _mutate(data: bytes, rng: np.random.Generator, text: bool, head: int = 0) -> bytes:
    """One damaged copy; with `head`, half the cases aim their damage at the first `head` bytes (a header),
    and a fourth kind sets one 32-bit header word to a hostile value (a declared size, a count)."""
    kind = rng.integers(0, 4 if text or head else 3)
    buf = bytearray(data)
    span = min(len(buf), head) if head and rng.random() < 0.5 else len(buf)
    if kind == 3 and head and len(buf) >= 4:
        i = 4 * int(rng.integers(0, min(len(buf), head) // 4))
        value = [0, 1, 16000, 65535, 1 << 20, (1 << 31) - 1, 1 << 31, (1 << 32) - 1][int(rng.integers(0, 8))]
        buf[i:i + 4] = value.to_bytes(4, "little" if rng.random() < 0.5 else "big")
        return bytes(buf)
    if kind == 0 and buf:  # truncation
        return bytes(buf[: int(rng.integers(0, span))])
    if kind == 1 and buf:  # bit flips
        for _ in range(int(rng.integers(1, 9))):
            i = int(rng.integers(0, span))
            buf[i] ^= 1 << int(rng.integers(0, 8))
        return bytes(buf)
    if kind == 2 and buf:  # a run of random bytes
        i = int(rng.integers(0, span))
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


def _load_kanji_svg(path: Path) -> None:
    from engines.sketch.data import read_kanji_svg

    read_kanji_svg(path.read_bytes(), path.name)


def _load_icons(path: Path) -> None:
    from engines.sketch.data import build_icons

    build_icons(path)


def _load_video(path: Path) -> None:
    """The two video readers: video_frames (training data) and the live source (open, then read, looping)."""
    from engines.base import EngineError
    from engines.frame_sources import VideoFileSource
    from engines.frames import SourceLost, video_frames

    for _ in video_frames(path, limit=6):
        pass
    source = VideoFileSource(path, loop=True)
    try:
        source._open()
        for _ in range(10):
            if source._read() is None:
                break
    except SourceLost as exc:  # the live source's own clear error (shown in the tab)
        raise EngineError(str(exc)) from exc
    finally:
        source._close()


def _download(name: str) -> Path:
    from engines.assets import data_dir

    path = data_dir() / "downloads" / name
    if not path.is_file():
        raise FileNotFoundError(f"{name} not downloaded; run `python -m engines.assets fetch`")
    return path


def _kanji_svg(tmp: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(_download("kanjivg-20260714-py3-none-any.whl")) as zf:
        return zf.read("kanji/06f22.svg")  # a real KanjiVG file (13 curved strokes)


def _icons_json(tmp: Path) -> bytes:
    from engines import assets

    icons = json.loads(assets.require("tabler-nodes-outline.json").read_text(encoding="utf-8"))
    names = ["circle", "square", "star", "heart", "arrow-left", "brand-github", "polygon", "line"]
    return json.dumps({n: icons[n] for n in names if n in icons}).encode()


def _vtest_avi(tmp: Path) -> bytes:
    from engines import assets

    return assets.require("vtest.avi").read_bytes()  # 8 MB, 795 frames (MPEG-4 part 2 in AVI)


def _vtest_mp4(tmp: Path) -> bytes:
    """The first 20 frames of vtest.avi re-encoded as MPEG-4 in an .mp4 (about 300 KB)."""
    import cv2

    from engines import assets

    cap = cv2.VideoCapture(str(assets.require("vtest.avi")))
    out = cv2.VideoWriter(str(tmp / "clip.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (768, 576))
    for _ in range(20):
        out.write(cap.read()[1])
    out.release()
    cap.release()
    return (tmp / "clip.mp4").read_bytes()


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


FORMATS = {  # name: (loader, sample maker, suffix, text?[, header bytes that half the damage aims at])
    "darknet-cfg": (_load_cfg, lambda tmp: TINY_CFG.encode(), ".cfg", True),
    "darknet-weights": (_load_weights, lambda tmp: _tiny_weights(), ".weights", False),
    "sketch-pt": (_load_sketch, lambda tmp: (WEIGHTS / "sketch_icons.pt").read_bytes(), ".pt", False),
    "pose-student": (_load_student, lambda tmp: (WEIGHTS / "pose_hourglass.pt").read_bytes(), ".pt", False),
    "colorization-pt": (_load_colorization, lambda tmp: (WEIGHTS / "colorization.pt").read_bytes(), ".pt", False),
    "image-png": (_load_image, lambda tmp: _png(), ".png", False),
    "quickdraw-npz": (_load_npz, _quickdraw_npz, ".npz", False),
    "tflite": (_load_tflite, _tflite, ".tflite", False),
    "checkpoint": (_load_checkpoint, _checkpoint, ".pt", False),
    "kanjivg-svg": (_load_kanji_svg, _kanji_svg, ".svg", True),
    "tabler-icons": (_load_icons, _icons_json, ".json", True),
    "video-avi": (_load_video, _vtest_avi, ".avi", False, 16384),
    "video-mp4": (_load_video, _vtest_mp4, ".mp4", False, 4096),
}
NEEDS_ASSETS = {"tflite": ("pose_landmark_full.tflite",), "tabler-icons": ("tabler-nodes-outline.json",),
                "video-avi": ("vtest.avi",), "video-mp4": ("vtest.avi",)}
TORCH_FREE = {"kanjivg-svg", "tabler-icons", "video-avi", "video-mp4", "image-png"}


def _run_cases(name: str, count: int, tmp: str, report: str) -> None:
    """Child: run `count` mutated copies of the format's sample; write one JSON line per non-EngineError."""
    from engines.sandbox import MEMORY_BYTES, cap_address_space

    if name not in TORCH_FREE:
        import torch

        torch.set_num_threads(1)
    from engines.base import EngineError

    cap_address_space(MEMORY_BYTES)  # 3 GiB beyond what the imports mapped

    loader, sample, suffix, text, *head = FORMATS[name]
    base = sample(Path(tmp))
    rng = np.random.default_rng(zlib.crc32(name.encode()))  # the same cases every run
    with open(report, "w", encoding="utf-8") as out:
        for case in range(count):
            path = Path(tmp) / f"case{suffix}"
            path.write_bytes(_mutate(base, rng, text, *head))
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
    require_assets(*NEEDS_ASSETS.get(name, ()))
    if name == "kanjivg-svg":
        try:
            _kanji_svg(tmp_path)
        except FileNotFoundError as exc:
            pytest.skip(str(exc))
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

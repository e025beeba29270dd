"""Issue 12 regressions: a file that fails validation never half-replaces the running model.

- a Darknet model that loads but cannot run (head filters vs classes) is refused before the swap;
- a model switch takes the new model's input size;
- a sketch .pt without scale_factor, or with NaN weights, is refused and the engine keeps drawing;
- an engine that raises something other than EngineError does not end the live loop.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engines.base import EngineError
from engines.frames import Frame, LatestSlot
from engines.pipeline import LiveNotice, LiveResult, live_loop
from tests.conftest import require_assets

SKETCH = Path(__file__).resolve().parents[2] / "assets" / "weights" / "sketch_icons.pt"

BAD_HEAD_CFG = """[net]
width=64
height=64
channels=3

[convolutional]
filters=8
size=3
stride=1
pad=1
activation=leaky

[convolutional]
filters=7
size=1
stride=1
pad=0
activation=linear

[region]
anchors=1,1
classes=1
num=1
"""


def _bad_head(tmp_path: Path):
    from engines.detection.engine import DarknetWeights

    (tmp_path / "bad.cfg").write_text(BAD_HEAD_CFG)
    with open(tmp_path / "bad.weights", "wb") as f:  # header, then conv1 (8 biases, 216 weights), conv2 (7, 56)
        np.array([0, 2, 0], np.int32).tofile(f)
        np.array([0], np.int64).tofile(f)
        np.random.default_rng(0).standard_normal(8 + 216 + 7 + 56).astype(np.float32).tofile(f)
    return DarknetWeights(tmp_path / "bad.cfg", tmp_path / "bad.weights")


def test_a_darknet_model_that_cannot_run_is_refused_and_the_old_one_keeps_running(tmp_path):
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")
    from engines.detection.engine import DetectionEngine

    engine = DetectionEngine()
    engine.load(None, "cpu")
    with pytest.raises(EngineError, match="cannot run"):
        engine.load(_bad_head(tmp_path), "cpu")
    assert engine.input_size == 416 and len(engine.names) == 80
    assert engine.infer(np.zeros((240, 320, 3), np.uint8)) is not None


def test_a_model_switch_takes_the_new_models_input_size(tmp_path):
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names")
    from engines import assets
    from engines.detection.engine import DarknetWeights, DetectionEngine

    cfg = tmp_path / "small.cfg"
    cfg.write_text(assets.require("yolov3-tiny.cfg").read_text().replace("width=416", "width=320")
                   .replace("height=416", "height=320"))
    engine = DetectionEngine()
    engine.load(None, "cpu")
    engine.load(DarknetWeights(cfg, assets.require("yolov3-tiny.weights"), assets.require("coco.names")), "cpu")
    assert engine.input_size == 320


def _sketch_variant(tmp_path: Path, change) -> Path:
    payload = torch.load(SKETCH, map_location="cpu", weights_only=True)
    change(payload)
    out = tmp_path / "variant.pt"
    torch.save(payload, out)
    return out


@pytest.mark.parametrize("damage", ["no scale_factor", "NaN weights", "zero scale_factor"])
def test_a_bad_sketch_file_leaves_the_engine_as_it_was(tmp_path, damage):
    from engines.sketch.engine import SketchEngine

    def change(payload):
        if damage == "no scale_factor":
            del payload["scale_factor"]
        elif damage == "zero scale_factor":
            payload["scale_factor"] = 0.0
        else:
            name = next(iter(payload["model"]))
            payload["model"][name] = torch.full_like(payload["model"][name], float("nan"))

    engine = SketchEngine()
    engine.load(SKETCH, "cpu")
    before = (engine.model, engine.scale_factor, engine.canvas_size, dict(engine.info))
    with pytest.raises(EngineError):
        engine.load(_sketch_variant(tmp_path, change), "cpu")
    assert (engine.model, engine.scale_factor, engine.canvas_size, dict(engine.info)) == before
    assert len(engine.sample(2, 0.5, 50, seed=0)) == 2


def test_an_engine_that_raises_keeps_the_live_loop_alive():
    slot = LatestSlot()
    calls = []

    def infer(frame):
        calls.append(frame)
        if len(calls) == 1:
            raise RuntimeError("shape mismatch")
        return "ok"

    def frames():
        for i in range(2):
            slot.put(Frame(np.zeros((8, 8, 3), np.uint8), float(i), i, "test"))
            yield

    feeder = frames()
    next(feeder)
    stop_after = []
    out = []
    for item in live_loop(slot, infer, lambda: len(stop_after) > 0, lambda: "cpu"):
        out.append(item)
        if isinstance(item, LiveNotice):
            next(feeder)
        if isinstance(item, LiveResult):
            stop_after.append(True)
    assert isinstance(out[0], LiveNotice) and "RuntimeError" in out[0].text
    assert isinstance(out[-1], LiveResult) and out[-1].result == "ok"


def _png_header_only(path: Path, w: int, h: int) -> Path:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 4096))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("side", [20000, 60000])
def test_an_image_that_declares_too_many_pixels_is_refused_before_decoding(tmp_path, side):
    from engines.frame_sources import StillSource
    from engines.frames import SourceLost
    from engines.images import read_image

    bomb = _png_header_only(tmp_path / "bomb.png", side, side)
    assert bomb.stat().st_size < 1000
    with pytest.raises(EngineError, match=f"{side} x {side}"):
        read_image(bomb)
    with pytest.raises(SourceLost, match="limit"):
        StillSource.from_path(bomb)._open()


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".bmp", ".webp"])
def test_image_sizes_come_from_the_header(tmp_path, suffix):
    import cv2

    from engines.images import image_size, read_image

    path = tmp_path / f"small{suffix}"
    cv2.imwrite(str(path), np.zeros((50, 70, 3), np.uint8))
    assert image_size(path) == (70, 50)
    assert read_image(path).shape == (50, 70, 3)


@pytest.mark.parametrize("keep", [16, 30_000_000])
def test_a_cut_weights_file_is_one_clear_line_on_the_cli(tmp_path, capsys, keep):
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names", "messi5.jpg")
    from engines import assets
    from engines.cli import paper_main

    cut = tmp_path / "cut.weights"
    cut.write_bytes(assets.require("yolov3-tiny.weights").read_bytes()[:keep])
    code = paper_main(["detection", "infer", str(assets.require("messi5.jpg")), "--cfg",
                       str(assets.require("yolov3-tiny.cfg")), "--weights", str(cut), "--out", str(tmp_path / "o.png")])
    err = capsys.readouterr().err
    assert code == 2 and ("truncated" in err or "ends early" in err), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_an_unexpected_error_in_a_command_is_one_line(monkeypatch, capsys):
    import engines.detection.cli as cli
    from engines.cli import paper_main

    def broken(argv=None):
        raise struct_error("unpack requires a buffer of 4 bytes")

    import struct

    struct_error = struct.error
    monkeypatch.setattr(cli, "main", broken)
    assert paper_main(["detection", "infer", "x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unpack requires") and "Traceback" not in err


BOMB_CONV = """[net]
width=64
height=64
channels=3

[convolutional]
filters=16000
size=15
stride=1
pad=1
activation=leaky

[convolutional]
filters=16000
size=15
stride=1
pad=1
activation=leaky
"""


@pytest.mark.parametrize("cfg, match", [
    (BOMB_CONV, "MiB of weights"),
    ("[net]\nwidth=20000\nheight=20000\n\n[convolutional]\nfilters=8\nsize=3\n", "=20000 must be in"),
    ("[net]\nwidth=64\nheight=64\n\n[convolutional]\nfilters=-3\nsize=3\n", "filters=-3"),
    ("[net]\nwidth=64\nheight=64\n\n[convolutional]\nfilters=eight\nsize=3\n", "not a number"),
])
def test_a_cfg_that_declares_too_much_is_refused_before_allocating(tmp_path, cfg, match):
    import resource

    from engines.importers.darknet import load_darknet

    path = tmp_path / "bomb.cfg"
    path.write_text(cfg)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(EngineError, match=match):
        load_darknet(path)
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 200_000  # KiB: nothing big was made


def test_the_budget_admits_the_models_we_ship():
    from engines import assets
    from engines.importers.darknet import parse_cfg
    from engines.importers.darknet_budget import declared_bytes

    require_assets("yolov3-tiny.cfg")
    params, acts = declared_bytes(parse_cfg(assets.require("yolov3-tiny.cfg").read_text()))
    assert 30e6 < params < 40e6 and acts < 200e6  # 8.9 M parameters, float32


@pytest.mark.parametrize("change, match", [
    (lambda p: p["config"].update(features=4096, stacks=8), "features=4096"),
    (lambda p: p.pop("task", None) or p.pop("kind"), "not a Stacked Hourglass"),
    (lambda p: p["model"].update({next(iter(p["model"])): torch.zeros(3)}), "does not fit"),
])
def test_a_crafted_pose_student_is_refused_before_building(tmp_path, change, match):
    from engines.pose.model import load_student
    from engines.training import save_checkpoint

    shipped = Path(__file__).resolve().parents[2] / "assets" / "weights" / "pose_hourglass.pt"
    payload = torch.load(shipped, map_location="cpu", weights_only=True)
    payload.pop("format", None)
    change(payload)
    bad = save_checkpoint(tmp_path / "student.pt", payload)
    with pytest.raises(EngineError, match=match):
        load_student(bad)


def test_a_colorization_config_that_would_allocate_gigabytes_is_refused():
    from engines.colorization.config import ColorizationConfig

    with pytest.raises(ValueError, match="infer_size"):
        ColorizationConfig(infer_size=30000)

"""The Darknet importer against OpenCV's own Darknet importer, on the real weights and on random ones."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from engines.base import EngineError
from engines.detection.decode import decode_rows
from engines.detection.engine import CFG_DIR, DetectionEngine
from engines.importers.darknet import ConvBN, load_darknet, parse_cfg
from tests.conftest import require_assets

PHOTOS = ("messi5.jpg", "basketball1.png")


def opencv_rows(cfg: Path, weights: Path, blob: np.ndarray) -> np.ndarray:
    net = cv2.dnn.readNetFromDarknet(str(cfg), str(weights))
    net.setInput(blob)
    return np.concatenate(net.forward(net.getUnconnectedOutLayersNames()), 0)


def ours(net, blob: np.ndarray) -> np.ndarray:
    with torch.inference_mode():
        rows = net(torch.from_numpy(blob))[0].numpy()
    rows[:, 5:][rows[:, 5:] <= 0.2] = 0  # OpenCV zeroes class scores <= its 0.2 threshold
    return rows


def street_frame() -> np.ndarray:
    from engines import assets

    cap = cv2.VideoCapture(str(assets.asset_path("vtest.avi")))
    cap.set(cv2.CAP_PROP_POS_FRAMES, 120)
    ok, frame = cap.read()
    assert ok
    return frame


@pytest.fixture(scope="module")
def yolov3_tiny():
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights", "coco.names", "vtest.avi", *PHOTOS)
    from engines import assets

    return assets.asset_path("yolov3-tiny.cfg"), assets.asset_path("yolov3-tiny.weights")


def images():
    from engines import assets

    return [cv2.imread(str(assets.asset_path(p))) for p in PHOTOS] + [street_frame()]


def test_yolov3_tiny_raw_outputs_match_opencv(yolov3_tiny):
    cfg, weights = yolov3_tiny
    for fused in (False, True):
        net = load_darknet(cfg, weights)
        if fused:
            net.fuse()
        for image in images():
            blob = cv2.dnn.blobFromImage(image, 1 / 255, (416, 416), swapRB=True)
            ref, got = opencv_rows(cfg, weights, blob), ours(net, blob)
            assert ref.shape == got.shape == (2535, 85)
            assert np.abs(ref - got).max() < 1e-3


def test_final_boxes_match_opencv_on_real_photos(yolov3_tiny):
    cfg, weights = yolov3_tiny
    engine = DetectionEngine()
    engine.load(None, "cpu")
    seen = set()
    for image in images():
        blob = cv2.dnn.blobFromImage(image, 1 / 255, (416, 416), swapRB=True)
        ref = decode_rows(opencv_rows(cfg, weights, blob), image.shape[:2], engine.names)
        det = engine.infer(image)
        assert det.labels == ref.labels
        assert np.abs(det.boxes - ref.boxes).max() < 1.0  # source pixels
        assert np.abs(det.scores - ref.scores).max() < 1e-3
        seen.update(det.labels)
    assert "person" in seen and ("car" in seen or "truck" in seen)


def random_weights(net, path: Path, seed: int = 0) -> None:
    """Write a Darknet v0.2 weights file with plausible random values for every conv layer."""
    rng = np.random.default_rng(seed)
    chunks = []
    for m in net.layers:
        if isinstance(m, ConvBN):
            n, fan = m.conv.out_channels, m.conv.weight[0].numel()
            if m.bn is not None:
                chunks += [rng.normal(0, 0.1, n), rng.uniform(0.5, 1.5, n), rng.normal(0, 0.1, n),
                           rng.uniform(0.5, 2, n)]
            else:
                chunks.append(rng.normal(0, 0.1, n))
            chunks.append(rng.normal(0, (2 / fan) ** 0.5, m.conv.weight.numel()))
    with open(path, "wb") as f:
        np.array([0, 2, 0], np.int32).tofile(f)
        np.array([0], np.int64).tofile(f)
        np.concatenate(chunks).astype(np.float32).tofile(f)


@pytest.mark.parametrize("name", ["yolov2-tiny", "yolov2"])
def test_yolov2_family_matches_opencv(name, tmp_path):
    """Region head, reorg/passthrough and the stride-1 max-pool, checked on random weights at 224 px."""
    text = (CFG_DIR / f"{name}.cfg").read_text().replace("width=416", "width=224").replace("height=416", "height=224")
    cfg, weights = tmp_path / f"{name}.cfg", tmp_path / f"{name}.weights"
    cfg.write_text(text)
    random_weights(load_darknet(cfg), weights)
    net = load_darknet(cfg, weights)
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, (300, 400, 3), dtype=np.uint8)
    blob = cv2.dnn.blobFromImage(image, 1 / 255, (224, 224), swapRB=True)
    ref, got = opencv_rows(cfg, weights, blob), ours(net, blob)
    assert ref.shape == got.shape == (7 * 7 * 5, 85)
    assert np.abs(ref - got).max() < 1e-3


def test_truncated_weights_refused(yolov3_tiny, tmp_path):
    cfg, weights = yolov3_tiny
    bad = tmp_path / "cut.weights"
    bad.write_bytes(weights.read_bytes()[: 10_000_000])
    with pytest.raises(EngineError, match="truncated|ends early"):
        load_darknet(cfg, bad)


def test_cfg_that_does_not_match_weights_refused(yolov3_tiny):
    _, weights = yolov3_tiny
    with pytest.raises(EngineError, match="different cfg|ends early"):
        load_darknet(CFG_DIR / "yolov2-tiny.cfg", weights)


def test_weights_longer_than_cfg_refused(yolov3_tiny, tmp_path):
    cfg, weights = yolov3_tiny
    longer = tmp_path / "long.weights"
    longer.write_bytes(weights.read_bytes() + b"\0" * 64)
    with pytest.raises(EngineError, match="different cfg"):
        load_darknet(cfg, longer)


@pytest.mark.parametrize("text, match", [
    ("hello", "must start with a \\[net\\]"),
    ("[net]\nwidth=32\n[convolutional]\nfilters=4\n", "no \\[region\\] or \\[yolo\\]"),
    ("[net]\n[lstm]\n", "unsupported section"),
])
def test_bad_cfg_text(text, match):
    from engines.importers.darknet import DarknetNet

    with pytest.raises(EngineError, match=match):
        DarknetNet(parse_cfg(text))


def test_engine_refuses_non_image(yolov3_tiny):
    engine = DetectionEngine()
    engine.load(None, "cpu")
    with pytest.raises(EngineError, match="colour image"):
        engine.infer(np.zeros((10, 10), np.uint8))


@pytest.mark.gpu
def test_cuda_fp16_channels_last_matches_cpu(yolov3_tiny):
    """On a GPU the engine runs fp16 + channels_last; boxes must match the fp32 CPU run."""
    if not torch.cuda.is_available():
        pytest.fail("--run-gpu given but CUDA is not available")
    image = images()[2]
    cpu, gpu = DetectionEngine(), DetectionEngine()
    cpu.load(None, "cpu")
    gpu.load(None, "cuda")
    a, b = cpu.infer(image), gpu.infer(image)
    assert gpu.device == "cuda" and a.labels == b.labels
    assert np.abs(a.boxes - b.boxes).max() < 3.0 and np.abs(a.scores - b.scores).max() < 0.02


@pytest.mark.gpu
def test_cuda_fp16_matches_cpu_on_our_yolov2_street():
    """The same check on the in-repo YOLOv2 street model (no fetched file needed: a GPU machine gets it with the
    tree) and a frame of the app's demo clip."""
    if not torch.cuda.is_available():
        pytest.fail("--run-gpu given but CUDA is not available")
    from engines.detection.engine import DarknetWeights
    from engines.device_check import frames_720p

    weights = DarknetWeights.shipped_yolov2()
    frame = frames_720p(40)[-1]
    cpu, gpu = DetectionEngine(), DetectionEngine()
    cpu.load(weights, "cpu")
    gpu.load(weights, "cuda")
    a, b = cpu.infer(frame), gpu.infer(frame)
    assert gpu.device == "cuda" and len(a.labels) >= 1 and a.labels == b.labels
    assert np.abs(a.boxes - b.boxes).max() < 3.0 and np.abs(a.scores - b.scores).max() < 0.02

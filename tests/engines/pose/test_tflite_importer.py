"""The TFLite importer against OpenCV's TFLite reader (and LiteRT when installed) on the BlazePose file."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from engines import assets
from engines.base import EngineError
from engines.importers.tflite import load_tflite, read_tflite, same_pads
from engines.pose.sources import BLAZEPOSE_FULL
from tests.conftest import require_assets


@pytest.fixture(scope="module")
def model_path():
    require_assets(BLAZEPOSE_FULL)
    return assets.asset_path(BLAZEPOSE_FULL)


@pytest.fixture(scope="module")
def crops() -> list[np.ndarray]:
    """RGB float32 (256, 256, 3) in [0, 1]: real people from the sample photos."""
    require_assets("basketball1.png", "messi5.jpg")
    out = []
    for name, box in (("basketball1.png", (0, 40, 180, 220)), ("messi5.jpg", (150, 20, 470, 340))):
        img = cv2.imread(str(assets.asset_path(name)))
        x0, y0, x1, y1 = box
        out.append(
            cv2.cvtColor(cv2.resize(img[y0:y1, x0:x1], (256, 256)), cv2.COLOR_BGR2RGB).astype(np.float32)
            / 255
        )
    return out


def test_same_padding_is_asymmetric_when_odd() -> None:
    assert same_pads(8, 3, 2) == (0, 1)  # the 8 -> 4 depthwise conv: bottom/right only
    assert same_pads(4, 3, 2) == (0, 1)
    assert same_pads(256, 3, 1) == (1, 1)
    assert same_pads(64, 5, 1) == (2, 2)
    assert same_pads(7, 3, 2) == (1, 1)


def test_graph_summary(model_path) -> None:
    g = read_tflite(model_path)
    counts = g.count()
    assert "DEQUANTIZE" not in counts  # folded into float32 constants at load
    assert sum(counts.values()) == 140
    assert set(g.outputs) == {"Identity", "Identity_1", "Identity_2", "Identity_3", "Identity_4"}
    net = load_tflite(model_path)
    assert sum(p.numel() for p in net.parameters()) == 3_169_489


def test_matches_opencv_on_real_photos(model_path, crops) -> None:
    net = load_tflite(model_path)
    ref = cv2.dnn.readNetFromTFLite(str(model_path))
    names = list(ref.getUnconnectedOutLayersNames())
    for rgb in crops:
        blob = np.ascontiguousarray(rgb.transpose(2, 0, 1)[None])
        ref.setInput(blob)
        want = dict(zip(names, ref.forward(names), strict=True))
        with torch.inference_mode():
            got = {k: v.numpy() for k, v in net(torch.from_numpy(blob)).items()}
        assert got["Identity_3"].shape == (1, 39, 64, 64)
        assert np.abs(got["Identity_3"] - want["Identity_3"]).max() < 1e-3  # heatmaps
        lm, ref_lm = got["Identity"].reshape(39, 5), want["Identity"].reshape(39, 5)
        # landmark x, y (crop px, values ~100-250): measured 1.8e-4 and 1.05e-3. That is float32's floor here:
        # against a float64 run of the same graph, ours is 8.2e-4 off, OpenCV 3.2e-4 and LiteRT 1.1e-3.
        assert np.abs(lm[:, :2] - ref_lm[:, :2]).max() < 1.5e-3
        assert np.abs(lm[:, 3:] - ref_lm[:, 3:]).max() < 1e-3  # visibility, presence logits
        assert (
            np.abs(lm[:, 2] - ref_lm[:, 2]).max() < 1e-5 * np.abs(ref_lm[:, 2]).max() + 1e-4
        )  # depth z (large units)
        assert np.abs(got["Identity_1"] - want["Identity_1"].reshape(1, 1)).max() < 1e-4
        assert np.abs(got["Identity_4"] - want["Identity_4"].reshape(1, 117)).max() < 1e-4
        seg = want["Identity_2"].reshape(1, 1, 256, 256)
        assert np.abs(got["Identity_2"] - seg).max() < 1e-3 * np.abs(seg).max()  # logits up to ~1700


def test_pruned_graph_gives_the_same_outputs(model_path, crops) -> None:
    full = load_tflite(model_path)
    pruned = load_tflite(model_path, outputs=["Identity", "Identity_3"]).to(memory_format=torch.channels_last)
    assert len(pruned.nodes) < len(full.nodes)
    x = torch.from_numpy(np.ascontiguousarray(crops[0].transpose(2, 0, 1)[None]))
    with torch.inference_mode():
        a, b = full(x), pruned(x.contiguous(memory_format=torch.channels_last))
    assert set(b) == {"Identity", "Identity_3"}
    assert torch.allclose(a["Identity_3"], b["Identity_3"], atol=1e-4)


def test_matches_litert(model_path, crops) -> None:
    pytest.importorskip("ai_edge_litert.interpreter", reason="ai-edge-litert is not installed")
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=str(model_path), num_threads=1)
    it.allocate_tensors()
    it.set_tensor(it.get_input_details()[0]["index"], crops[0][None])
    it.invoke()
    want = {d["name"]: it.get_tensor(d["index"]) for d in it.get_output_details()}
    net = load_tflite(model_path, outputs=["Identity", "Identity_3"])
    with torch.inference_mode():
        got = net(torch.from_numpy(np.ascontiguousarray(crops[0].transpose(2, 0, 1)[None])))
    assert np.abs(got["Identity_3"].numpy() - want["Identity_3"].transpose(0, 3, 1, 2)).max() < 1e-3
    lm, ref_lm = got["Identity"].numpy().reshape(39, 5), want["Identity"].reshape(39, 5)
    assert np.abs(lm[:, :2] - ref_lm[:, :2]).max() < 2e-3  # XNNPACK sums in another order (measured 1.05e-3)


def test_unknown_output_and_bad_file(model_path, tmp_path) -> None:
    with pytest.raises(EngineError, match="no output named"):
        load_tflite(model_path, outputs=["nope"])
    bad = tmp_path / "bad.tflite"
    bad.write_bytes(b"\x00" * 64)
    with pytest.raises(EngineError):
        load_tflite(bad)
    with pytest.raises(EngineError, match="does not exist"):
        load_tflite(tmp_path / "missing.tflite")

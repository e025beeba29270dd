"""YOLOv2 model: shapes, rows that decode_rows reads, Darknet export round trip through the live engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engines.detection.decode import decode_rows
from engines.detection.engine import DarknetWeights, DetectionEngine
from engines.detection.export import darknet_cfg, export_darknet
from engines.detection.model import YoloV2Layout, YoloV2Net, seed_from_darknet
from engines.importers.darknet import load_darknet, parse_cfg
from tests.conftest import require_assets

ANCHORS = np.array([[0.5, 1.0], [1.0, 2.0], [2.0, 1.5], [3.0, 3.0], [4.0, 2.5]], np.float32)


def _random_bn(model: torch.nn.Module) -> None:
    g = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=g) + 0.5)
            m.bias.data.copy_(torch.rand(m.num_features, generator=g) * 0.2 - 0.1)


@pytest.mark.parametrize("layout", [YoloV2Layout.tiny(0.25), YoloV2Layout.darknet19(0.0625)], ids=["tiny", "d19"])
def test_shapes_train_and_eval(layout):
    torch.manual_seed(0)
    model = YoloV2Net(3, ANCHORS, layout)
    x = torch.rand(2, 3, 96, 128)
    t = model.train()(x)
    assert t.shape == (2, 5 * 8, 3, 4)  # stride 32, A*(5+C) channels
    rows = model.eval()(x)
    assert rows.shape == (2, 3 * 4 * 5, 8) and torch.isfinite(rows).all()
    r = rows[0].detach().numpy()
    assert (r[:, 4] >= 0).all() and (r[:, 4] <= 1).all()
    np.testing.assert_allclose(r[:, 5:].sum(1), r[:, 4], rtol=1e-5)  # obj x softmax sums to obj
    det = decode_rows(r, (480, 640), ["a", "b", "c"], conf=0.0)
    assert det.boxes.shape[1] == 4


def test_passthrough_reorg_shape():
    model = YoloV2Net(2, ANCHORS, YoloV2Layout.tiny(0.25))
    fine = model.stage1_16(torch.rand(1, 3, 64, 64))
    assert fine.shape[2:] == (4, 4)
    assert model.reorg(model.passthrough(fine)).shape == (1, 4 * model.layout.passthrough, 2, 2)


@pytest.mark.parametrize("layout", [YoloV2Layout.tiny(0.25), YoloV2Layout.darknet19(0.0625)], ids=["tiny", "d19"])
def test_darknet_export_round_trip(tmp_path: Path, layout):
    torch.manual_seed(1)
    model = YoloV2Net(2, ANCHORS, layout)
    _random_bn(model)
    model.eval()
    cfg, weights, names = export_darknet(model, ["person", "car"], tmp_path / "net", 96)
    kinds = [s.kind for s in parse_cfg(cfg.read_text())]
    assert kinds.count("reorg") == 1 and kinds[-1] == "region"
    x = torch.rand(1, 3, 96, 96)
    with torch.no_grad():
        ours, theirs = model(x), load_darknet(cfg, weights)(x)
    torch.testing.assert_close(theirs, ours, rtol=0, atol=1e-6)  # same bytes, same layers
    engine = DetectionEngine()  # the live tab's engine: fuses BN, runs unchanged
    engine.load(DarknetWeights(cfg, weights, names), "cpu")
    assert engine.input_size == 96 and engine.names == ["person", "car"]
    image = (np.random.default_rng(0).random((120, 160, 3)) * 255).astype(np.uint8)
    blob = engine.blob(image)
    with torch.no_grad():
        mine = model(torch.from_numpy(blob).permute(2, 0, 1)[None].float() / 255)[0].numpy()
    np.testing.assert_allclose(engine.forward_rows(blob), mine, atol=1e-4)
    det = engine.infer(image, conf=0.0)
    ref = decode_rows(mine, (120, 160), ["person", "car"], conf=0.0)
    assert len(det) == len(ref)


def test_cfg_mentions_anchors_and_input_size():
    model = YoloV2Net(2, ANCHORS, YoloV2Layout.tiny(0.25))
    text = darknet_cfg(model, 320)
    assert "width=320" in text and "classes=2" in text and "num=5" in text


def test_seed_from_yolov3_tiny_copies_first_six_convs():
    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights")
    donor_files = DarknetWeights.default()
    donor = load_darknet(donor_files.cfg, donor_files.weights)
    model = YoloV2Net(2, ANCHORS, YoloV2Layout.tiny(1.0))
    assert seed_from_darknet(model, donor) == 6
    first = model.conv_layers()[0]
    torch.testing.assert_close(first.conv.weight, donor.layers[0].conv.weight)
    assert seed_from_darknet(YoloV2Net(2, ANCHORS, YoloV2Layout.tiny(0.5)), donor) == 0

"""The pretrained-encoder variant, the rebalanced colour loss, fp16 weights, the encoder checks and resume."""

from __future__ import annotations

from dataclasses import asdict, replace
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from torch import nn

from engines.base import EngineError
from engines.colorization.config import ColorizationConfig, ColorizationTrainSettings
from engines.colorization.encoder import ENCODERS, EncoderSpec, PretrainedEncoder, gray_rgb
from engines.colorization.engine import ColorizationEngine
from engines.colorization.model import LetThereBeColorNet, colorization_loss, read_weights, write_weights
from engines.colorization.rebalance import (
    ab_bins,
    annealed_mean,
    cell_lookup,
    rebalance_weights,
    rebalanced_loss,
    soft_encode,
)
from engines.training import save_checkpoint

from .conftest import synthetic_photo

FAKE_SPEC = EncoderSpec("fake.onnx", "0" * 64, "image", (("s8", 6, 8), ("s16", 5, 16)), "pooled", 7)


class FakeGraph(nn.Module):
    """Stands in for the imported MobileNetV2: NHWC (B, H, W, 3) -> taps at strides 8 and 16 and a pooled vector."""

    def __init__(self) -> None:
        super().__init__()
        self.s8 = nn.Conv2d(3, 6, 8, 8, padding=0)
        self.s16 = nn.Conv2d(6, 5, 3, 2, 1)
        self.head = nn.Conv2d(5, 7, 1)

    def run(self, feeds: dict[str, torch.Tensor], outputs: list[str]) -> dict[str, torch.Tensor]:
        x = feeds["image"].permute(0, 3, 1, 2)
        x = nn.functional.pad(x, (0, (-x.shape[3]) % 8, 0, (-x.shape[2]) % 8))
        s8 = self.s8(x)
        s16 = self.s16(s8)
        return {"s8": s8, "s16": s16, "pooled": self.head(s16).mean((2, 3), keepdim=True)}


def encoder_net(**overrides) -> LetThereBeColorNet:
    c = ColorizationConfig.tiny(encoder="mobilenetv2-style", **overrides)
    return LetThereBeColorNet(c, encoder=PretrainedEncoder(FAKE_SPEC, FakeGraph()))


def rebalanced_tiny(**overrides) -> ColorizationConfig:
    return ColorizationConfig.tiny(colour_loss="rebalanced", num_bins=len(ab_bins()), **overrides)


@pytest.mark.parametrize("use_global", [True, False])
def test_encoder_variant_shapes_state_and_gradients(use_global: bool) -> None:
    net = encoder_net(use_global=use_global).train()
    l_img = torch.rand(2, 1, 37, 53)
    ab, logits = net(l_img)
    assert ab.shape == (2, 2, 37, 53) and (logits is None) != use_global
    assert not any(k.startswith("encoder") for k in net.state_dict())  # the encoder is never saved
    assert all(not p.requires_grad for p in net.encoder.parameters())
    assert not net.encoder.training  # frozen: stays in inference mode
    ab.mean().backward()
    assert all(p.grad is not None for n, p in net.named_parameters() if not n.startswith("classify"))


def test_gray_rgb_is_the_srgb_gray_of_that_lightness() -> None:
    values = np.array([0, 3, 30, 90, 128, 200, 255], np.uint8)
    bgr = np.repeat(values[None, :, None], 3, axis=2)  # (1, 7, 3) grays
    l_unit = cv2.cvtColor(bgr.astype(np.float32) / 255, cv2.COLOR_BGR2Lab)[..., 0] / 100
    rgb = gray_rgb(torch.from_numpy(l_unit)[None, None])  # (1, 1, 7, 3)
    assert torch.allclose(rgb[0, 0, :, 0], torch.from_numpy(values / 255.0).float(), atol=2e-3)


def test_soft_encoding_reconstructs_the_colour_and_weights_rebalance() -> None:
    bins = torch.from_numpy(ab_bins())
    assert 250 <= len(bins) <= 340  # Zhang et al.: 313 in-gamut bins
    rng = np.random.default_rng(0)
    ab = torch.from_numpy(rng.uniform(-20, 20, (100, 2)).astype(np.float32))  # near gray: all in gamut
    index, weight = soft_encode(ab, cell_lookup(bins))
    assert torch.allclose(weight.sum(1), torch.ones(100))
    assert torch.allclose((bins[index] * weight[..., None]).sum(1), ab, atol=1e-3)
    counts = np.ones(len(bins))
    counts[0] = 1000.0  # one very common colour
    w = rebalance_weights(counts, bins.numpy())
    assert 0 < w[0] < w[len(bins) // 2]  # the common colour weighs least


def test_rebalanced_loss_prefers_the_truth_and_annealing_sharpens() -> None:
    bins = torch.from_numpy(ab_bins())
    lut, weights = cell_lookup(bins), torch.ones(len(bins))
    ab_true = torch.full((1, 2, 4, 4), (40.0 + 128) / 256)  # a*b* = (40, 40)
    target = int(((bins - 40.0) ** 2).sum(1).argmin())
    peaked = torch.zeros(1, len(bins), 4, 4)
    peaked[:, target] = 10.0
    flat = torch.zeros_like(peaked)
    assert rebalanced_loss(peaked, ab_true, lut, weights) < rebalanced_loss(flat, ab_true, lut, weights)
    logits = torch.randn(1, len(bins), 2, 2)
    logits.scatter_(1, torch.tensor([3, 50, 100, 200]).reshape(1, 1, 2, 2), 5.0)  # a clear mode per pixel
    mean, sharp = annealed_mean(logits, bins, 1.0), annealed_mean(logits, bins, 0.01)
    mode = bins[logits.argmax(1)].permute(0, 3, 1, 2)
    assert torch.allclose(sharp, mode, atol=1e-2) and not torch.allclose(mean, mode, atol=1.0)


def test_rebalanced_training_exports_fp16_weights_the_engine_reads(tmp_path: Path, photo_root: Path) -> None:
    from engines.colorization.task import PhotoTrainTask

    task = PhotoTrainTask(rebalanced_tiny(), 3, data_root=photo_root)
    assert task.model.bin_weight.min() > 0 and not torch.all(task.model.bin_weight == 1)  # from the photos
    losses = [task.train_step(s) for s in (1, 2, 3)]
    assert all(np.isfinite(v["colour"]) and v["loss"] > 0 for v in losses)
    full = task.export(tmp_path / "f32.pt")
    half = task.export(tmp_path / "f16.pt", half=True)
    assert half.stat().st_size < 0.7 * full.stat().st_size
    image = synthetic_photo(np.random.default_rng(3), 40, 56)
    outs = []
    for path in (full, half):
        engine = ColorizationEngine()
        engine.load(path)
        outs.append(engine.infer(image).ab)
    assert outs[0].shape == (48 * 40 // 56, 48, 2) or outs[0].shape[2] == 2
    assert np.abs(outs[0] - outs[1]).mean() < 1.0  # Lab units: float16 storage changes little


def test_loss_reports_mse_beside_the_rebalanced_term() -> None:
    net = LetThereBeColorNet(rebalanced_tiny()).train()
    out = net.outputs(torch.rand(2, 1, 32, 32))
    truth = torch.rand(2, 2, 32, 32)
    losses = colorization_loss(out["ab"], truth, out["logits"], torch.tensor([0, 1]), 1 / 300,
                               (out["bin_logits"], net.cell_lut, net.bin_weight))
    assert set(losses) == {"loss", "mse", "ce", "colour"} and not losses["mse"].requires_grad
    losses["loss"].backward()
    assert net.colorize[-1].weight.grad is not None


def test_missing_or_different_encoder_file_gives_a_clear_error(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path / "data"))
    config = ColorizationConfig.tiny(encoder="mobilenetv2-style")
    with pytest.raises(EngineError, match="arbitrary_predict.onnx.*not downloaded"):
        LetThereBeColorNet(config)
    weights = write_weights(tmp_path / "enc.pt", encoder_net(), config)
    assert read_weights(weights)["encoder"]["sha256"] == ENCODERS["mobilenetv2-style"].sha256
    with pytest.raises(EngineError, match="pretrained encoder arbitrary_predict.onnx"):
        ColorizationEngine().load(weights)
    (tmp_path / "data" / "assets").mkdir(parents=True)
    (tmp_path / "data" / "assets" / "arbitrary_predict.onnx").write_bytes(b"not the file")
    with pytest.raises(EngineError, match="sha256 differs"):
        ColorizationEngine().load(weights)
    payload = read_weights(weights)
    payload["encoder"]["sha256"] = "f" * 64
    save_checkpoint(tmp_path / "other.pt", payload)
    with pytest.raises(EngineError, match="encoder this version does not know"):
        read_weights(tmp_path / "other.pt")


def test_weights_without_the_new_fields_still_load(tmp_path: Path) -> None:
    net = LetThereBeColorNet(ColorizationConfig.tiny())
    config = asdict(ColorizationConfig.tiny())
    for key in ("encoder", "colour_loss", "num_bins", "anneal_t"):  # a file from before these options
        del config[key]
    save_checkpoint(tmp_path / "old.pt", {"config": config, "categories": [], "meta": {},
                                          "state_dict": net.state_dict()})
    engine = ColorizationEngine()
    engine.load(tmp_path / "old.pt")
    assert engine.config == ColorizationConfig.tiny()


def test_the_same_command_resumes_from_the_run_folder(tmp_path: Path, photo_root: Path) -> None:
    from engines.base import Preparing
    from engines.colorization.task import run

    settings = ColorizationTrainSettings.tiny(data_root=str(photo_root), steps=2, checkpoint_every=1)
    first = [s for s in run(settings, device="cpu", run_dir=tmp_path, stop=lambda: False)]
    assert first[-1].step == 2 and (tmp_path / "last.pt").is_file()
    again = list(run(replace(settings, steps=4), device="cpu", run_dir=tmp_path, stop=lambda: False))
    assert isinstance(again[0], Preparing) and "resuming" in again[0].what
    assert [s.step for s in again[1:]] == [3, 4]


def test_the_real_encoder_taps() -> None:
    from tests.conftest import require_assets

    require_assets("arbitrary_predict.onnx")
    from engines.colorization.encoder import load_encoder

    enc = load_encoder("mobilenetv2-style")
    low, pooled = enc(torch.rand(2, 1, 64, 96))
    assert low.shape == (2, 288, 8, 12) and pooled.shape == (2, 1280)
    net = LetThereBeColorNet(replace(rebalanced_tiny(), encoder="mobilenetv2-style"), encoder=enc).eval()
    ab, logits = net(torch.rand(1, 1, 64, 96))
    assert ab.shape == (1, 2, 64, 96) and logits.shape == (1, 3)


def test_fine_tuning_keeps_the_starting_files_network(tmp_path: Path, photo_root: Path, tiny_weights: Path) -> None:
    from engines.colorization.task import run

    settings = ColorizationTrainSettings.tiny(data_root=str(photo_root), init=str(tiny_weights), width=0.125,
                                              colour_loss="rebalanced")
    steps = list(run(settings, device="cpu", run_dir=tmp_path, stop=lambda: False))
    exported = read_weights(steps[-1].checkpoint)["config"]
    assert exported["width"] == 0.0625 and exported["colour_loss"] == "mse"  # the init file's, not the form's


def test_debias_undoes_the_rebalancing_weights_at_decoding() -> None:
    torch.manual_seed(0)
    net = LetThereBeColorNet(rebalanced_tiny()).eval()
    l_img = torch.rand(1, 1, 32, 32)
    plain = net(l_img)[0]
    net.config = replace(net.config, debias=1.0)
    assert torch.allclose(net(l_img)[0], plain)  # weights all 1: nothing to undo
    net.bin_weight.copy_(torch.linspace(0.2, 5.0, len(net.bin_weight)))
    assert not torch.allclose(net(l_img)[0], plain, atol=1e-3)
    with pytest.raises(ValueError):
        replace(net.config, debias=1.5)


def test_engine_decoding_settings_change_a_rebalanced_model_only(tmp_path: Path, tiny_weights: Path) -> None:
    net = LetThereBeColorNet(rebalanced_tiny())
    net.bin_weight.copy_(torch.linspace(0.2, 5.0, len(net.bin_weight)))
    path = write_weights(tmp_path / "r.pt", net, net.config)
    engine = ColorizationEngine()
    engine.load(path)
    image = synthetic_photo(np.random.default_rng(4), 40, 40)
    before = engine.infer(image).ab
    engine.set_decoding(anneal_t=1.0, debias=1.0)
    assert engine.config.anneal_t == 1.0 and not np.allclose(engine.infer(image).ab, before)
    plain = ColorizationEngine()
    plain.load(tiny_weights)
    with pytest.raises(ValueError):
        plain.set_decoding(anneal_t=1.0)


def test_the_darknet_coco_encoder_taps_the_detectors_own_layers() -> None:
    from tests.conftest import require_assets

    require_assets("yolov3-tiny.cfg", "yolov3-tiny.weights")
    from engines import assets
    from engines.colorization.encoder import load_encoder
    from engines.importers.darknet import load_darknet

    enc = load_encoder("darknet-coco")
    l_img = torch.rand(2, 1, 64, 96)
    low, pooled = enc(l_img)
    assert low.shape == (2, 384, 8, 12) and pooled.shape == (2, 1024)
    # the same numbers as the detector's layers 6 and 12 on the gray picture
    net = load_darknet(assets.require("yolov3-tiny.cfg"), assets.require("yolov3-tiny.weights")).fuse().eval()
    x = gray_rgb(l_img).permute(0, 3, 1, 2)
    with torch.no_grad():
        for i in range(13):
            x = net.layers[i](x)
            if i == 6:
                assert torch.allclose(low[:, :128], x, atol=1e-5)
    assert torch.allclose(pooled, x.mean((2, 3)), atol=1e-5)
    net = LetThereBeColorNet(ColorizationConfig.tiny(encoder="darknet-coco"), encoder=enc).eval()
    ab, logits = net(l_img)
    assert ab.shape == (2, 2, 64, 96) and logits.shape == (2, 3)
    assert not any(k.startswith("encoder") for k in net.state_dict())

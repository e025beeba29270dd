"""Colorization: Lab units, config validation, network shapes, gradients, training task, resume."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch

from engines.colorization.config import ColorizationConfig
from engines.colorization.data import PhotoSet, is_colour_photo, split_of
from engines.colorization.lab import ab_to_unit, bgr_to_lab, colourfulness, gray_of, lab_to_bgr, unit_to_ab
from engines.colorization.model import FusionLayer, LetThereBeColorNet, colorization_loss
from engines.colorization.task import PhotoTrainTask, VideoTrainTask
from engines.training import LoopSettings, run_training

from .conftest import synthetic_photo


def test_lab_round_trip() -> None:
    rng = np.random.default_rng(1)
    bgr = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    lab = bgr_to_lab(bgr)
    assert lab.dtype == np.float32 and 0 <= lab[..., 0].min() and lab[..., 0].max() <= 100
    assert np.abs(lab_to_bgr(lab).astype(int) - bgr).max() <= 1
    assert np.allclose(unit_to_ab(ab_to_unit(lab[..., 1:])), lab[..., 1:], atol=1e-4)
    gray = gray_of(bgr)
    assert np.abs(bgr_to_lab(gray)[..., 1:]).max() < 1.0
    assert colourfulness(gray) < 1.0 < colourfulness(bgr)


def test_config_validation() -> None:
    with pytest.raises(ValueError):
        ColorizationConfig(global_size=100)
    with pytest.raises(ValueError):
        ColorizationConfig(width=0)
    with pytest.raises(ValueError):
        ColorizationConfig(local_size=12)
    with pytest.raises(ValueError):
        ColorizationConfig(batch_size=0)
    assert ColorizationConfig.tiny().ch(512) == 32


@pytest.mark.parametrize("use_global", [True, False])
@pytest.mark.parametrize("hw", [(37, 53), (64, 64), (9, 121)])
def test_shapes_on_odd_sizes(use_global: bool, hw: tuple[int, int]) -> None:
    c = ColorizationConfig.tiny(use_global=use_global)
    net = LetThereBeColorNet(c).eval()
    x = torch.rand(2, 1, *hw)
    with torch.no_grad():
        ab, logits = net(x)
        low = net.low(x)
        mid = net.mid(low)
        glob = net.global_features(torch.rand(2, 1, c.global_size, c.global_size))[0] if use_global else None
        fused = net.fusion(mid, glob)
    assert ab.shape == (2, 2, *hw) and 0 <= float(ab.min()) and float(ab.max()) <= 1
    assert low.shape == (2, c.ch(512), math.ceil(hw[0] / 8), math.ceil(hw[1] / 8))
    assert fused.shape == (2, c.ch(256), *mid.shape[2:])
    assert (logits is None) == (not use_global)
    if use_global:
        assert logits.shape == (2, c.num_classes)


def test_fusion_needs_global_features() -> None:
    fusion = FusionLayer(ColorizationConfig.tiny())
    with pytest.raises(ValueError):
        fusion(torch.rand(1, 16, 3, 5), None)


@pytest.mark.parametrize("use_global", [True, False])
def test_one_step_gives_every_parameter_a_gradient(use_global: bool) -> None:
    torch.manual_seed(0)
    c = ColorizationConfig.tiny(use_global=use_global)
    net = LetThereBeColorNet(c).train()
    ab, logits = net(torch.rand(3, 1, 32, 32), torch.rand(3, 1, c.global_size, c.global_size))
    losses = colorization_loss(ab, torch.rand_like(ab), logits, torch.tensor([0, 1, 2]), c.class_weight)
    losses["loss"].backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
        assert float(p.grad.abs().sum()) > 0, name
    ce = float(losses["ce"].detach())
    assert ce > 0 if use_global else ce == 0


def test_photo_filter_and_split() -> None:
    rng = np.random.default_rng(0)
    assert is_colour_photo(synthetic_photo(rng, 100, 120))
    cartoon = np.zeros((100, 120, 3), np.uint8)
    cartoon[:, :60] = (0, 0, 255)
    cartoon[:, 60:] = (255, 0, 0)
    assert not is_colour_photo(cartoon)
    assert not is_colour_photo(np.repeat(synthetic_photo(rng, 100, 120)[..., :1], 3, axis=2))  # gray
    splits = [split_of("src", f"img{i}.jpg") for i in range(2000)]
    assert splits == [split_of("src", f"img{i}.jpg") for i in range(2000)]
    assert 0.07 < splits.count("val") / 2000 < 0.13


def test_photo_set_and_tiny_training_has_no_nan(photo_root) -> None:
    train = PhotoSet("train", photo_root)
    assert len(train) > 0 and len(PhotoSet("val", photo_root)) > 0
    batch = train.sample(np.random.default_rng(0), 4, 32, 64)
    assert batch.l_local.shape == (4, 1, 32, 32) and batch.l_global.shape == (4, 1, 64, 64)
    assert batch.ab.shape == (4, 2, 32, 32) and 0 <= batch.ab.min() and batch.ab.max() <= 1
    task = PhotoTrainTask(ColorizationConfig.tiny(), 5, data_root=photo_root)
    assert task.config.num_classes == 3
    for step in range(1, 6):
        losses = task.train_step(step)
        assert all(math.isfinite(v) for v in losses.values())
    metrics = task.evaluate()
    assert math.isfinite(metrics["val_mse"]) and 0 <= metrics["val_class_acc"] <= 1


def test_resume_reproduces_the_next_step(photo_root, tmp_path) -> None:
    config = replace(ColorizationConfig.tiny(), seed=3)
    settings = LoopSettings(total_steps=4, checkpoint_every=2)
    full = [
        s.losses["loss"]
        for s in run_training(
            PhotoTrainTask(config, 4, data_root=photo_root), settings, tmp_path / "a", lambda: False
        )
    ]
    first = PhotoTrainTask(config, 4, data_root=photo_root)
    gen = run_training(first, LoopSettings(total_steps=2, checkpoint_every=2), tmp_path / "c", lambda: False)
    assert [s.step for s in gen] == [1, 2]
    resumed = PhotoTrainTask(config, 4, data_root=photo_root)
    rest = [
        s.losses["loss"]
        for s in run_training(
            resumed, settings, tmp_path / "c", lambda: False, resume=tmp_path / "c" / "last.pt"
        )
    ]
    assert rest == pytest.approx(full[2:], rel=1e-5)


def test_video_fine_tune_task(tmp_path, tiny_weights) -> None:
    import cv2

    path = tmp_path / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (96, 72))
    rng = np.random.default_rng(0)
    frame = synthetic_photo(rng, 72, 96)
    for i in range(20):
        writer.write(np.roll(frame, i * 2, axis=1))
    writer.release()
    task = VideoTrainTask(ColorizationConfig.tiny(), 3, path, tiny_weights, stride=1)
    assert task.config.num_classes == 3 and len(task.val_crops) > 0
    before = task.evaluate()["val_mse"]
    for step in range(1, 4):
        assert math.isfinite(task.train_step(step)["loss"])
    assert math.isfinite(before) and math.isfinite(task.evaluate()["val_mse"])
    out = task.export(tmp_path / "ft.pt")
    assert out.is_file()

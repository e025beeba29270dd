"""Stacked Hourglass shapes and gradients; the distillation task learns on a tiny set and resumes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.base import EngineError
from engines.pose.config import DistillConfig, HourglassConfig, student_config
from engines.pose.data import DistillData, augment, torso_size
from engines.pose.joints import MPII_NAMES
from engines.pose.model import Residual, StackedHourglassNet, load_student, save_student, stack_losses
from engines.pose.task import DistillTask
from engines.training import LoopSettings, run_training


def test_tiny_forward_shapes_and_no_nan() -> None:
    cfg = HourglassConfig.tiny()
    net = StackedHourglassNet(cfg)
    out = net(torch.rand(2, 3, cfg.input_size, cfg.input_size))
    assert out.shape == (2, cfg.stacks, cfg.joints, cfg.heatmap_size, cfg.heatmap_size)
    assert torch.isfinite(out).all()


def test_paper_config_layers() -> None:
    cfg = HourglassConfig()
    assert (cfg.stacks, cfg.features, cfg.input_size, cfg.heatmap_size) == (2, 256, 256, 64)
    net = StackedHourglassNet(cfg)
    stem = net.stem[0]
    assert stem.kernel_size == (7, 7) and stem.stride == (2, 2)
    res = net.hourglasses[0].skip[0]
    assert isinstance(res, Residual)
    assert (res.conv1.in_channels, res.conv1.out_channels, res.conv2.kernel_size, res.conv3.out_channels) == (
        256,
        128,
        (3, 3),
        256,
    )
    assert len(net.heads) == 2 and len(net.merge_heatmaps) == 1


def test_every_parameter_gets_a_gradient_from_the_stack_losses() -> None:
    torch.manual_seed(0)
    cfg = HourglassConfig.tiny()
    net = StackedHourglassNet(cfg)
    pred = net(torch.rand(2, 3, cfg.input_size, cfg.input_size))
    losses = stack_losses(pred, torch.rand(2, cfg.joints, cfg.heatmap_size, cfg.heatmap_size))
    assert len(losses) == cfg.stacks
    torch.stack(losses).sum().backward()
    missing = [n for n, p in net.named_parameters() if p.grad is None or not p.grad.abs().sum() > 0]
    assert not missing


def test_seeded_determinism() -> None:
    cfg = HourglassConfig.tiny()
    x = torch.rand(1, 3, cfg.input_size, cfg.input_size)
    outs = []
    for _ in range(2):
        torch.manual_seed(3)
        outs.append(StackedHourglassNet(cfg).eval()(x))
    assert torch.equal(outs[0], outs[1])


@pytest.mark.parametrize("bad", [dict(stacks=0), dict(features=6), dict(input_size=100), dict(depth=0)])
def test_config_validation(bad: dict) -> None:
    with pytest.raises(ValueError):
        HourglassConfig(**bad)
    with pytest.raises(ValueError):
        DistillConfig(batch_size=0)


def synthetic_data(n: int = 8, size: int = 64, seed: int = 0) -> DistillData:
    """Bright blobs at random joint positions on a dark crop: learnable in a few steps."""
    rng = np.random.default_rng(seed)
    pts = rng.uniform(10, size - 10, (n, 16, 2)).astype(np.float32)
    imgs = np.zeros((n, size, size, 3), np.uint8)
    yy, xx = np.mgrid[:size, :size]
    for i in range(n):
        for j in range(16):
            d = (xx - pts[i, j, 0]) ** 2 + (yy - pts[i, j, 1]) ** 2
            imgs[i][d < 9] = (15 * j, 255 - 15 * j, 128)
    frames = np.arange(n, dtype=np.int32) * 10
    return DistillData(imgs, pts, np.ones((n, 16), np.float32), frames, "synthetic")


def test_distillation_loss_falls_on_a_tiny_set() -> None:
    cfg = DistillConfig(model=HourglassConfig.tiny(), batch_size=4, lr=1e-3, augment=False, eval_samples=4)
    data = synthetic_data(4)
    task = DistillTask(cfg, data, data)
    losses = [task.train_step(s)["loss"] for s in range(1, 41)]
    assert np.mean(losses[-5:]) < 0.5 * np.mean(losses[:5])
    metrics = task.evaluate()
    assert 0.0 <= metrics["pck@0.2"] <= 1.0 and "val_stack_2" in metrics
    assert task.preview().shape == (64, 64 * 4, 3)  # crop | target | stack 1 | stack 2


def test_run_training_checkpoints_and_resumes(tmp_path) -> None:
    cfg = DistillConfig.tiny()
    data = synthetic_data(8)
    train, val = data.split_by_time(0.25, gap=0)
    task = DistillTask(cfg, train, val)
    steps = list(run_training(task, LoopSettings(4, 2, 2), tmp_path, lambda: False, config=cfg))
    assert steps[-1].evaluated and "pck@0.2" in steps[-1].metrics
    again = DistillTask(cfg, train, val)
    more = list(
        run_training(again, LoopSettings(6, 0, 0), tmp_path, lambda: False, resume=tmp_path / "last.pt")
    )
    assert [s.step for s in more] == [5, 6]


def test_time_split_holds_out_the_last_segment() -> None:
    data = synthetic_data(20)  # frames 0, 10, ..., 190
    train, val = data.split_by_time(0.2, gap=10)
    assert val.frame.min() > train.frame.max() + 10
    assert set(val.frame.tolist()) == {160, 170, 180, 190}


def test_augment_flip_swaps_sides() -> None:
    rng = np.random.default_rng(0)
    img = np.zeros((64, 64, 3), np.uint8)
    pts = np.full((16, 2), 32.0, np.float32)
    pts[MPII_NAMES.index("right_wrist")] = [10, 32]
    for _ in range(20):
        out, p, c = augment(img, pts, np.ones(16, np.float32), rng, rotate_deg=0.0, scale=(1.0, 1.0))
        if p[MPII_NAMES.index("left_wrist")][0] > 50:  # a flipped sample: right wrist became the left
            assert np.allclose(p[MPII_NAMES.index("left_wrist")], [53, 32])
            return
    pytest.fail("no flip in 20 draws")


def test_torso_size_needs_visible_torso() -> None:
    pts = np.zeros((2, 16, 2), np.float32)
    pts[:, 12], pts[:, 3] = [0, 0], [30, 40]
    conf = np.ones((2, 16), np.float32)
    conf[1, 2] = 0.0
    size = torso_size(pts, conf)
    assert size[0] == pytest.approx(50.0) and np.isnan(size[1])


def test_student_file_round_trip(tmp_path) -> None:
    net = StackedHourglassNet(HourglassConfig.tiny())
    path = save_student(tmp_path / "s.pt", net, MPII_NAMES, {"pck": 0.5})
    back, names, meta = load_student(path)
    assert names == MPII_NAMES and meta["pck"] == 0.5
    x = torch.rand(1, 3, 64, 64)
    assert torch.allclose(net.eval()(x), back(x))
    (tmp_path / "junk.pt").write_bytes(b"junk")
    with pytest.raises(EngineError):
        load_student(tmp_path / "junk.pt")


def test_student_config_is_valid() -> None:
    cfg = student_config()
    assert cfg.heatmap_size == cfg.input_size // 4 and cfg.stacks == 2


def test_photo_share_sets_each_batchs_share_of_still_photo_people() -> None:
    data = synthetic_data(40)
    data.frame[:4] = -1  # 4 people in photos, 36 in video frames
    for share, expected in ((0.5, 8), (0.25, 4)):
        task = DistillTask(DistillConfig(model=HourglassConfig.tiny(), batch_size=16, photo_share=share), data)
        for step in range(5):
            index = task._batch_index(np.random.default_rng(step))
            assert len(index) == 16 and int((data.frame[index] < 0).sum()) == expected
    uniform = DistillTask(DistillConfig(model=HourglassConfig.tiny(), batch_size=16), data)
    draws = np.concatenate([uniform._batch_index(np.random.default_rng(s)) for s in range(50)])
    assert 0.03 < (data.frame[draws] < 0).mean() < 0.2  # without it: about 4 in 40
    with pytest.raises(ValueError, match="photo_share"):
        DistillConfig(photo_share=1.5)

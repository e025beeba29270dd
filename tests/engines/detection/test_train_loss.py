"""The YOLOv2 loss: its terms, a box-free batch, and that training makes it fall on a tiny synthetic set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engines.detection.config import YoloV2TrainConfig
from engines.detection.data import read_detection_folder
from engines.detection.loss import yolov2_loss
from engines.detection.task import YoloV2TrainTask
from tests.engines.detection._train_data import make_yolo_set

ANCHORS = torch.tensor([[1.0, 1.0], [2.0, 2.0]])


def test_terms_and_perfect_prediction():
    h = w = 4
    t = torch.full((1, 2 * 7, h, w), -20.0)  # (B, A*(5+C), H, W), C = 2: objectness ~ 0 everywhere
    target = torch.tensor([[1.0, 0.375, 0.625, 0.25, 0.25]])  # class 1, centre in cell (1, 2), 1x1 cells
    # make anchor 0 (1x1 cells) of cell (x=1, y=2) predict it exactly: sigma(tx) = 0.5, t_w = log(1/1) = 0
    t[0, 0:4, 2, 1] = 0.0
    t[0, 4, 2, 1] = 20.0
    t[0, 5, 2, 1], t[0, 6, 2, 1] = -20.0, 20.0
    out = yolov2_loss(t, [target], ANCHORS, 2)
    assert set(out) == {"loss", "box", "obj", "noobj", "cls"}
    for k in out:
        assert float(out[k]) == pytest.approx(0.0, abs=1e-6), k
    t[0, 4, 2, 1] = 0.0  # objectness 0.5 -> obj term object_scale * 0.25
    assert float(yolov2_loss(t, [target], ANCHORS, 2)["obj"]) == pytest.approx(5 * 0.25, rel=1e-5)


def test_empty_targets_only_noobj_and_gradients():
    t = torch.zeros((2, 14, 3, 3), requires_grad=True)
    out = yolov2_loss(t, [torch.zeros((0, 5)), torch.zeros((0, 5))], ANCHORS, 2)
    assert float(out["box"].detach()) == 0.0
    assert float(out["noobj"].detach()) == pytest.approx(2 * 2 * 9 * 0.25 / 2)  # B*A*H*W * 0.5^2 / B
    out["loss"].backward()
    assert t.grad is not None and torch.isfinite(t.grad).all()


def test_loss_falls_on_a_tiny_set(tmp_path: Path):
    root = make_yolo_set(tmp_path / "set", n_train=8, n_val=2)
    config = YoloV2TrainConfig.tiny(width=0.25, batch_size=8, steps=30, learning_rate=3e-3, warmup_steps=2,
                                    jitter=0.0, hsv=0.0, scale_jitter=0.0)
    torch.set_num_threads(1)
    task = YoloV2TrainTask(config, data=read_detection_folder(root))
    losses = [task.train_step(s)["loss"] for s in range(1, 31)]
    assert all(np.isfinite(losses))
    assert np.mean(losses[-5:]) < 0.7 * np.mean(losses[:5]), losses

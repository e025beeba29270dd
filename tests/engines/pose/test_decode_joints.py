"""Heatmap decoding on synthetic Gaussians, PCK, and the joint-name helpers."""

from __future__ import annotations

import numpy as np
import pytest

from engines.pose.decode import decode_heatmaps, gaussian_heatmaps, pck, to_heatmap_px, to_input_px
from engines.pose.joints import (
    BLAZEPOSE_NAMES,
    MPII_NAMES,
    blazepose_to_mpii,
    display_name,
    mirror_keypoints,
    swap_permutation,
)


@pytest.mark.parametrize("sigma", [1.0, 1.5, 2.0])
def test_subpixel_decoding_recovers_gaussian_centres(sigma: float) -> None:
    rng = np.random.default_rng(1)
    pts = rng.uniform(1.5, 62.5, (4, 16, 2)).astype(np.float32)
    hm = gaussian_heatmaps(pts, np.ones((4, 16), bool), (64, 64), sigma)
    got, peak = decode_heatmaps(hm)
    assert got.shape == (4, 16, 2) and peak.shape == (4, 16)
    assert np.abs(got - pts).max() < 1e-3  # log-parabola is exact for a Gaussian
    assert (peak > 0.6).all()


def test_decoding_beats_plain_argmax_under_noise() -> None:
    rng = np.random.default_rng(2)
    pts = rng.uniform(3, 60, (8, 16, 2)).astype(np.float32)
    hm = gaussian_heatmaps(pts, np.ones((8, 16), bool), (64, 64), 1.5) + rng.uniform(0, 0.02, (8, 16, 64, 64))
    got, _ = decode_heatmaps(hm)
    flat = hm.reshape(8, 16, -1).argmax(-1)
    argmax = np.stack([flat % 64, flat // 64], -1)
    assert np.abs(got - pts).mean() < 0.5 * np.abs(argmax - pts).mean()


def test_border_peak_and_invisible_joint() -> None:
    hm = gaussian_heatmaps(np.array([[0.0, 0.0], [30.0, 20.0]]), np.array([True, False]), (32, 32))
    assert hm[1].max() == 0.0  # an invisible joint's target is all zeros (paper)
    got, peak = decode_heatmaps(hm)
    assert np.allclose(got[0], [0, 0]) and peak[1] == 0.0


def test_pixel_frames_round_trip() -> None:
    p = np.array([[0.0, 255.0], [127.5, 3.0]], np.float32)
    assert np.allclose(to_input_px(to_heatmap_px(p, 4.0), 4.0), p)
    assert np.allclose(to_heatmap_px(np.array([1.5, 1.5]), 4.0), [0.0, 0.0])


def test_pck_counts_visible_joints_only() -> None:
    target = np.zeros((2, 3, 2), np.float32)
    pred = target.copy()
    pred[0, 0] = [5, 0]  # 5 px off with torso 10 -> 0.5 > 0.2: wrong
    pred[1, 2] = [1, 0]  # 1 px off -> right
    visible = np.array([[True, True, False], [True, True, True]])
    total, per_joint = pck(pred, target, visible, np.array([10.0, 10.0]))
    assert total == pytest.approx(4 / 5)
    assert per_joint[0] == pytest.approx(0.5) and per_joint[2] == pytest.approx(1.0)


def test_left_right_swap_and_mirror_names() -> None:
    perm = swap_permutation(MPII_NAMES)
    assert [MPII_NAMES[i] for i in perm][:3] == ["left_ankle", "left_knee", "left_hip"]
    assert MPII_NAMES[perm[MPII_NAMES.index("pelvis")]] == "pelvis"
    assert (perm[perm] == np.arange(16)).all()
    bperm = swap_permutation(BLAZEPOSE_NAMES)
    assert BLAZEPOSE_NAMES[bperm[BLAZEPOSE_NAMES.index("mouth_left")]] == "mouth_right"
    assert display_name("left_wrist", mirrored=True) == "right_wrist"
    assert display_name("left_wrist", mirrored=False) == "left_wrist"
    assert display_name("nose", mirrored=True) == "nose"
    m = mirror_keypoints(np.array([[10.0, 5.0]]), width=100)
    assert np.allclose(m, [[89.0, 5.0]])


def test_blazepose_to_mpii_mapping() -> None:
    pts = np.zeros((39, 2), np.float32)
    conf = np.ones(39, np.float32)
    pts[11], pts[12] = [60, 40], [40, 40]  # left / right shoulder
    pts[23], pts[24] = [58, 80], [42, 80]  # hips
    pts[16] = [20, 60]  # right wrist
    conf[24] = 0.1
    out, c = blazepose_to_mpii(pts, conf)
    assert out.shape == (16, 2) and c.shape == (16,)
    assert np.allclose(out[MPII_NAMES.index("thorax")], [50, 40])
    assert np.allclose(out[MPII_NAMES.index("pelvis")], [50, 80])
    assert np.allclose(out[MPII_NAMES.index("right_wrist")], [20, 60])
    assert c[MPII_NAMES.index("pelvis")] == pytest.approx(0.1)  # weakest source wins

"""Li & Wand's MRF style loss and Neural Doodle's semantic maps (engines/style/mrf.py), and the iterative mode
with them: the folded loss equals the patch form, matches follow normalised cross-correlation and stay inside
a semantic class, and a run with the defaults lowers the MRF term and writes the image."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from engines import assets
from engines.style.config import GatysConfig
from engines.style.mrf import MRFStyleLoss, patches, semantic_channels
from tests.conftest import require_assets


def test_the_folded_loss_and_its_gradient_equal_the_sum_over_patches():
    torch.manual_seed(0)
    loss = MRFStyleLoss({"a": torch.rand(1, 6, 12, 12)}, ("a",), k=3)
    x = torch.rand(1, 6, 10, 11, requires_grad=True)
    folded = loss({"a": x})
    (grad_folded,) = torch.autograd.grad(folded, x)
    match = loss.last_matches["a"]
    direct = torch.mean((patches(x, 3) - loss.style_patches["a"][match]) ** 2)
    (grad_direct,) = torch.autograd.grad(direct, x)
    assert abs(float(folded.detach()) - float(direct.detach())) < 1e-6 * float(direct.detach())
    assert torch.allclose(grad_folded, grad_direct, atol=1e-8)


def test_each_patch_matches_the_style_patch_of_highest_normalised_correlation():
    torch.manual_seed(1)
    style = torch.rand(1, 4, 9, 9)
    loss = MRFStyleLoss({"a": style}, ("a",), k=3)
    assert float(loss({"a": style})) < 1e-10  # the style image's own patches: each finds itself
    x = 5 * style.flip(-1)  # scaled: cross-correlation is normalised on the style side, scale changes nothing
    loss({"a": x})
    p, s = patches(x, 3), loss.style_patches["a"]
    ncc = (p / p.norm(dim=1, keepdim=True)) @ (s / s.norm(dim=1, keepdim=True)).t()
    assert torch.equal(loss.last_matches["a"], ncc.argmax(1))


def test_a_larger_style_is_sampled_at_a_stride_and_matches_are_reused_between_searches():
    style = torch.rand(1, 2, 40, 40)
    loss = MRFStyleLoss({"a": style}, ("a",), k=3, max_style_patches=400, match_every=3)
    assert loss.style_patches["a"].shape[0] <= 400  # stride 2: 19 x 19 of the 38 x 38 patches
    x = torch.rand(1, 2, 16, 16)
    loss({"a": x})
    kept = loss.last_matches["a"].clone()
    loss({"a": torch.rand(1, 2, 16, 16)})
    assert torch.equal(loss.last_matches["a"], kept)  # second forward: no search


def _halves(side: int, left, right, vertical: bool) -> np.ndarray:
    m = np.zeros((side, side, 3), np.uint8)
    if vertical:
        m[:, : side // 2], m[:, side // 2:] = left, right
    else:
        m[: side // 2], m[side // 2:] = left, right
    return m


def test_semantic_maps_keep_matches_inside_their_class():
    red, blue = (0, 0, 250), (250, 0, 0)
    content_map, style_map = semantic_channels(_halves(16, red, blue, vertical=False),
                                               _halves(16, red, blue, vertical=True))
    assert content_map.shape == (2, 16, 16) and style_map.shape == (2, 16, 16)
    torch.manual_seed(2)
    style, x = torch.rand(1, 8, 16, 16), torch.rand(1, 8, 16, 16)
    target_map, source_map = torch.from_numpy(content_map)[None], torch.from_numpy(style_map)[None]

    def same_class(gamma: float) -> float:
        loss = MRFStyleLoss({"a": style}, ("a",), k=3, style_map=source_map, target_map=target_map, gamma=gamma)
        loss({"a": x})
        target_class = patches(target_map, 3).reshape(-1, 2, 9)[:, :, 4].argmax(1)  # class at each patch centre
        style_class = patches(source_map, 3).reshape(-1, 2, 9)[:, :, 4].argmax(1)
        return float((style_class[loss.last_matches["a"]] == target_class).float().mean())

    assert same_class(10.0) > 0.95  # "paint this half with that half"
    assert same_class(0.0) < 0.8  # without the maps, patches come from anywhere


def test_semantic_maps_need_a_shared_colour_and_come_in_pairs():
    with pytest.raises(ValueError, match="share no colour"):
        semantic_channels(np.zeros((8, 8, 3), np.uint8), np.full((8, 8, 3), 255, np.uint8))
    with pytest.raises(ValueError, match="pairs"):
        GatysConfig(style_loss="mrf", content_map_path="a.png")
    with pytest.raises(ValueError, match="mrf"):
        GatysConfig(content_map_path="a.png", style_map_path="b.png")


def test_the_iterative_mode_with_the_mrf_loss_and_a_doodle(tmp_path):
    from engines.style.task import RESULT, run

    require_assets("arbitrary_predict.onnx", "messi5.jpg")
    photo = cv2.imread(str(assets.asset_path("messi5.jpg")))
    style = np.zeros((128, 128, 3), np.uint8)
    style[::12] = (0, 200, 255)
    style_path, content_map, style_map = tmp_path / "lines.png", tmp_path / "c.png", tmp_path / "s.png"
    cv2.imwrite(str(style_path), style)
    h, w = photo.shape[:2]
    cv2.imwrite(str(content_map), cv2.resize(_halves(64, (0, 0, 250), (250, 0, 0), vertical=True), (w, h)))
    cv2.imwrite(str(style_map), _halves(128, (0, 0, 250), (250, 0, 0), vertical=False))
    config = GatysConfig(steps=12, size=96, style_image=str(style_path), style_loss="mrf", preview_every=4,
                         content_map_path=str(content_map), style_map_path=str(style_map))
    steps = [s for s in run(config, device="cpu", run_dir=tmp_path / "run", stop=lambda: False)
             if hasattr(s, "losses")]
    assert set(steps[0].losses) == {"content", "mrf", "tv", "loss"}
    assert steps[-1].losses["mrf"] < 0.7 * steps[0].losses["mrf"]
    assert "MRF patches" in steps[0].message and "Neural Doodle" in steps[0].message
    assert sum(s.preview is not None for s in steps) >= 3  # the image evolving, as the preview
    assert cv2.imread(str(tmp_path / "run" / RESULT)).shape == (96, 96, 3)


def test_jitter_shifts_the_content_target_with_the_image():
    from engines.style.model import _tiny_features
    from engines.style.task import GatysTask

    rng = np.random.default_rng(0)
    photo = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    torch.manual_seed(0)
    features = _tiny_features()
    still = GatysTask(GatysConfig(size=64, style_loss="mrf", mrf_weight=0.0, tv_weight=0.0, jitter=0, lr=1e-6), photo,
                      photo, features)
    assert still.train_step(1)["content"] < 1e-9  # starts at the photo: nothing to do
    shifted = GatysTask(GatysConfig(size=64, style_loss="mrf", mrf_weight=0.0, tv_weight=0.0, jitter=6, lr=1e-6),
                        photo, photo, features)
    assert max(shifted.train_step(i)["content"] for i in range(1, 6)) < 1e-9  # target shifted the same way
    shifted.content_photo = shifted.content_photo.roll(3, 1)  # a target 3 px off the image: the loss sees it
    assert max(shifted.train_step(i)["content"] for i in range(6, 11)) > 1e-4

"""StyleEngine on a real photo: blends, strength, kept colours, arbitrary style, thumbnails; the Gatys task
lowers its style loss; the command line writes a PNG and a JSON summary."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from engines import assets
from engines.base import EngineError
from engines.style.engine import StyleEngine, blend_weights
from tests.conftest import require_assets


@pytest.fixture(scope="module")
def engine() -> StyleEngine:
    require_assets("multistyle26.onnx", "arbitrary_predict.onnx", "arbitrary_transform.onnx")
    e = StyleEngine()
    e.load()
    return e


@pytest.fixture(scope="module")
def photo() -> np.ndarray:
    require_assets("messi5.jpg")
    return cv2.resize(cv2.imread(str(assets.asset_path("messi5.jpg"))), (320, 200))


def test_blend_weights_parse_and_refuse():
    assert blend_weights(3)[3] == 1
    w = blend_weights({3: 1, 12: 3})
    assert w[3] == pytest.approx(0.25) and w[12] == pytest.approx(0.75)
    for bad in (26, -1, np.zeros(26), np.full(26, np.nan), np.ones(5)):
        with pytest.raises(EngineError):
            blend_weights(bad)


def test_styles_differ_blends_interpolate_and_strength_zero_is_the_photo(engine, photo):
    a, b = engine.infer(photo, 3).stylized.astype(float), engine.infer(photo, 12).stylized.astype(float)
    assert a.shape == photo.shape and np.abs(a - b).mean() > 10
    mid = engine.infer(photo, {3: 0.5, 12: 0.5}).stylized.astype(float)
    assert np.abs(mid - a).mean() < np.abs(b - a).mean() and np.abs(mid - b).mean() < np.abs(b - a).mean()
    assert np.array_equal(engine.infer(photo, 3, strength=0.0).stylized, photo)
    with pytest.raises(EngineError):
        engine.infer(photo, 3, strength=1.5)


def test_keep_colours_keeps_the_chroma_and_takes_the_luminance(engine, photo):
    styled = engine.infer(photo, 3).stylized
    kept = engine.infer(photo, 3, keep_colors=True).stylized
    ycc = [cv2.cvtColor(x, cv2.COLOR_BGR2YCrCb).astype(int) for x in (photo, styled, kept)]
    assert np.abs(ycc[2][..., 1:] - ycc[0][..., 1:]).mean() < 3
    assert np.abs(ycc[2][..., 0] - ycc[1][..., 0]).mean() < 3
    assert np.abs(ycc[1][..., 1:] - ycc[0][..., 1:]).mean() > 5  # the style had changed the colours


def test_arbitrary_style_follows_the_style_image(engine, photo):
    red = np.zeros((128, 128, 3), np.uint8)
    red[..., 2] = 255
    red[::8] = 255
    blue = red[..., ::-1].copy()
    v_red, v_blue = engine.style_vector(red), engine.style_vector(blue)
    assert v_red.shape == (100,) and not v_red.flags.writeable
    r, b = engine.infer(photo, style_vector=v_red), engine.infer(photo, style_vector=v_blue)
    assert r.mode == "arbitrary" and r.weights is None and r.stylized.shape == photo.shape
    redness = [float(x.stylized[..., 2].mean() - x.stylized[..., 0].mean()) for x in (r, b)]
    assert redness[0] > redness[1] + 20


def test_thumbnails_are_26_small_squares(engine, photo):
    thumbs = engine.thumbnails(photo, 40)
    assert len(thumbs) == 26 and all(t.shape == (40, 40, 3) for t in thumbs)


def test_gatys_steps_lower_the_style_loss(photo):
    import torch

    from engines.style.config import GatysConfig
    from engines.style.task import GatysTask, perceptual_net

    require_assets("arbitrary_predict.onnx")
    torch.manual_seed(0)
    style = np.zeros((128, 128, 3), np.uint8)
    style[::12] = (0, 200, 255)
    task = GatysTask(GatysConfig.tiny(steps=12, size=96), photo, style, perceptual_net())
    losses = [task.train_step(i) for i in range(1, 13)]
    assert losses[-1]["style"] < 0.5 * losses[0]["style"]
    assert task.picture().shape == (96, 96, 3)


def test_cli_infer_writes_the_png_and_the_json(tmp_path, engine):
    from engines.style.cli import main

    require_assets("messi5.jpg")
    out, summary = tmp_path / "out.png", tmp_path / "out.json"
    code = main(["infer", str(assets.asset_path("messi5.jpg")), "--blend", "3:0.5,12:0.5", "--size", "128",
                 "--out", str(out), "--json", str(summary)])
    assert code == 0 and cv2.imread(str(out)).shape == cv2.imread(str(assets.asset_path("messi5.jpg"))).shape
    data = json.loads(Path(summary).read_text())
    assert data["mode"] == "multistyle" and data["weights"] == {"3": 0.5, "12": 0.5}
    assert main(["infer", str(tmp_path / "absent.jpg"), "--out", str(out)]) == 2


def test_cpu_backends_run_the_26_style_network_or_are_refused_with_a_reason(engine, photo):
    from engines.backends.choice import backend_devices

    ref = engine.infer(photo, 3).stylized.astype(int)
    tried = [d for d in backend_devices() if d in ("onnxruntime-f32", "openvino-f32")]
    if not tried:
        pytest.skip("no CPU backend installed")
    try:
        for device in tried:
            engine.set_device(device)
            assert engine.device == device
            assert np.abs(engine.infer(photo, 3).stylized.astype(int) - ref).max() <= 2
    finally:
        engine.set_device("cpu")
    assert np.array_equal(engine.infer(photo, 3).stylized.astype(int), ref)


def test_trusted_pixels_flag_disocclusion_and_accept_a_plain_shift():
    from engines.style.video import trusted_pixels

    forward = np.zeros((40, 60, 2), np.float32)
    forward[..., 0] = 3.0  # everything moved 3 px right
    assert trusted_pixels(forward, -forward).mean() == 1.0
    backward = -forward.copy()
    backward[10:20, 10:20] = 0  # a patch that does not move back: disoccluded
    c = trusted_pixels(forward, backward)
    assert c[12:18, 12:18].max() == 0 and c[30:, 40:].min() == 1


def test_video_mode_lowers_flicker_on_the_demo_clip(engine):
    from engines.style.video import flicker_on_video

    require_assets("vtest.avi")
    res = flicker_on_video(engine, assets.asset_path("vtest.avi"), frames=8)
    assert res["flicker_video_mode"] < 0.7 * res["flicker_frame_by_frame"]


def test_instance_norm_makes_the_output_ignore_input_contrast_and_fixed_statistics_do_not(engine, photo):
    from engines.style.engine import contrast_effect

    res = contrast_effect(engine, photo, style=3, factor=0.5)
    assert res["input_change"] > 10
    assert res["instance_norm"] < 3 and res["fixed_statistics"] > 5 * res["instance_norm"] + 10
    # recorded statistics of the same frame reproduce instance norm itself
    engine.freeze_statistics()
    first = engine.infer(photo, 3, fixed_stats=True).stylized.astype(int)
    assert np.abs(first - engine.infer(photo, 3).stylized.astype(int)).max() <= 1


def test_texture_synthesis_from_noise_with_the_spectrum_constraint(photo):
    from engines.style.config import GatysConfig
    from engines.style.task import GatysTask, perceptual_net

    require_assets("arbitrary_predict.onnx")
    style = np.zeros((64, 64, 3), np.uint8)
    style[::8] = (255, 255, 255)  # horizontal stripes every 8 px: vertical frequency 64 / 8 = 8
    config = GatysConfig.tiny(steps=10, size=64, init="noise", content_weight=0.0, spectrum=True)
    task = GatysTask(config, photo, style, perceptual_net())
    losses = [task.train_step(i) for i in range(1, 11)]
    assert losses[0]["content"] == 0.0 and losses[-1]["style"] < losses[0]["style"]
    img = task.picture().astype(np.float32).mean(-1)
    spec = np.abs(np.fft.rfft2(img - img.mean()))
    assert spec[8, 0] > 20 * np.median(spec)  # the stripes' frequency carries the energy

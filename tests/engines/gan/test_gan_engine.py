"""GANEngine: loads only valid, finite, bounded weights files; samples, interpolates and sets InfoGAN codes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.base import EngineError
from engines.gan.config import GANConfig
from engines.gan.engine import GANEngine, slerp
from engines.gan.model import build_generator, export_weights, weights_payload


def _write(path, cfg: GANConfig, **changes):
    torch.manual_seed(0)
    payload = weights_payload(cfg, build_generator(cfg), None, dataset="test", step=1)
    payload.update(changes)
    return export_weights(payload, path)


def test_load_sample_and_grid(tmp_path):
    eng = GANEngine()
    eng.load(_write(tmp_path / "g.pt", GANConfig.tiny()))
    s = eng.sample(5, seed=1)
    assert s.pictures.shape == (5, 32, 32) and s.pictures.dtype == np.uint8 and s.z.shape == (5, 8)
    assert eng.grid(16).shape[2] == 3
    with pytest.raises(ValueError):
        eng.infer(np.zeros((2, 3), np.float32))


def test_bad_files_leave_the_engine_as_it_was(tmp_path):
    eng = GANEngine()
    eng.load(_write(tmp_path / "ok.pt", GANConfig.tiny()))
    before = eng.G
    cfg = GANConfig.tiny()
    nan_state = {k: v.clone() for k, v in build_generator(cfg).state_dict().items()}
    first = next(k for k, v in nan_state.items() if v.is_floating_point())
    nan_state[first][...] = float("nan")
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes((tmp_path / "ok.pt").read_bytes()[:200])
    huge = {**cfg.to_dict(), "width": 10**6}
    cases = [damaged, _write(tmp_path / "nan.pt", cfg, generator=nan_state),
             _write(tmp_path / "huge.pt", cfg, config=huge),
             _write(tmp_path / "other.pt", cfg, config={**cfg.to_dict(), "width": 16}),
             _write(tmp_path / "fmt.pt", cfg, format="something-else"), tmp_path / "missing.pt"]
    for path in cases:
        with pytest.raises(EngineError):
            eng.load(path)
    assert eng.G is before


def test_infogan_codes_and_interpolation(tmp_path):
    eng = GANEngine()
    eng.load(_write(tmp_path / "i.pt", GANConfig.tiny("infogan")))
    z = eng.latent(3, seed=0)
    c = eng.config
    set_ = eng.with_codes(z, category=4, continuous=(1.5, -2.0))
    k = c.latent_dim
    assert (set_[:, k + 4] == 1).all() and set_[:, k: k + c.info_categories].sum() == 3
    assert (set_[:, k + c.info_categories] == 1.5).all() and (set_[:, :k] == z[:, :k]).all()
    path = eng.interpolate(z[0], z[1], 5)
    assert np.allclose(path[0], z[0], atol=1e-5) and np.allclose(path[-1], z[1], atol=1e-5)


def test_slerp_keeps_the_norm_between_orthogonal_unit_vectors():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    mid = slerp(a, b, np.array([0.5]))[0]
    assert np.linalg.norm(mid) == pytest.approx(1.0, abs=1e-6)


def test_every_shipped_gan_file_loads_and_samples_within_the_size_budget():
    """assets/weights/gan_*.pt: each loads (the tab's list), gives finite samples that vary with z, and all of
    them together stay within issue 15's 20 MB; the tab opens on DCGAN's Fashion-MNIST samples."""
    from engines.gan.engine import FIRST_SHIPPED, shipped_weights

    shipped = shipped_weights()
    assert shipped and next(iter(shipped)) == FIRST_SHIPPED
    assert sum(p.stat().st_size for p in shipped.values()) <= 20 << 20
    for name, path in shipped.items():
        eng = GANEngine()
        eng.load(path)
        s = eng.sample(8, seed=0)
        out = s.pictures if eng.config.image else s.points
        assert out.shape[0] == 8 and np.isfinite(out.astype(np.float64)).all(), name
        assert float(out.astype(np.float64).std(0).mean()) > 0.01, name


def test_describe_names_ambientgan_and_its_ignore_baseline(tmp_path):
    """An AmbientGAN checkpoint uses DCGAN's nets; the tab's status line should say what trained it."""
    from dataclasses import replace

    for ambient, name in ((True, "AmbientGAN"), (False, "'ignore' baseline")):
        cfg = replace(GANConfig.tiny(), measurement="block-pixels", measurement_p=0.5, ambient=ambient)
        e = GANEngine()
        e.load(_write(tmp_path / f"{ambient}.pt", cfg))
        assert e.describe().startswith(f"{name} (dcgan nets, block-pixels p 0.5) on ")
    plain = GANEngine()
    plain.load(_write(tmp_path / "plain.pt", GANConfig.tiny()))
    assert plain.describe().startswith("dcgan on ")


def test_describe_gives_a_shipped_files_measured_fd():
    """The shipped BEGAN file draws clothes of six classes only; its status line gives its FD, the measure we report
    (high here: FD counts the missing classes)."""
    from engines.gan.engine import shipped_weights

    e = GANEngine()
    e.load(shipped_weights()["began_fashion-mnist"])
    assert e.config.variant == "began" and e.config.began_skip and "FD 176 on our classifier's features" in e.describe()

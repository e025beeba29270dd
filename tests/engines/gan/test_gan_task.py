"""GAN lab training: every variant steps with finite losses, its own curves, exact resume, WGAN's clipping,
AmbientGAN's measurements, and the recipe's run exports a gan.pt the engine samples from."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.gan import losses as L
from engines.gan.config import VARIANTS, GANConfig, GANTrainSettings
from engines.gan.task import GANTrainTask

PICS = np.random.default_rng(0).uniform(-1, 1, (64, 1, 32, 32)).astype(np.float32)
OWN_CURVES = {"wgan": "critic_estimate", "wgan-gp": "gp", "began": "M", "infogan": "info", "dcgan": "D(G(z))",
              "otgan": "d_loss"}


@pytest.mark.parametrize(("variant", "image"),
                         [(v, image) for v in VARIANTS for image in (True, False) if not (image and v == "otgan")])
def test_every_variant_steps_with_finite_losses(variant, image):
    task = GANTrainTask(GANConfig.tiny(variant, image), PICS if image else "ring8")
    for step in range(1, 3):
        out = task.train_step(step)
    assert all(np.isfinite(v) for v in out.values())
    assert {"loss", "d_loss", "g_loss", "grad_norm_D", "grad_norm_G"} <= set(out)
    assert OWN_CURVES.get(variant, "loss") in out
    assert task.preview().ndim == 3


@pytest.mark.parametrize("variant", ["dcgan", "began", "wgan-gp"])
def test_resume_is_exact(variant):
    a = GANTrainTask(GANConfig.tiny(variant), PICS)
    for step in range(1, 3):
        a.train_step(step)
    state = {k: (v.copy() if isinstance(v, dict) else v) for k, v in a.state_dict().items()}
    import copy

    state = copy.deepcopy(state)
    expected = a.train_step(3)
    b = GANTrainTask(GANConfig.tiny(variant), PICS)
    b.load_state_dict(state)
    assert b.train_step(3) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_wgan_clips_the_critic_and_takes_n_critic_batches():
    task = GANTrainTask(GANConfig.tiny("wgan").with_(clip=0.005), PICS)
    task.train_step(1)
    assert max(float(p.detach().abs().max()) for p in task.D.parameters()) <= 0.005 + 1e-7
    assert task.position == task.config.batch_size * task.config.n_critic == 4 * 5


def test_began_k_stays_in_the_unit_interval():
    task = GANTrainTask(GANConfig.tiny("began").with_(began_lambda_k=1.0), PICS)
    ks = [task.train_step(s)["k_t"] for s in range(1, 6)]
    assert all(0.0 <= k <= 1.0 for k in ks)


def test_block_pixels_blacks_out_about_p_of_the_pixels():
    cfg = GANConfig(measurement="block-pixels", measurement_p=0.7)
    x = torch.ones(8, 1, 32, 32)
    y = L.measure(cfg, x, torch.Generator().manual_seed(0))
    assert abs(float((y == -1).float().mean()) - 0.7) < 0.02
    patch = L.measure(cfg.with_(measurement="block-patch"), x, torch.Generator().manual_seed(0))
    assert ((patch == -1).flatten(1).sum(1) == 14 * 14).all()


def test_gradient_penalty_is_zero_for_a_unit_slope_critic():
    class Unit(torch.nn.Module):
        def forward(self, x):
            return {"logit": x[:, 0] * 1.0}

    gp = L.gradient_penalty(Unit(), torch.randn(5, 2), torch.randn(5, 2))
    assert float(gp) == pytest.approx(0.0, abs=1e-6)


def test_the_recipe_exports_weights_the_engine_samples_from(tmp_path):
    from engines.gan.engine import GANEngine
    from engines.gan.task import RECIPE

    steps = [s for s in RECIPE.run(GANTrainSettings.tiny(), device="cpu", run_dir=tmp_path, stop=lambda: False)
             if hasattr(s, "losses")]
    assert steps[-1].step == 4 and steps[-1].checkpoint == str(tmp_path / "gan.pt")
    assert any(s.preview is not None for s in steps) and "modes_covered" in steps[-1].metrics
    eng = GANEngine()
    eng.load(tmp_path / "gan.pt")
    s = eng.sample(10, seed=3)
    assert s.points.shape == (10, 2) and np.array_equal(s.points, eng.sample(10, seed=3).points)
    assert eng.toy_view().shape == (320, 320, 3)


def test_infogan_q_and_ds_shared_body_minimise_the_information_term_at_the_papers_rates():
    """InfoGAN (Chen et al., their MNIST code): Q shares D's body and steps with D's optimiser, whose loss adds
    lambda x the information term on G's samples, so the body learns what recovers c (not only real/fake);
    G minimises the term too, with its own optimiser; lr G 1e-3, D 2e-4."""
    cfg = GANConfig.for_variant("infogan")
    assert (cfg.lr_g, cfg.lr_d) == (1e-3, 2e-4)
    bodies = []
    for lam in (0.0, 1.0):
        task = GANTrainTask(GANConfig.tiny("infogan").with_(info_lambda=lam), PICS)
        q_ids = {id(p) for p in task.D.q.parameters()}
        assert q_ids <= {id(p) for g in task.opt_d.param_groups for p in g["params"]}
        assert not q_ids & {id(p) for g in task.opt_g.param_groups for p in g["params"]}
        task.d_step(torch.Generator().manual_seed(0), 1)
        bodies.append(torch.cat([p.detach().flatten() for p in task.D.body.parameters()]))
    assert not torch.allclose(bodies[0], bodies[1])

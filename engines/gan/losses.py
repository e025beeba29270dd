"""The variants' losses (each cites its paper) and AmbientGAN's measurements.

Scores: `l` float[B] is D's logit (GAN variants: D(x) = sigmoid(l)), the critic's value C(x) (WGAN) or the
L1 reconstruction error L(x) (BEGAN). All losses are minimised.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from engines.gan.config import GANConfig

SIGMOID_VARIANTS = ("gan-minimax", "gan-ns", "dcgan", "infogan")


def d_loss(cfg: GANConfig, l_real: torch.Tensor, l_fake: torch.Tensor, k_t: float = 0.0) -> torch.Tensor:
    """D's (critic's) loss on one batch of real and generated samples (before WGAN-GP's penalty)."""
    v = cfg.variant
    if v in SIGMOID_VARIANTS:  # GAN eq. 1: max log D(x) + log(1 - D(G(z))) == min softplus(-l_r) + softplus(l_f)
        return F.softplus(-l_real).mean() + F.softplus(l_fake).mean()
    if v in ("wgan", "wgan-gp"):  # WGAN: max E[C(x)] - E[C(G(z))]
        return l_fake.mean() - l_real.mean()
    if v == "sngan":  # hinge: V_D = E[min(0, -1 + D(x))] + E[min(0, -1 - D(G(z)))], maximised
        return F.relu(1 - l_real).mean() + F.relu(1 + l_fake).mean()
    if v == "began":  # L_D = L(x) - k_t L(G(z_D))
        return l_real.mean() - k_t * l_fake.mean()
    raise ValueError(v)


def g_loss(cfg: GANConfig, l_fake: torch.Tensor) -> torch.Tensor:
    """G's loss on D's scores of generated samples."""
    v = cfg.variant
    if v == "gan-minimax":  # min log(1 - D(G(z))) = -softplus(l)
        return -F.softplus(l_fake).mean()
    if v in ("gan-ns", "dcgan", "infogan"):  # max log D(G(z)) (non-saturating)
        return F.softplus(-l_fake).mean()
    if v in ("wgan", "wgan-gp", "sngan"):  # min -E[C(G(z))]; SN-GAN hinge: V_G = -E[D(G(z))]
        return -l_fake.mean()
    if v == "began":  # L_G = L(G(z_G))
        return l_fake.mean()
    raise ValueError(v)


def gradient_penalty(critic: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor,
                     gen: torch.Generator | None = None) -> torch.Tensor:
    """WGAN-GP: E[(|grad_x_hat C(x_hat)|_2 - 1)^2], x_hat uniform on lines between real and fake samples."""
    eps = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), generator=gen).to(real.device)
    x_hat = (eps * real + (1 - eps) * fake).requires_grad_(True)
    score = critic(x_hat)["logit"]
    (grad,) = torch.autograd.grad(score.sum(), x_hat, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()


def sample_codes(cfg: GANConfig, n: int, gen: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """InfoGAN's c: (int64[n] categories, float[n, info_continuous] ~ U(-1, 1))."""
    cat = torch.randint(0, cfg.info_categories, (n,), generator=gen)
    cont = torch.rand(n, cfg.info_continuous, generator=gen) * 2 - 1
    return cat, cont


def code_vector(cfg: GANConfig, cat: torch.Tensor, cont: torch.Tensor) -> torch.Tensor:
    """(B,) categories + (B, k) continuous -> (B, categories + k) generator input (one-hot, values)."""
    return torch.cat([F.one_hot(cat, cfg.info_categories).float(), cont.float()], 1)


def info_loss(cfg: GANConfig, q: torch.Tensor, cat: torch.Tensor, cont: torch.Tensor) -> torch.Tensor:
    """-(lower bound of I(c; G(z, c))) up to H(c): cross-entropy of Q(c_cat|x) plus the Gaussian (sigma = 1)
    negative log-likelihood 0.5 (c_cont - mu)^2 of the continuous codes."""
    c = cfg.info_categories
    ce = F.cross_entropy(q[:, :c], cat.to(q.device))
    nll = 0.5 * ((q[:, c:] - cont.to(q.device)) ** 2).sum(1).mean() if cfg.info_continuous else q.new_zeros(())
    return ce + nll


def measure(cfg: GANConfig, x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    """AmbientGAN's f_theta on pictures (B, 1, 32, 32) in [-1, 1] (black = -1):

    block-pixels: each pixel set to black with probability p; block-patch: one random 14x14 patch set to black;
    blur-noise: Gaussian blur (5x5, sigma 1 px) plus N(0, 0.5^2) noise in 0..1 units (std 1.0 in our [-1, 1]).
    """
    m = cfg.measurement
    if m == "none":
        return x
    if m == "block-pixels":
        keep = (torch.rand(x.shape, generator=gen) >= cfg.measurement_p).to(x.device)
        return torch.where(keep, x, torch.full_like(x, -1.0))
    if m == "block-patch":
        b, _, h, w = x.shape
        top = torch.randint(0, h - 14 + 1, (b,), generator=gen).to(x.device)
        left = torch.randint(0, w - 14 + 1, (b,), generator=gen).to(x.device)
        rows = torch.arange(h, device=x.device)[None, :, None]
        cols = torch.arange(w, device=x.device)[None, None, :]
        inside = ((rows >= top[:, None, None]) & (rows < top[:, None, None] + 14)
                  & (cols >= left[:, None, None]) & (cols < left[:, None, None] + 14))
        return torch.where(inside[:, None], torch.full_like(x, -1.0), x)
    if m == "blur-noise":
        t = torch.arange(5, dtype=x.dtype, device=x.device) - 2
        k1 = torch.exp(-(t**2) / 2)
        k1 = k1 / k1.sum()
        kernel = (k1[:, None] * k1[None, :])[None, None]
        blurred = F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), kernel)
        return blurred + torch.randn(x.shape, generator=gen).to(x.device) * 1.0
    raise ValueError(m)

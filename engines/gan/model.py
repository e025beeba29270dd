"""GAN lab networks: DCGAN-style conv G/D for 1x32x32 pictures, MLPs for 2-D points and GAN on pictures,
BEGAN's autoencoder D, InfoGAN's Q head, SN-GAN's spectral norm; and the weights file format.

Shapes: z float32[B, latent_dim + code_dim]; pictures float32[B, 1, 32, 32] in [-1, 1]; points float32[B, 2].
Every D returns a dict: "logit" float32[B] (GAN/critic score, BEGAN: the L1 reconstruction error per
sample), plus "q" float32[B, categories + continuous] (InfoGAN) or "recon" (BEGAN, same shape as x).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from engines.gan.config import GANConfig

WEIGHTS_FORMAT = "paperzoo-gan-1"
CONV_VARIANTS = ("dcgan", "wgan", "wgan-gp", "sngan", "began", "infogan")  # the rest use MLPs on pictures too


def uses_conv(config: GANConfig) -> bool:
    return config.image and config.variant in CONV_VARIANTS


class ConvGenerator(nn.Module):
    """DCGAN G: z (B, Z) -> (B, 4w, 4, 4) -> (B, 2w, 8, 8) -> (B, w, 16, 16) -> (B, 1, 32, 32); fractionally
    strided 4x4 convs, BN + ReLU in hidden layers, Tanh."""

    def __init__(self, z_dim: int, w: int) -> None:
        super().__init__()

        def up(cin: int, cout: int, first: bool = False) -> list[nn.Module]:
            conv = nn.ConvTranspose2d(cin, cout, 4, 1 if first else 2, 0 if first else 1, bias=False)
            return [conv, nn.BatchNorm2d(cout), nn.ReLU(True)]

        self.net = nn.Sequential(*up(z_dim, 4 * w, True), *up(4 * w, 2 * w), *up(2 * w, w),
                                 nn.ConvTranspose2d(w, 1, 4, 2, 1), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z[:, :, None, None])  # (B, 1, 32, 32)


class ConvDiscriminator(nn.Module):
    """DCGAN D: (B, 1, 32, 32) -> (B, w, 16, 16) -> (B, 2w, 8, 8) -> (B, 4w, 4, 4) -> logit (B,).

    Strided convs, LeakyReLU 0.2, BN after the first layer (dcgan, wgan, infogan); none for wgan-gp (the
    penalty is per sample); spectral norm on every conv for sngan. q_dim > 0 adds InfoGAN's Q head on the
    (B, 4w, 4, 4) features (the paper's MNIST Q: FC 128, BN, LeakyReLU, FC to the code's parameters); Q shares
    the body with D, and D's optimiser trains both on the information term (engines/gan/task.py).
    """

    def __init__(self, w: int, norm: str = "bn", q_dim: int = 0) -> None:
        super().__init__()

        def conv(cin: int, cout: int, k: int = 4, s: int = 2, p: int = 1) -> nn.Module:
            c = nn.Conv2d(cin, cout, k, s, p)
            return spectral_norm(c) if norm == "sn" else c

        def block(cin: int, cout: int, bn: bool) -> list[nn.Module]:
            return [conv(cin, cout), *([nn.BatchNorm2d(cout)] if bn else []), nn.LeakyReLU(0.2, True)]

        bn = norm == "bn"
        self.body = nn.Sequential(*block(1, w, False), *block(w, 2 * w, bn), *block(2 * w, 4 * w, bn))
        self.head = conv(4 * w, 1, 4, 1, 0)
        self.q = (nn.Sequential(nn.Flatten(), nn.Linear(16 * 4 * w, 128), nn.BatchNorm1d(128),
                                nn.LeakyReLU(0.2, True), nn.Linear(128, q_dim)) if q_dim else None)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        h = self.body(x)  # (B, 4w, 4, 4)
        out = {"logit": self.head(h).flatten()}
        if self.q is not None:
            out["q"] = self.q(h)
        return out


class BEGANDecoder(nn.Module):
    """BEGAN's decoder, shared by G and D's autoencoder (the paper gives G the decoder's architecture):
    h (B, n_h) -> linear -> h0 (B, w, 8, 8) -> [3x3 conv, ELU, nearest 2x up] x 2 -> 3x3 conv, ELU -> 3x3 conv ->
    (B, 1, 32, 32), a linear output for G and D alike (the paper's decoder) and no BN (the paper has none). A
    Tanh on G saturated at the background: a 500-step Fashion-MNIST run went blank (mean -0.996), where tanh's
    gradient is 0 and G cannot leave; to_pictures clips G's output to [-1, 1] for display.
    skip=True: the paper's skip connections, h0 upsampled to each resolution and concatenated to the features
    before that resolution's first conv (its input channels double there).
    """

    def __init__(self, n_h: int, w: int, skip: bool = False) -> None:
        super().__init__()
        self.w, self.skip = w, skip
        cin = 2 * w if skip else w
        self.fc = nn.Linear(n_h, w * 64)
        self.net = nn.Sequential(nn.ELU(), nn.Conv2d(w, w, 3, 1, 1), nn.ELU(), nn.Upsample(scale_factor=2),
                                 nn.Conv2d(cin, w, 3, 1, 1), nn.ELU(), nn.Upsample(scale_factor=2),
                                 nn.Conv2d(cin, w, 3, 1, 1), nn.ELU(), nn.Conv2d(w, 1, 3, 1, 1))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        h0 = self.fc(h).view(-1, self.w, 8, 8)
        if not self.skip:
            return self.net(h0)  # (B, 1, 32, 32)
        x = torch.cat([self.net[:4](h0), self.net[3](h0)], 1)  # (B, 2w, 16, 16)
        x = self.net[4:7](x)
        return self.net[7:](torch.cat([x, self.net[6](self.net[3](h0))], 1))  # (B, 1, 32, 32)


class ConvAutoencoder(nn.Module):
    """BEGAN D: x (B, 1, 32, 32) -> enc (B, 2w, 8, 8) -> h (B, n_h) -> BEGANDecoder -> (B, 1, 32, 32); ELU, no BN.

    "logit" is the per-sample L1 reconstruction error mean|x - D(x)| (the paper's L(v), eta = 1).
    """

    def __init__(self, w: int, n_h: int, skip: bool = False) -> None:
        super().__init__()
        elu = nn.ELU
        self.enc = nn.Sequential(nn.Conv2d(1, w, 3, 1, 1), elu(), nn.Conv2d(w, w, 4, 2, 1), elu(),
                                 nn.Conv2d(w, 2 * w, 4, 2, 1), elu(), nn.Flatten(), nn.Linear(2 * w * 64, n_h))
        self.dec = BEGANDecoder(n_h, w, skip)

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        recon = self.dec(self.enc(x))
        return {"logit": (recon - x).abs().flatten(1).mean(1), "recon": recon}


def _mlp(sizes: list[int], act: nn.Module, sn: bool = False) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        lin = nn.Linear(a, b)
        layers.append(spectral_norm(lin) if sn else lin)
        if i < len(sizes) - 2:
            layers.append(act)
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z (B, Z) -> ReLU MLP -> points (B, 2), or pictures (B, 1, 32, 32) through Tanh (the original GAN)."""

    def __init__(self, z_dim: int, w: int, image: bool) -> None:
        super().__init__()
        self.image = image
        sizes = [z_dim, 4 * w, 8 * w, 32 * 32] if image else [z_dim, w, w, w, 2]
        self.net = _mlp(sizes, nn.ReLU(True))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        y = self.net(z)
        return torch.tanh(y).view(-1, 1, 32, 32) if self.image else y


class MLPDiscriminator(nn.Module):
    """points (B, 2) or pictures (B, 1, 32, 32) -> LeakyReLU 0.2 MLP -> logit (B,); SN-GAN: spectral norm on
    every layer; q_dim > 0: InfoGAN's Q head on the last hidden layer; autoencoder=True: BEGAN's D."""

    def __init__(self, w: int, image: bool, sn: bool = False, q_dim: int = 0, autoencoder: bool = False) -> None:
        super().__init__()
        d_in = 32 * 32 if image else 2
        hidden = [8 * w, 4 * w] if image else [w, w, w]
        self.autoencoder = autoencoder
        act = nn.ELU() if autoencoder else nn.LeakyReLU(0.2)
        if autoencoder:
            self.body = _mlp([d_in, *hidden, d_in], act)
            self.head = None
        else:
            self.body = nn.Sequential(_mlp([d_in, *hidden], act, sn), act)
            self.head = _mlp([hidden[-1], 1], act, sn)
        self.q = nn.Linear(hidden[-1], q_dim) if q_dim else None

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        flat = x.flatten(1)
        if self.autoencoder:
            recon = self.body(flat)
            return {"logit": (recon - flat).abs().mean(1), "recon": recon.view_as(x)}
        h = self.body(flat)
        out = {"logit": self.head(h).flatten()}
        if self.q is not None:
            out["q"] = self.q(h)
        return out


def build_generator(config: GANConfig) -> nn.Module:
    z = config.latent_dim + config.code_dim
    if uses_conv(config):
        if config.variant == "began":
            return BEGANDecoder(z, config.width, config.began_skip)
        return ConvGenerator(z, config.width)
    return MLPGenerator(z, config.width, config.image)


def build_discriminator(config: GANConfig) -> nn.Module:
    v = config.variant
    if v == "otgan":
        from engines.gan.otgan import EmbeddingCritic

        return EmbeddingCritic(config.width)
    q_dim = config.code_dim
    if uses_conv(config):
        if v == "began":
            return ConvAutoencoder(config.width, config.latent_dim, config.began_skip)
        return ConvDiscriminator(config.width, {"wgan-gp": "none", "sngan": "sn"}.get(v, "bn"), q_dim)
    return MLPDiscriminator(config.width, config.image, sn=v == "sngan", q_dim=q_dim, autoencoder=v == "began")


def init_weights(module: nn.Module) -> None:
    """DCGAN's init: conv weights N(0, 0.02), BN scale N(1, 0.02), BN shift 0 (MLPs keep torch's default)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)) and not hasattr(m, "parametrizations"):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)


def init_began(module: nn.Module) -> None:
    """BEGAN nets (ELU, no BN): every conv/linear weight N(0, 1/fan_in), biases 0. DCGAN's N(0, 0.02) shrinks
    the signal at each layer without BN: G(z) then varies by 0.004 (std across 64 z) and the run collapses to
    blank pictures; this init gives 0.31 (torch's default 0.04)."""
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.kaiming_normal_(m.weight, nonlinearity="linear")
            nn.init.zeros_(m.bias)


# ---------------------------------------------------------------------- weights file
def weights_payload(config: GANConfig, generator: nn.Module, discriminator: nn.Module | None,
                    **info: Any) -> dict[str, Any]:
    """The exported file: format, config, G's state (D's too for 2-D sets: the decision heatmap), info."""
    payload = {"format": WEIGHTS_FORMAT, "config": config.to_dict(),
               "generator": {k: v.detach().cpu().clone() for k, v in generator.state_dict().items()}}
    if discriminator is not None:
        payload["discriminator"] = {k: v.detach().cpu().clone() for k, v in discriminator.state_dict().items()}
    return {**payload, **info}


def export_weights(payload: dict[str, Any], path: str | Path) -> Path:
    """Write a weights file atomically (temp file + rename)."""
    from engines.training import save_checkpoint

    path = Path(path)
    save_checkpoint(path, payload)  # our "format" key replaces the checkpoint one
    return path


def load_weights_payload(path: str | Path) -> dict[str, Any]:
    """Read a GAN weights file (weights_only=True); EngineError on a wrong or damaged file."""
    from engines.base import EngineError

    path = Path(path)
    if not path.is_file():
        raise EngineError(f"GAN weights {path} do not exist")
    if path.stat().st_size > 256 << 20:
        raise EngineError(f"{path.name} is larger than 256 MB: not a GAN lab weights file")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many types for damaged files
        raise EngineError(f"{path.name} is damaged or not a PyTorch weights file ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        is_checkpoint = isinstance(payload, dict) and "task" in payload
        hint = " (a training checkpoint: use the run's gan.pt)" if is_checkpoint else ""
        raise EngineError(f"{path.name} is not a GAN lab weights file{hint}")
    return payload


# ---------------------------------------------------------------------- contract-test cases
def tiny_cases() -> list:
    """Tiny G and D of every network family on fixed random inputs."""
    from engines.base import ModelCase

    b = 3

    def case(name: str, variant: str, image: bool, part: str) -> ModelCase:
        cfg = GANConfig.tiny(variant, image)
        z_dim = cfg.latent_dim + cfg.code_dim
        x_shape = (b, 1, 32, 32) if image else (b, 2)
        if part == "G":
            return ModelCase(name, lambda: build_generator(cfg), lambda: (torch.randn(b, z_dim),),
                             lambda m, x: {"x": m(*x)}, {"x": x_shape})
        shapes: dict[str, tuple[int, ...]] = {"logit": (b,)}
        if variant == "infogan":
            shapes["q"] = (b, cfg.code_dim)
        if variant == "began":
            shapes["recon"] = x_shape
        if variant == "otgan":
            shapes["embedding"] = (b, cfg.width)
        # BEGAN: d/d recon of mean|recon - x| + mean(recon) vanishes where recon < x; square the recon term
        loss = (lambda out: out["logit"].mean() + (out["recon"] ** 2).mean()) if variant == "began" else None
        return ModelCase(name, lambda: build_discriminator(cfg), lambda: (torch.randn(*x_shape),),
                         lambda m, x: m(*x), shapes, loss)

    return [case("dcgan-G", "dcgan", True, "G"), case("dcgan-D", "dcgan", True, "D"),
            case("wgan-gp-D", "wgan-gp", True, "D"), case("sngan-D", "sngan", True, "D"),
            case("began-G", "began", True, "G"), case("began-D", "began", True, "D"),
            case("infogan-G", "infogan", True, "G"), case("infogan-D", "infogan", True, "D"),
            case("gan-mlp-G", "gan-ns", True, "G"), case("gan-mlp-D", "gan-ns", True, "D"),
            case("toy-G", "gan-ns", False, "G"), case("toy-sngan-D", "sngan", False, "D"),
            case("toy-began-D", "began", False, "D"), case("toy-infogan-D", "infogan", False, "D"),
            case("toy-otgan-D", "otgan", False, "D")]

"""GAN lab configs: GANConfig (networks, loss, optimiser) and GANTrainSettings (the training form).

Variants and the paper each follows (engines/gan/task.py has the losses):
  gan-minimax  Goodfellow et al.: MLP G and D, D maximises log D(x) + log(1 - D(G(z))), G minimises log(1 - D(G(z)))
  gan-ns       the same nets, G maximises log D(G(z)) (the paper's non-saturating fix)
  dcgan        Radford et al.: strided conv D / fractionally strided conv G, BN, LeakyReLU 0.2, Adam 2e-4, beta1 0.5
  wgan         Arjovsky et al.: critic (no sigmoid), weights clipped to [-c, c], RMSprop 5e-5, n_critic 5
  wgan-gp      Gulrajani et al.: critic without BN, lambda (|grad C(x_hat)| - 1)^2, Adam 1e-4 (0, 0.9), n_critic 5
  sngan        Miyato et al.: spectral norm on every D layer (one power iteration per step), hinge loss
  began        Berthelot et al.: autoencoder D, L1 reconstruction, k_t control (lambda_k 1e-3), gamma, Adam 1e-4
  infogan      Chen et al.: DCGAN + Q head; c = 1 categorical (10) + 2 continuous U(-1, 1); lambda I(c; G(z, c))
  otgan        Salimans et al. (2-D sets only): mini-batch energy distance, Sinkhorn transport under a learned
               cosine cost (engines/gan/otgan.py), Adam 3e-4 (0.5, 0.999), 3 G steps per critic step
Toy 2-D sets use MLPs for every variant (BEGAN: an MLP autoencoder).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

VARIANTS = ("gan-minimax", "gan-ns", "dcgan", "wgan", "wgan-gp", "sngan", "began", "infogan", "otgan")
IMAGE_VARIANTS = VARIANTS[:-1]  # OT-GAN is built for the 2-D sets only
MEASUREMENTS = ("none", "block-pixels", "block-patch", "blur-noise")

# paper optimiser settings: (optimiser, lr G, lr D, beta1, beta2, n_critic)
PAPER_OPTIM: dict[str, tuple[str, float, float, float, float, int]] = {
    "gan-minimax": ("adam", 2e-4, 2e-4, 0.5, 0.999, 1),  # the paper used SGD + momentum; Adam as DCGAN for speed
    "gan-ns": ("adam", 2e-4, 2e-4, 0.5, 0.999, 1),
    "dcgan": ("adam", 2e-4, 2e-4, 0.5, 0.999, 1),
    "wgan": ("rmsprop", 5e-5, 5e-5, 0.0, 0.0, 5),
    "wgan-gp": ("adam", 1e-4, 1e-4, 0.0, 0.9, 5),
    "sngan": ("adam", 2e-4, 2e-4, 0.5, 0.999, 1),
    "began": ("adam", 1e-4, 1e-4, 0.5, 0.999, 1),
    "infogan": ("adam", 1e-3, 2e-4, 0.5, 0.999, 1),  # the paper's MNIST rates: G 1e-3, D (with Q) 2e-4
    "otgan": ("adam", 3e-4, 3e-4, 0.5, 0.999, 1),  # and n_gen 3 (PAPER_G_STEPS)
}
PAPER_G_STEPS = {"otgan": 3}  # generator updates per training step (OT-GAN updates G more often than the critic)
MAX_LATENT = 512
MAX_WIDTH = 512


@dataclass(frozen=True)
class GANConfig:
    """One variant's networks and training rule.

    image: 1x32x32 pictures in [-1, 1] (else 2-D points). latent_dim: z ~ N(0, I) of this size. width: base
    channel count (conv: G 4w -> 2w -> w, D w -> 2w -> 4w) or hidden units (MLP). clip: WGAN's c.
    gp_lambda: WGAN-GP's lambda. began_gamma: BEGAN's diversity ratio gamma; began_lambda_k: lambda_k.
    began_lr_stall: BEGAN's decay (the paper halves the learning rate when M stalls): lr_g and lr_d halve, not
    below began_lr_floor, when M (averaged over windows of began_lr_stall // 2 steps) has set no new best for
    began_lr_stall steps; 0: a constant learning rate. began_skip: the paper's skip connections in the decoder (G and
    D's), h0 fed to every upsampled resolution; files written before the option load without them.
    info_categories / info_continuous: InfoGAN's code sizes; info_lambda: lambda on the mutual-information term.
    measurement / measurement_p: AmbientGAN's f (block-pixels drops each pixel w.p. p); ambient=False is the
    "ignore" baseline (D compares measured real images with unmeasured G(z)).
    """

    variant: str = "dcgan"
    image: bool = True
    latent_dim: int = 64
    width: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    optimizer: str = "adam"
    n_critic: int = 1
    clip: float = 0.01
    gp_lambda: float = 10.0
    began_gamma: float = 0.5
    began_lambda_k: float = 1e-3
    began_lr_stall: int = 0
    began_lr_floor: float = 1e-6
    began_skip: bool = False
    info_categories: int = 10
    info_continuous: int = 2
    info_lambda: float = 1.0
    measurement: str = "none"
    measurement_p: float = 0.5
    ambient: bool = True
    batch_size: int = 64
    n_gen: int = 1
    seed: int = 0

    def __post_init__(self) -> None:
        if self.variant not in VARIANTS:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {self.variant!r}")
        if self.measurement not in MEASUREMENTS:
            raise ValueError(f"measurement must be one of {', '.join(MEASUREMENTS)}")
        if not 1 <= int(self.latent_dim) <= MAX_LATENT or not 1 <= int(self.width) <= MAX_WIDTH:
            raise ValueError(f"latent_dim and width must be in 1..{MAX_LATENT}")
        if not 2 <= int(self.batch_size) <= 4096 or not 1 <= int(self.n_critic) <= 20 or not 1 <= self.n_gen <= 20:
            raise ValueError("batch_size must be in 2..4096, n_critic and n_gen in 1..20")
        if self.variant == "otgan" and self.image:
            raise ValueError("OT-GAN is built for the 2-D sets only (ring8, grid25, moons)")
        if self.optimizer not in ("adam", "rmsprop"):
            raise ValueError("optimizer must be adam or rmsprop")
        if not (0 < self.lr_g <= 1 and 0 < self.lr_d <= 1):
            raise ValueError("learning rates must be in (0, 1]")
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError("betas must be in [0, 1)")
        if self.clip <= 0 or self.gp_lambda < 0 or self.info_lambda < 0:
            raise ValueError("clip must be > 0, gp_lambda and info_lambda >= 0")
        if not (0 <= self.began_gamma <= 1 and 0 <= self.began_lambda_k <= 1):
            raise ValueError("began_gamma and began_lambda_k must be in [0, 1]")
        if self.began_lr_stall < 0 or not 0 < self.began_lr_floor <= 1:
            raise ValueError("began_lr_stall must be >= 0 (0: no decay) and began_lr_floor in (0, 1]")
        if not (1 <= self.info_categories <= 100 and 0 <= self.info_continuous <= 10):
            raise ValueError("info_categories must be in 1..100 and info_continuous in 0..10")
        if not 0 <= self.measurement_p < 1:
            raise ValueError("measurement_p must be in [0, 1)")
        if self.measurement != "none" and not self.image:
            raise ValueError("measurements apply to image data sets only")

    @property
    def code_dim(self) -> int:
        """Extra generator inputs: InfoGAN's one-hot categorical + continuous codes (0 otherwise)."""
        return self.info_categories + self.info_continuous if self.variant == "infogan" else 0

    @classmethod
    def tiny(cls, variant: str = "dcgan", image: bool = True) -> GANConfig:
        """Eight-channel nets for tests (milliseconds per step on one CPU thread)."""
        return cls.for_variant(variant, image=image, latent_dim=8, width=8, batch_size=4)

    @classmethod
    def for_variant(cls, variant: str, **changes: Any) -> GANConfig:
        """The variant with its paper's optimiser settings (PAPER_OPTIM), then `changes`."""
        if variant not in PAPER_OPTIM:
            raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
        opt, lr_g, lr_d, b1, b2, n_critic = PAPER_OPTIM[variant]
        base = dict(variant=variant, optimizer=opt, lr_g=lr_g, lr_d=lr_d, beta1=b1, beta2=b2, n_critic=n_critic,
                    n_gen=PAPER_G_STEPS.get(variant, 1))
        return cls(**{**base, **changes})

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> GANConfig:
        """Rebuild from to_dict() output, ignoring unknown keys (older/newer files)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_(self, **changes: Any) -> GANConfig:
        return replace(self, **changes)


@dataclass(frozen=True)
class GANTrainSettings:
    """The training form (and `cli train` flags).

    dataset: fashion-mnist, mnist, ring8, grid25, moons or a folder of images. lr = 0 and n_critic = 0 keep
    the variant's paper settings. measurement (AmbientGAN): none, block-pixels, block-patch, blur-noise.
    began_lr_stall > 0: BEGAN's lr halves (not below began_lr_floor) when M has not improved for that many steps.
    eval_every: steps between evaluations (FD on our classifier's features when one is shipped, 2-D mode coverage).
    """

    variant: str = "dcgan"
    dataset: str = "fashion-mnist"
    steps: int = 3000
    batch_size: int = 64
    latent_dim: int = 64
    width: int = 32
    lr: float = 0.0
    n_critic: int = 0
    began_gamma: float = 0.5
    began_lambda_k: float = 1e-3
    began_lr_stall: int = 0
    began_lr_floor: float = 1e-6
    began_skip: bool = False
    measurement: str = "none"
    measurement_p: float = 0.5
    ambient: bool = True
    seed: int = 0
    eval_every: int = 250
    checkpoint_every: int = 250
    preview_every: int = 25

    def __post_init__(self) -> None:
        from engines.gan.data import DATASETS

        if self.steps < 1 or self.eval_every < 0 or self.checkpoint_every < 0 or self.preview_every < 0:
            raise ValueError("steps must be positive; eval, checkpoint and preview cadences >= 0")
        if self.dataset not in DATASETS and not self.dataset.strip():
            raise ValueError(f"dataset must be one of {', '.join(DATASETS)} or a folder of images")
        if self.lr < 0 or self.n_critic < 0:
            raise ValueError("lr and n_critic must be >= 0 (0: the paper's setting)")
        self.model_config()

    @property
    def image(self) -> bool:
        from engines.gan.data import TOY_SETS

        return self.dataset not in TOY_SETS

    @classmethod
    def tiny(cls) -> GANTrainSettings:
        """A few steps of tiny nets on the ring (no download; seconds on one CPU thread)."""
        return cls(dataset="ring8", steps=4, batch_size=8, latent_dim=4, width=8, eval_every=2,
                   checkpoint_every=0, preview_every=2)

    def model_config(self) -> GANConfig:
        changes: dict[str, Any] = {}
        if self.lr:
            changes.update(lr_g=self.lr, lr_d=self.lr)
        if self.n_critic:
            changes["n_critic"] = self.n_critic
        return GANConfig.for_variant(
            self.variant, image=self.image, latent_dim=self.latent_dim, width=self.width,
            began_gamma=self.began_gamma, began_lambda_k=self.began_lambda_k, began_lr_stall=self.began_lr_stall,
            began_lr_floor=self.began_lr_floor, began_skip=self.began_skip,
            measurement=self.measurement if self.image else "none",
            measurement_p=self.measurement_p, ambient=self.ambient, batch_size=self.batch_size, seed=self.seed,
            **changes)

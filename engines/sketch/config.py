"""SketchRNNConfig: model size, loss weights and optimiser settings (paper defaults unless noted)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any


@dataclass(frozen=True)
class SketchRNNConfig:
    """Hyper-parameters of sketch-rnn.

    Sizes: enc_size (each direction of the bi-LSTM), dec_size (decoder LSTM), z_size (N_z),
    num_mixture (M bivariate normals), max_seq_len (N_max points per drawing).
    Loss: L_R + kl_weight * eta_step * max(L_KL, kl_tolerance), with
    eta_step = 1 - (1 - kl_weight_start) * kl_decay_rate**step (KL annealing).
    The paper's decay rate 0.99995 anneals over ~100k steps; our CPU runs are ~5k steps, so the
    default here is 0.999 (eta reaches 0.99 by step ~4,600).
    Optimiser: Adam, lr = max(min_lr, learning_rate * decay_rate**step), gradient norm clip.
    recurrent_dropout: probability of dropping a hidden-to-hidden weight (DropConnect on W_hh, one
    mask per batch); a fused-kernel stand-in for the paper's dropout on the cell update.
    conditional=False gives the decoder-only (unconditional) model: no encoder, no z.
    """

    enc_size: int = 128
    dec_size: int = 256
    z_size: int = 64
    num_mixture: int = 20
    max_seq_len: int = 80
    conditional: bool = True
    kl_weight: float = 0.5
    kl_weight_start: float = 0.01
    kl_decay_rate: float = 0.999
    kl_tolerance: float = 0.2
    learning_rate: float = 1e-3
    decay_rate: float = 0.9999
    min_lr: float = 1e-5
    grad_clip: float = 1.0
    recurrent_dropout: float = 0.1
    random_scale: float = 0.15
    batch_size: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("enc_size", "dec_size", "z_size", "num_mixture", "max_seq_len", "batch_size"):
            if int(getattr(self, name)) < 1:
                raise ValueError(f"{name} must be a positive integer, got {getattr(self, name)!r}")
        if self.kl_weight < 0 or self.kl_tolerance < 0:
            raise ValueError("kl_weight and kl_tolerance must be >= 0")
        for name in ("kl_weight_start", "kl_decay_rate", "decay_rate"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)!r}")
        if not 0.0 <= self.recurrent_dropout < 1.0:
            raise ValueError("recurrent_dropout must be in [0, 1)")
        if not 0.0 <= self.random_scale < 1.0:
            raise ValueError("random_scale must be in [0, 1)")
        if self.learning_rate <= 0 or self.min_lr < 0 or self.grad_clip <= 0:
            raise ValueError("learning_rate and grad_clip must be > 0, min_lr >= 0")

    @classmethod
    def tiny(cls) -> SketchRNNConfig:
        """A few-thousand-parameter model for tests (fast on one CPU thread)."""
        return cls(enc_size=8, dec_size=16, z_size=4, num_mixture=3, max_seq_len=12, batch_size=4)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> SketchRNNConfig:
        """Rebuild from asdict() output, ignoring unknown keys (older/newer files)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_(self, **changes: Any) -> SketchRNNConfig:
        return replace(self, **changes)


@dataclass(frozen=True)
class SketchTrainSettings:
    """The training form (and `cli train` flags). dataset: "kanji", "icons" or a QuickDraw .npz path.

    Sizes are LSTM widths; Nz = z_size; kl_decay_rate anneals the KL weight (see SketchRNNConfig).
    The other SketchRNNConfig fields (N_max 80, seed 0, ...) keep their defaults (see model_config()).
    """

    dataset: str = "kanji"
    steps: int = 3000
    conditional: bool = True
    enc_size: int = 128
    dec_size: int = 256
    z_size: int = 64
    batch_size: int = 100
    learning_rate: float = 1e-3
    kl_weight: float = 0.5
    kl_decay_rate: float = 0.999
    eval_every: int = 250
    checkpoint_every: int = 200
    preview_every: int = 50

    def __post_init__(self) -> None:
        if self.steps < 1 or self.eval_every < 1 or self.preview_every < 0:
            raise ValueError("steps and eval_every must be positive, preview_every >= 0")
        if self.dataset not in ("kanji", "icons") and not self.dataset.endswith(".npz"):
            raise ValueError("dataset must be kanji, icons or a QuickDraw .npz file")
        self.model_config()  # the model's own checks (sizes, rates)

    @classmethod
    def tiny(cls) -> SketchTrainSettings:
        """A few steps of the tiny model on the shipped icons (seconds on one CPU thread)."""
        t = SketchRNNConfig.tiny()
        return cls(dataset="icons", steps=4, enc_size=t.enc_size, dec_size=t.dec_size, z_size=t.z_size,
                   batch_size=t.batch_size, eval_every=2, checkpoint_every=0, preview_every=2)

    def model_config(self) -> SketchRNNConfig:
        return SketchRNNConfig(enc_size=self.enc_size, dec_size=self.dec_size, z_size=self.z_size,
                               conditional=self.conditional, batch_size=self.batch_size,
                               learning_rate=self.learning_rate, kl_weight=self.kl_weight,
                               kl_decay_rate=self.kl_decay_rate)

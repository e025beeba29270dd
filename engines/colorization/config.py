"""ColorizationConfig (the network's size and optimiser) and ColorizationTrainSettings (the training
form), frozen and validated."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class ColorizationConfig:
    """Iizuka et al. (2016), "Let there be Color!", scaled by `width`.

    width: multiplies every channel count (1.0 = the paper's 64..512 convs, 1024/512/256 FCs).
    use_global: False builds the paper's ablation (no global features, no class head).
    num_classes: categories of the classification head (taken from the data set's index).
    global_size: side (px) of the global net's input; must be a multiple of 32 (paper: 224).
    infer_size: side (px) at which `ColorizationEngine.infer` runs the local path; chroma is then
      upsampled onto the full-resolution L.
    local_size: training crop side (px) for the local path; a multiple of 8.
    class_weight: alpha in loss = MSE(ab) + alpha * CE(class) (paper: 1/300).
    lr / batch_size / seed / max_crops: optimiser (Adam) rate, photos per step, RNG seed, and the cap
      on crops drawn per large photo (in 256x256 slots).
    encoder: "" = the paper's low-level net, trained; "mobilenetv2-style" = a frozen ImageNet MobileNetV2,
      "darknet-coco" = YOLOv3-tiny's frozen COCO backbone (encoder.py) gives the low-level and global features.
    colour_loss: "mse" (the paper) or "rebalanced" (a*b* bin classification, rebalanced, annealed-mean
      decoding: rebalance.py); num_bins is then the number of a*b* bins (set when the model is built).
    anneal_t: the annealed-mean temperature T of "rebalanced" (1 = the mean, towards 0 = the mode).
    debias: "rebalanced" only: subtract debias * log(rebalancing weight) from the bin logits before decoding.
      The weighted loss trains softmax ~ w(q) p(q | x); debias 1 undoes w (back to the photos' own colour
      statistics: lower MSE, fewer rare colours), 0 keeps the rebalanced distribution.
    source_cap: training draws only: no photo source gets more than this share of the crops (0 = no cap;
      data.capped_shares). Against the food package's yellow-brown pull (27.5% of the draws uncapped).
    """

    width: float = 1.0
    use_global: bool = True
    num_classes: int = 48
    global_size: int = 224
    infer_size: int = 256
    local_size: int = 128
    class_weight: float = 1.0 / 300.0
    lr: float = 1e-3
    lr_final: float = 1e-4
    batch_size: int = 16
    seed: int = 0
    max_crops: int = 4
    encoder: str = ""
    colour_loss: str = "mse"
    num_bins: int = 0
    anneal_t: float = 0.38
    debias: float = 0.0
    source_cap: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.source_cap <= 1:
            raise ValueError(f"source_cap must be in [0, 1] (0 = no cap), got {self.source_cap}")
        if self.encoder not in ("", "mobilenetv2-style", "darknet-coco"):
            raise ValueError(f"encoder must be '', 'mobilenetv2-style' or 'darknet-coco', got {self.encoder!r}")
        if self.colour_loss not in ("mse", "rebalanced"):
            raise ValueError(f"colour_loss must be 'mse' or 'rebalanced', got {self.colour_loss!r}")
        if not 0 <= self.num_bins <= 1024 or not 0.01 <= self.anneal_t <= 10 or not 0 <= self.debias <= 1:
            raise ValueError("num_bins must be in [0, 1024], anneal_t in [0.01, 10] and debias in [0, 1]")
        if not 0.01 <= self.width <= 4.0:
            raise ValueError(f"width must be in [0.01, 4], got {self.width}")
        if self.num_classes < 1:
            raise ValueError("num_classes must be >= 1")
        if self.global_size < 32 or self.global_size % 32:
            raise ValueError(f"global_size must be a positive multiple of 32, got {self.global_size}")
        if self.local_size < 8 or self.local_size % 8:
            raise ValueError(f"local_size must be a positive multiple of 8, got {self.local_size}")
        if not 8 <= self.infer_size <= 1024:  # 30000 would make one inference allocate > 8 GB
            raise ValueError(f"infer_size must be in [8, 1024], got {self.infer_size}")
        if self.global_size > 512 or self.local_size > 512 or self.num_classes > 10_000:
            raise ValueError("global_size and local_size must be <= 512, num_classes <= 10000")
        if self.class_weight < 0 or self.lr <= 0 or self.lr_final <= 0:
            raise ValueError("class_weight must be >= 0 and learning rates > 0")
        if self.batch_size < 1 or self.max_crops < 1:
            raise ValueError("batch_size and max_crops must be >= 1")

    def ch(self, paper_channels: int) -> int:
        """The paper's channel count scaled by width (at least 4)."""
        return max(4, int(round(paper_channels * self.width)))

    @classmethod
    def cpu(cls, **overrides) -> ColorizationConfig:
        """The shipped CPU model: width 0.25 (~2.7 M parameters)."""
        return replace(cls(width=0.25), **overrides)

    @classmethod
    def tiny(cls, **overrides) -> ColorizationConfig:
        """A few-thousand-parameter net for tests."""
        return replace(
            cls(width=0.0625, num_classes=3, global_size=64, infer_size=48, local_size=32, batch_size=2),
            **overrides,
        )


@dataclass(frozen=True)
class ColorizationTrainSettings:
    """The training panel's form (and `cli train`'s flags).

    video: a colour video to fine-tune on, self-supervised ("" = the photo set; the demo clip if none is built);
    start_from_shipped: fine-tune the shipped weights (else train from scratch);
    init: a weights file to start from instead (takes precedence over start_from_shipped);
    width / use_global / global_size / local_size / encoder / colour_loss / anneal_t / debias only apply
    from scratch (the defaults are the paper's recipe, as shipped; the tested alternative is
    encoder="mobilenetv2-style", colour_loss="rebalanced", width 0.5, local_size 224: see card.md);
    fine-tuning keeps the starting file's network;
    data_root: the photo set's folder ("" = the user data dir); half_export: store the exported weights
    as float16; source_cap: the largest share of the crop draws one photo source may get (0 = no cap).
    A run folder that already holds a last.pt continues from it (the same command resumes).
    """

    video: str = ""
    start_from_shipped: bool = True
    init: str = ""
    steps: int = 300
    width: float = 0.25
    use_global: bool = True
    global_size: int = 224
    local_size: int = 128
    batch_size: int = 8
    lr: float = 3e-4
    seed: int = 0
    eval_every: int = 50
    checkpoint_every: int = 50
    data_root: str = ""
    encoder: str = ""
    colour_loss: str = "mse"
    anneal_t: float = 0.38
    debias: float = 0.0
    half_export: bool = False
    source_cap: float = 0.0

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1 or self.eval_every < 1:
            raise ValueError("steps, batch_size and eval_every must be positive")
        if self.checkpoint_every < 0:
            raise ValueError("checkpoint_every must be >= 0")
        if not 0 < self.lr < 1:
            raise ValueError("lr must be in (0, 1)")
        if self.video and not Path(self.video).is_file():
            raise ValueError(f"no video at {self.video}")
        if self.init and not Path(self.init).is_file():
            raise ValueError(f"no weights file at {self.init}")
        self.net_config()  # validates width / sizes

    def net_config(self) -> ColorizationConfig:
        """The network config these settings train (lr_final = lr / 10)."""
        num_bins = 0
        if self.colour_loss == "rebalanced":
            from engines.colorization.rebalance import ab_bins

            num_bins = len(ab_bins())
        return ColorizationConfig(width=self.width, use_global=self.use_global, global_size=self.global_size,
                                  local_size=self.local_size, batch_size=self.batch_size, lr=self.lr,
                                  lr_final=self.lr / 10, seed=self.seed, encoder=self.encoder,
                                  colour_loss=self.colour_loss, num_bins=num_bins, anneal_t=self.anneal_t,
                                  debias=self.debias, source_cap=self.source_cap)

    @classmethod
    def tiny(cls, **overrides) -> ColorizationTrainSettings:
        """A two-step run of the tiny net from scratch (pass data_root= a small photo set)."""
        t = ColorizationConfig.tiny()
        base = dict(start_from_shipped=False, steps=2, width=t.width, global_size=t.global_size,
                    local_size=t.local_size, batch_size=t.batch_size, eval_every=2, checkpoint_every=0,
                    encoder="", colour_loss="mse")
        return cls(**{**base, **overrides})

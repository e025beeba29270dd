"""The sketch tab's training recipe: the shared panel's form -> engines.sketch.train.train_iter."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from engines.base import StopFlag, TrainStep
from engines.training import TrainingRecipe


@dataclass(frozen=True)
class SketchTrainSettings:
    """dataset: "kanji", "icons" or a QuickDraw .npz path. Sizes are LSTM widths; Nz = z_size."""

    dataset: str = "kanji"
    steps: int = 3000
    conditional: bool = True
    enc_size: int = 128
    dec_size: int = 256
    z_size: int = 64
    batch_size: int = 100
    learning_rate: float = 1e-3
    kl_weight: float = 0.5
    eval_every: int = 250
    checkpoint_every: int = 200
    preview_every: int = 50

    def __post_init__(self) -> None:
        if self.steps < 1 or self.eval_every < 1 or self.preview_every < 0:
            raise ValueError("steps and eval_every must be positive, preview_every >= 0")
        if self.dataset not in ("kanji", "icons") and not self.dataset.endswith(".npz"):
            raise ValueError("dataset must be kanji, icons or a QuickDraw .npz file")
        self.model_config()  # the model's own checks (sizes, rates)

    def model_config(self):
        from engines.sketch.config import SketchRNNConfig

        return SketchRNNConfig(enc_size=self.enc_size, dec_size=self.dec_size, z_size=self.z_size,
                               conditional=self.conditional, batch_size=self.batch_size,
                               learning_rate=self.learning_rate, kl_weight=self.kl_weight)


def run(settings: SketchTrainSettings, *, device: str, run_dir: Path, stop: StopFlag,
        resume: str | Path | None = None) -> Iterator[TrainStep]:
    """Train sketch-rnn; the last step's `checkpoint` is RUN_DIR/sketch.pt, loadable by the tab."""
    from engines.runtime import resolve_device
    from engines.sketch.train import train_iter

    return train_iter(settings.dataset, settings.model_config(), stop, settings.steps, settings.eval_every,
                      settings.checkpoint_every, run_dir, resume, resolve_device(device), settings.preview_every)


RECIPE = TrainingRecipe(paper="sketch", title="sketch-rnn", config_type=SketchTrainSettings, run=run)

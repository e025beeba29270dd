"""Model B of the style tab's compare view: the same networks painting in a style of its own.

The tab's run_engine calls engine.infer(image, weights, strength, keep_colors, vector, ...) with the tab's
style; StyleSide keeps every other setting (strength, colours, contrast) but replaces the style, so the two
halves of the split differ only in the style. Worker thread only, like the engine it wraps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class StyleChoice:
    """A compare-view style: one of the 26 built-in styles (index) or the style of an image (path)."""

    index: int | None = None
    image: Path | None = None

    def __post_init__(self) -> None:
        if (self.index is None) == (self.image is None):
            raise ValueError("a StyleChoice is a built-in style index or an image, not both")


class StyleSide:
    """Wraps a loaded StyleEngine; infer() ignores the style it is given and paints in its own."""

    compare_side = True  # the tab keeps video blending (per-tab state) to model A

    def __init__(self, engine: Any, choice: StyleChoice) -> None:
        from engines.images import read_image
        from engines.style.engine import blend_weights

        self.engine = engine
        self.choice = choice
        self.vector: np.ndarray | None = None
        self.weights = blend_weights(0)
        if choice.image is not None:
            self.vector = engine.style_vector(read_image(choice.image))
        else:
            self.weights = blend_weights(int(choice.index))

    def infer(self, image: np.ndarray, weights: Any = 0, strength: float = 1.0, keep_colors: bool = False,
              style_vector: np.ndarray | None = None, **options: Any):
        del weights, style_vector  # model A's style
        return self.engine.infer(image, self.weights, strength, keep_colors, self.vector, **options)

    def __getattr__(self, name: str) -> Any:  # device, refused, config ... of the wrapped engine
        return getattr(self.engine, name)

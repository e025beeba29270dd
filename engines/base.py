"""Shared contracts: paper descriptions, the Engine protocol, training steps and frozen results.

Every engine takes numpy in and gives frozen dataclasses of CPU numpy out, so results can
cross threads without copies or locks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

StopFlag = Callable[[], bool]
"""Called between steps; returns True when the caller wants the loop to end."""


class EngineError(RuntimeError):
    """A problem the user can act on (bad weights file, missing asset); the message says what to do."""


@dataclass(frozen=True)
class PaperInfo:
    """One registry entry: a paper (or family) and where its tab and engine live.

    `tab` and `engine` are lazy "module:Class" strings, imported only when the tab is built.
    """

    key: str
    title: str
    papers: tuple[str, ...]
    tab: str
    engine: str
    summary: str = ""
    live: bool = True  # has a camera/video source and a HUD


@dataclass(frozen=True)
class TrainStep:
    """What a training generator yields after each optimisation step (or evaluation).

    losses/metrics: name -> float for this step; `evaluated` marks a step whose metrics come from
    a held-out evaluation. `checkpoint` is the path written at this step, if any. `message` is a
    note for the user; a note that ends the run (NaN/inf loss) starts with "stopped:".
    """

    step: int
    total_steps: int
    epoch: float
    losses: Mapping[str, float]
    lr: float = 0.0
    metrics: Mapping[str, float] = field(default_factory=dict)
    evaluated: bool = False
    checkpoint: str | None = None
    message: str = ""
    preview: np.ndarray | None = None  # (H, W, 3) uint8 BGR, optional


@runtime_checkable
class Engine(Protocol):
    """A paper's inference engine. `infer` must be called from one worker thread at a time."""

    device: str

    def load(self, weights: Any, device: str) -> None: ...

    def infer(self, image: np.ndarray) -> Any: ...


def frozen_array(a: np.ndarray) -> np.ndarray:
    """Return `a` as a read-only, C-contiguous array (safe to share between threads)."""
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a

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
    """One registry entry: a paper (or family) and every module of its folder that others look up.

    `tab`, `engine` and `recipe` are lazy "module:Name" strings, imported only when used; `sources`,
    `bench`, `cli` and `model` are module paths (the folder template, see docs/adding-a-paper.md):
    sources.ASSETS, bench.bench_records(), cli.main(argv), model.tiny_cases(). `uses` names the
    other papers whose engines this one may import (pose uses detection's person box).
    """

    key: str
    title: str
    papers: tuple[str, ...]
    tab: str
    engine: str
    recipe: str = ""
    sources: str = ""
    bench: str = ""
    cli: str = ""
    model: str = ""
    summary: str = ""
    live: bool = True  # has a camera/video source and a HUD
    uses: tuple[str, ...] = ()

    @classmethod
    def from_folder(cls, key: str, title: str, papers: tuple[str, ...], tab_class: str, engine_class: str,
                    **kw: Any) -> PaperInfo:
        """The entry of a paper laid out by the template: engines/<key>/{engine,task,sources,bench,cli,model}.py."""
        pkg = f"engines.{key}"
        return cls(key=key, title=title, papers=papers, tab=f"desktop.tabs.{key}:{tab_class}",
                   engine=f"{pkg}.engine:{engine_class}", recipe=f"{pkg}.task:RECIPE", sources=f"{pkg}.sources",
                   bench=f"{pkg}.bench", cli=f"{pkg}.cli", model=f"{pkg}.model", **kw)


@dataclass(frozen=True)
class ModelCase:
    """A tiny network of a paper, for the contract tests run over the registry.

    build() -> torch.nn.Module (random init; the test seeds torch first); example() -> tuple of input
    tensors; forward(model, inputs) -> dict name -> output tensor; shapes: name -> expected shape;
    loss(outputs) -> scalar tensor touching every parameter (default: the sum of the outputs' means).
    """

    name: str
    build: Callable[[], Any]
    example: Callable[[], tuple]
    forward: Callable[[Any, tuple], Mapping[str, Any]]
    shapes: Mapping[str, tuple[int, ...]]
    loss: Callable[[Mapping[str, Any]], Any] | None = None


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


@dataclass(frozen=True)
class Preparing:
    """What a training generator yields before its first step (building a data set, labelling frames).

    done of total units of `what` (total 0: unknown); the panel shows it with a progress bar.
    """

    what: str
    done: int = 0
    total: int = 0


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

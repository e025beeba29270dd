"""The runs a user made: list them (for the tabs' model lists), describe them, drop empty ones.

A run folder (engines.training.new_run_dir) holds config.json, metrics.jsonl, last.pt and the
paper's exported weights; a run that exported nothing usable is not a model.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TrainedRun:
    """A finished or stopped run with its exported weights. step/total_steps from its log; when: export mtime (s)."""

    run_dir: Path
    export: Path
    step: int
    total_steps: int
    when: float

    @property
    def finished(self) -> bool:
        return self.total_steps > 0 and self.step >= self.total_steps

    def label(self) -> str:
        """e.g. "trained 2026-12-02 19:40 (300 steps)" or "... (stopped at 84/650)"."""
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.when))
        done = f"{self.step} steps" if self.finished else f"stopped at {self.step}/{self.total_steps or '?'}"
        return f"trained {stamp} ({done})"


def runs_root(root: Path | None = None) -> Path:
    from engines.assets import data_dir

    return root or data_dir() / "runs"


def _last_record(run_dir: Path) -> dict:
    try:
        lines = (run_dir / "metrics.jsonl").read_text(encoding="utf-8").splitlines()
        record = json.loads(next(line for line in reversed(lines) if line.strip()))
        return record if isinstance(record, dict) else {}
    except (OSError, ValueError, StopIteration):
        return {}


def _last_step(run_dir: Path) -> int:
    try:
        return int(_last_record(run_dir).get("step", 0))
    except (TypeError, ValueError):
        return 0


def _total_steps(run_dir: Path) -> int:
    """From the log (every record names the run's length), else the run's config.json "steps"."""
    try:
        total = _last_record(run_dir).get("total_steps")
        if total is None:
            total = json.loads((run_dir / "config.json").read_text(encoding="utf-8")).get("steps", 0)
        return int(total)
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def describe(run_dir: Path, export_name: str) -> TrainedRun | None:
    """The run in `run_dir` if it exported `export_name`, else None."""
    export = Path(run_dir) / export_name
    if not export.is_file():
        return None
    return TrainedRun(Path(run_dir), export, _last_step(run_dir), _total_steps(run_dir), export.stat().st_mtime)


def trained_runs(paper: str, export_name: str, root: Path | None = None) -> list[TrainedRun]:
    """Every run of `paper` that exported `export_name`, newest first."""
    base = runs_root(root) / paper
    found = [describe(d, export_name) for d in base.iterdir() if d.is_dir()] if base.is_dir() else []
    return sorted((r for r in found if r is not None), key=lambda r: r.when, reverse=True)


def discard_if_empty(run_dir: Path | None) -> bool:
    """Remove a run folder that holds no checkpoint and no step (a run that failed to start). True if removed."""
    if run_dir is None or not Path(run_dir).is_dir():
        return False
    run_dir = Path(run_dir)
    if (run_dir / "last.pt").exists() or _last_step(run_dir) > 0:
        return False
    if any(p.name not in ("config.json", "metrics.jsonl") for p in run_dir.iterdir()):
        return False
    shutil.rmtree(run_dir, ignore_errors=True)
    return True


def _inside_root(path: Path, root: Path | None) -> Path:
    base = runs_root(root).resolve()
    target = Path(path).resolve()
    if base not in target.parents:
        raise ValueError(f"{target} is not a run folder")
    return target


def delete_run(run: TrainedRun, root: Path | None = None) -> None:
    """Delete a run folder for good (only one inside the runs root: never an arbitrary path)."""
    shutil.rmtree(_inside_root(run.run_dir, root))


def trash_dir(root: Path | None = None) -> Path:
    """Where deleted runs wait (until empty_trash, at the next start) so a delete can be undone."""
    return runs_root(root) / ".trash"


def trash_run(run: TrainedRun, root: Path | None = None) -> Path:
    """Move a run folder into the trash (<runs>/.trash/<paper>/<name>); returns where it went."""
    target = _inside_root(run.run_dir, root)
    dest = trash_dir(root) / target.parent.name / target.name
    if dest.exists():
        shutil.rmtree(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    target.rename(dest)
    return dest


def restore_run(trashed: Path, root: Path | None = None) -> Path:
    """Undo trash_run: move <runs>/.trash/<paper>/<name> back to <runs>/<paper>/<name>; returns that folder."""
    trashed = Path(trashed).resolve()
    if trash_dir(root).resolve() not in trashed.parents:
        raise ValueError(f"{trashed} is not in the trash")
    dest = runs_root(root) / trashed.parent.name / trashed.name
    if dest.exists():
        raise ValueError(f"{dest} exists already")
    trashed.rename(dest)
    return dest


def empty_trash(root: Path | None = None) -> None:
    """Remove every run deleted in an earlier session (the app calls this when it starts)."""
    shutil.rmtree(trash_dir(root), ignore_errors=True)

"""The runs a user made: listed with their steps, empty ones dropped, deletion kept inside the runs folder;
`prepare` reports progress before a recipe's first step."""

from __future__ import annotations

import json
import threading

import pytest

from engines.base import EngineError, Preparing
from engines.runs import (
    delete_run,
    describe,
    discard_if_empty,
    empty_trash,
    restore_run,
    trained_runs,
    trash_run,
)
from engines.training import prepare


def _run(root, name, steps_done, total, export=True):
    run = root / "sketch" / name
    run.mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"steps": total}))
    (run / "metrics.jsonl").write_text("".join(json.dumps({"step": s}) + "\n" for s in range(1, steps_done + 1)))
    if export:
        (run / "sketch.pt").write_bytes(b"weights")
    return run


def test_trained_runs_are_listed_with_their_progress(tmp_path):
    done = _run(tmp_path, "20261202-100000", 30, 30)
    stopped = _run(tmp_path, "20261202-110000", 7, 30)
    _run(tmp_path, "20261202-120000", 3, 30, export=False)  # exported nothing: not a model
    runs = trained_runs("sketch", "sketch.pt", tmp_path)
    assert {r.run_dir for r in runs} == {done, stopped}
    by_dir = {r.run_dir: r for r in runs}
    assert by_dir[done].finished and "30 steps" in by_dir[done].label()
    assert not by_dir[stopped].finished and "stopped at 7/30" in by_dir[stopped].label()


def test_a_run_that_never_stepped_is_removed_and_others_are_kept(tmp_path):
    empty = tmp_path / "sketch" / "empty"
    empty.mkdir(parents=True)
    (empty / "config.json").write_text("{}")
    assert discard_if_empty(empty) and not empty.exists()
    kept = _run(tmp_path, "kept", 2, 10, export=False)
    assert not discard_if_empty(kept) and kept.exists()


def test_delete_refuses_a_folder_outside_the_runs_root(tmp_path):
    run = describe(_run(tmp_path / "elsewhere", "x", 1, 1), "sketch.pt")
    with pytest.raises(ValueError):
        delete_run(run, tmp_path / "runs")
    inside = describe(_run(tmp_path / "runs", "y", 1, 1), "sketch.pt")
    delete_run(inside, tmp_path / "runs")
    assert not inside.run_dir.exists()


def test_a_trashed_run_leaves_the_list_and_comes_back_whole_until_the_trash_is_emptied(tmp_path):
    root = tmp_path / "runs"
    run = describe(_run(root, "kept", 5, 10), "sketch.pt")
    files = sorted(p.name for p in run.run_dir.iterdir())
    trashed = trash_run(run, root)
    assert not run.run_dir.exists() and trained_runs("sketch", "sketch.pt", root) == []
    back = restore_run(trashed, root)
    assert back == run.run_dir and sorted(p.name for p in back.iterdir()) == files
    assert [r.run_dir for r in trained_runs("sketch", "sketch.pt", root)] == [run.run_dir]
    trashed = trash_run(run, root)
    empty_trash(root)
    assert not trashed.exists()
    with pytest.raises(ValueError):  # only folders in the trash can be restored
        restore_run(tmp_path / "elsewhere", root)


def _drive(gen):
    notes = []
    try:
        while True:
            notes.append(next(gen))
    except StopIteration as end:
        return notes, end.value


def test_prepare_yields_progress_then_returns_the_result():
    def work(progress):
        for i in range(1, 6):
            progress(i, 5)
            threading.Event().wait(0.15)
        return "the data"

    notes, value = _drive(prepare("building", work, lambda: False))
    assert value == "the data"
    assert all(isinstance(n, Preparing) and n.what == "building" for n in notes)
    assert any(n.total == 5 and n.done > 0 for n in notes)


def test_prepare_hands_back_the_error_and_honours_stop():
    def broken(progress):
        raise EngineError("no data")

    with pytest.raises(EngineError, match="no data"):
        _drive(prepare("x", broken, lambda: False))
    _, value = _drive(prepare("x", lambda p: threading.Event().wait(5), lambda: True))
    assert value is None


def test_a_stopped_prepare_ends_its_work_thread_before_returning():
    """Stop while preparing: the work stops at its next progress call and its thread is joined (no thread is
    left running into interpreter exit, which aborted the training child with 'exception not rethrown')."""
    seen: list[int] = []
    stop_now = threading.Event()

    def work(progress):
        for i in range(1000):
            progress(i, 1000)
            seen.append(i)
            if i == 3:
                stop_now.set()
            threading.Event().wait(0.02)
        return "never"

    before = {t.name for t in threading.enumerate()}
    _, value = _drive(prepare("labelling", work, stop_now.is_set))
    assert value is None
    assert len(seen) < 1000, "the work ran to its end after Stop"
    assert not [t for t in threading.enumerate() if t.name.startswith("prepare-") and t.name not in before]

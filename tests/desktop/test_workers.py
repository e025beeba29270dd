"""The worker abstraction: a generator on a QThread, the TaskRunner on it, and GuiThreadGC (GC on the GUI thread)."""

from __future__ import annotations

import gc
import threading

from desktop.workers import GuiThreadGC, Worker


class Cycle:
    """An object in a reference cycle that records which thread finally destroyed it."""

    def __init__(self, record: list[int]) -> None:
        self.me, self.record = self, record

    def __del__(self) -> None:
        self.record.append(threading.get_ident())


def test_garbage_made_on_a_worker_is_collected_on_the_gui_thread(qtbot):
    assert gc.isenabled()
    collector = GuiThreadGC(interval_ms=20)
    record: list[int] = []
    kept: list[list] = []

    def churn(stop):
        Cycle(record)  # unreachable at once, freed only by a cyclic collection
        kept.append([[i] for i in range(200_000)])  # live objects far past the generation-0 threshold
        yield len(kept)

    collector.start()
    try:
        assert not gc.isenabled()
        worker = Worker(churn, name="churn")
        with qtbot.waitSignal(worker.finished, timeout=10_000):
            worker.start()
        worker.wait()
        qtbot.waitUntil(lambda: len(record) > 0, timeout=5_000)
        assert record == [threading.get_ident()]  # freed by the GUI thread, not by the worker's allocations
        assert sum(collector.collections) >= 1
    finally:
        collector.stop()
    assert gc.isenabled()


def test_window_runs_the_collector_while_open(qtbot, make_window):
    window = make_window("sketch")
    assert not gc.isenabled()
    window.close()
    assert gc.isenabled()


def test_finished_receivers_see_the_thread_ended(qtbot):
    """A Stop followed at once by a Resume must not find the old thread still running."""
    seen: list[bool] = []
    worker = Worker(lambda stop: iter(range(3)), name="short")
    worker.finished.connect(lambda: seen.append(worker.is_running()))
    with qtbot.waitSignal(worker.finished, timeout=10_000):
        worker.start()
    qtbot.waitUntil(lambda: len(seen) > 0, timeout=5_000)
    assert seen == [False]


def test_a_worker_stuck_in_one_call_stays_referenced_until_it_ends(qtbot):
    from desktop.workers import WorkerSet

    release = threading.Event()

    def stuck(stop):
        release.wait(10)  # one long call that does not look at stop (a model on a huge image)
        yield "done"

    workers = WorkerSet()
    worker = workers.add(Worker(stuck, name="stuck"))
    worker.start()
    assert not workers.stop_all(ms=100)
    assert workers.running() == [worker], "a running QThread was dropped (Qt aborts when it is destroyed)"
    release.set()
    assert worker.wait(5000)
    assert workers.stop_all(ms=1000) and workers.running() == []


def test_a_task_under_a_running_name_replaces_it_and_its_late_items_are_dropped(qtbot):
    from desktop.workers import TaskRunner, WorkerSet

    workers, got = WorkerSet(), []
    runner = TaskRunner(workers, "test")
    first_made, let_go = threading.Event(), threading.Event()

    def old(stop):
        yield "old 1"
        first_made.set()
        let_go.wait(10)  # a step that outlives the replacement: its item comes late
        yield "old 2"

    first = runner.run("job", old, got.append)
    qtbot.waitUntil(lambda: got == ["old 1"], timeout=5_000)
    assert first_made.wait(5)
    second = runner.run("job", lambda stop: iter(["new"]), got.append)
    assert first.is_stopping() and runner.task("job") in (second, None)
    with qtbot.waitSignal(first.finished, timeout=5_000):
        let_go.set()  # "old 2" is made and emitted after the replacement
    qtbot.waitUntil(lambda: not second.is_running() and "new" in got, timeout=5_000)  # items arrive queued
    qtbot.wait(50)  # anything else queued (a late "old 2") would have arrived by now
    assert got == ["old 1", "new"]
    assert workers.stop_all() and runner.task("job") is None


def test_every_task_failure_goes_to_its_clean_up_then_task_failed(qtbot):
    from desktop.workers import TaskRunner, WorkerSet

    calls: list[str] = []
    runner = TaskRunner(WorkerSet(), "test")
    runner.task_failed.connect(lambda text: calls.append(f"task_failed {text}"))

    def broken(stop):
        raise OSError("disk gone")
        yield

    with qtbot.waitSignal(runner.task_failed, timeout=5_000):
        worker = runner.run("save", broken, calls.append, on_failed=lambda m: calls.append(f"clean-up {m}"),
                            failure="Saving failed", on_finished=lambda: calls.append("finished"))
    qtbot.waitUntil(lambda: "finished" in calls, timeout=5_000)
    assert calls == ["clean-up OSError: disk gone", "task_failed Saving failed: OSError: disk gone", "finished"]
    assert worker.wait(1000)

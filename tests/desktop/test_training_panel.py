"""The shared training panel under pytest-qt, driven by a real (tiny) training task."""

from __future__ import annotations

import pytest

from desktop.widgets.training_panel import TrainingPanel
from desktop.workers import WorkerSet
from tests.toy_task import TOY_RECIPE


@pytest.fixture
def panel(qtbot, tmp_path):
    workers = WorkerSet()
    p = TrainingPanel(TOY_RECIPE, workers, runs_root=tmp_path / "runs")
    qtbot.addWidget(p)
    p.resize(1000, 500)
    p.show()
    yield p
    assert workers.stop_all()
    assert not workers.running()


def points(panel, name="loss") -> int:
    s = panel.curves.series.get(name)
    return len(s.steps) if s else 0


def test_curves_grow_pause_resume_stop_and_resume_from_checkpoint(qtbot, panel):
    panel.set_field("steps", 5000)
    panel.set_field("seconds_per_step", 0.01)
    assert panel.start()
    qtbot.waitUntil(lambda: points(panel) > 20, timeout=20_000)
    assert {"loss", "mse", "l1"} <= set(panel.curves.series)
    with qtbot.waitSignal(panel.worker.held, timeout=5_000):  # queued after every step made before the pause
        panel.toggle_pause()
    frozen = points(panel)
    ticks = panel.curves.ticks
    qtbot.waitUntil(lambda: panel.curves.ticks >= ticks + 5, timeout=5_000)  # five redraws later ...
    assert points(panel) == frozen and panel.worker.paused  # ... the held run has made no step
    panel.toggle_pause()
    qtbot.waitUntil(lambda: points(panel) > frozen + 5, timeout=10_000)
    with qtbot.waitSignal(panel.run_ended, timeout=10_000) as ended:
        panel.stop()
    assert ended.args == ["stopped"]
    checkpoint = panel.last_checkpoint
    assert checkpoint and checkpoint.endswith("last.pt")
    stopped_at = panel.last.step
    panel.set_field("steps", 7)  # the form changed since: a resume goes on with the run's own settings
    assert panel.start(resume=checkpoint)
    assert panel.config().steps == 5000
    qtbot.waitUntil(lambda: panel.last is not None and panel.last.step > stopped_at, timeout=10_000)
    first_resumed = min(panel.curves.series["loss"].steps)
    assert first_resumed == stopped_at + 1
    assert str(panel.run_dir / "last.pt") == checkpoint  # the run goes on in its own folder
    with qtbot.waitSignal(panel.run_ended, timeout=10_000):
        panel.stop()
    assert panel.last_checkpoint == checkpoint and len(list((panel.run_dir.parent).iterdir())) == 1


def test_curves_redraw_from_a_timer_while_training(qtbot, panel):
    """Redraws are driven by a 66 ms timer, not by each step (the rate itself is measured in desktop.bench)."""
    assert panel.curves.timer.isActive() and panel.curves.timer.interval() <= 100
    panel.set_field("steps", 3000)
    panel.set_field("seconds_per_step", 0.005)
    panel.start()
    qtbot.waitUntil(lambda: points(panel) > 5, timeout=20_000)
    before = panel.curves.repaints
    qtbot.waitUntil(lambda: panel.curves.repaints >= before + 3, timeout=10_000)
    panel.stop()
    qtbot.waitUntil(lambda: not panel.running, timeout=10_000)


def test_invalid_setting_is_refused_with_a_message(panel):
    panel.set_field("lr", 50.0)
    assert not panel.start()
    assert "lr must be" in panel.status.text()


def test_nan_stops_the_run_and_says_so(qtbot, panel):
    panel.set_field("steps", 500)
    panel.set_field("nan_at_step", 120)
    with qtbot.waitSignal(panel.run_ended, timeout=30_000) as ended:
        panel.start()
    assert "NaN" in ended.args[0] and "last.pt" in ended.args[0]
    assert "NaN" in panel.status.text()


def test_finished_run_exports_and_overlays_next_time(qtbot, panel, tmp_path):
    panel.set_field("steps", 60)
    with qtbot.waitSignal(panel.run_ended, timeout=30_000) as ended:
        panel.start()
    assert ended.args == ["finished"]
    assert "weight_error" in panel.curves.series  # evaluation metrics plotted
    csv = panel.curves.export_csv(tmp_path / "c.csv").read_text().splitlines()
    assert csv[0] == "series,step,value,smoothed" and len(csv) > 60
    png = panel.curves.export_png(tmp_path / "c.png")
    assert png.stat().st_size > 1000
    assert len(panel.previous_runs()) == 0
    with qtbot.waitSignal(panel.run_ended, timeout=30_000):
        panel.start()
    assert panel.curves._overlays  # the first run is drawn under the second


def test_smoothing_does_not_depend_on_points_drawn():
    from desktop.widgets.curves import Series

    dense, sparse = Series(), Series()
    for step in range(1, 201):
        dense.add(step, float(step % 7), tau=20)
    for step in range(2, 201, 2):
        sparse.add(step, float(step % 7), tau=20)
    # same time constant in steps: the two EMAs agree closely at the same step
    assert abs(dense.smooth[-1] - sparse.smooth[-1]) < 0.5


def test_paused_time_is_left_out_of_the_rate_and_paused_stays_said(qtbot, panel, monkeypatch):
    import desktop.widgets.training_panel as tp

    clock = {"t": 1000.0}
    monkeypatch.setattr(tp.time, "perf_counter", lambda: clock["t"])
    panel.set_field("steps", 5000)
    panel.set_field("seconds_per_step", 0.01)
    assert panel.start()
    qtbot.waitUntil(lambda: panel.last is not None, timeout=20_000)
    clock["t"] += 10.0  # 10 s of training
    panel.toggle_pause()
    clock["t"] += 3600.0  # an hour paused
    assert panel._active_seconds() == pytest.approx(10.0)
    from engines.base import TrainStep

    panel._on_step(TrainStep(panel.last.step + 1, 5000, 0.0, {"loss": 1.0}))  # a step that was already queued
    assert panel.status.text().startswith(panel.PAUSED)
    panel.toggle_pause()
    clock["t"] += 5.0
    assert panel._active_seconds() == pytest.approx(15.0)
    with qtbot.waitSignal(panel.run_ended, timeout=10_000):
        panel.stop()


def test_a_run_that_fails_before_its_first_step_leaves_no_folder(qtbot, panel):
    panel.set_field("steps", 5)
    panel.recipe = type(panel.recipe)(paper=panel.recipe.paper, title="broken", config_type=panel.recipe.config_type,
                                      run=_fails_at_start)
    with qtbot.waitSignal(panel.run_ended, timeout=10_000) as ended:
        assert panel.start()
    assert ended.args[0].startswith("failed")
    assert panel.run_dir is None
    runs = panel.runs_root / panel.recipe.paper
    assert not runs.exists() or not any(runs.iterdir())


def _fails_at_start(config, *, device, run_dir, stop, resume=None):
    from engines.base import EngineError

    raise EngineError("no data to train on")
    yield  # a generator, like every recipe


def test_an_offered_run_shows_its_own_progress(panel, tmp_path):
    """A run that finished as Stop was pressed: the bar showed 95% (the last step shown) under 'Finished'."""
    from engines.runs import TrainedRun

    panel.progress.setMaximum(20)
    panel.progress.setValue(19)
    panel.offer(TrainedRun(tmp_path, tmp_path / "toy.pt", 20, 20, 0.0))
    assert panel.progress.value() == panel.progress.maximum() == 20
    panel.offer(TrainedRun(tmp_path, tmp_path / "toy.pt", 7, 20, 0.0))
    assert panel.progress.value() == 7 and "Stopped at step 7 of 20" in panel.status.text()

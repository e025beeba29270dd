"""LiveCurves: the view follows the data without pyqtgraph auto-range, and the user can take it over."""

from __future__ import annotations

import math

import pytest

from desktop.widgets.curves import LiveCurves, next_range


def test_next_range_keeps_the_view_until_data_leaves_it_or_fills_under_half():
    assert next_range(0.0, 10.0, (-1.0, 11.0)) is None  # inside and filling it
    lo, hi = next_range(0.0, 20.0, (-1.0, 11.0))  # data went above the view
    assert lo < 0.0 and 20.0 < hi < 22.0
    lo, hi = next_range(4.0, 5.0, (-1.0, 11.0))  # fills a twelfth of it: shrink
    assert 3.5 < lo < 4.0 and 5.0 < hi < 5.5
    lo, hi = next_range(3.0, 3.0, (math.inf, -math.inf))  # one value, empty view
    assert lo < 3.0 < hi


@pytest.fixture
def curves(qtbot):
    c = LiveCurves(refresh_ms=10_000)
    qtbot.addWidget(c)
    c.resize(800, 500)
    c.show()
    return c


def feed(curves, steps, metric_every=0):
    for step in steps:
        curves.add_point("loss", step, 10.0 * math.exp(-step / 50) + 1.0)
        curves.add_point("box", step, 2.0 + math.sin(step))
        if metric_every and step % metric_every == 0:
            curves.add_point("mAP@0.5", step, step / 1000, metric=True)
    curves.refresh()


def test_view_follows_the_data_and_x_doubles_rather_than_moving_every_point(curves):
    feed(curves, range(1, 31), metric_every=10)
    x0, x1 = curves.loss_plot.vb.viewRange()[0]
    assert x0 <= 1 and x1 >= 30
    y0, y1 = curves.loss_plot.vb.viewRange()[1]
    assert y0 <= 1.0 and y1 >= 10.0 * math.exp(-1 / 50) + 1.0  # every loss value is visible
    my0, my1 = curves.metric_plot.vb.viewRange()[1]
    assert my0 <= 0.01 and my1 >= 0.03
    feed(curves, range(31, 41))  # still inside the doubled range: the x view does not move
    assert curves.loss_plot.vb.viewRange()[0] == [x0, x1]
    feed(curves, range(41, 200))
    assert curves.loss_plot.vb.viewRange()[0][1] >= 199
    assert not any(curves.loss_plot.vb.autoRangeEnabled())  # ranges are ours, not pyqtgraph's


def test_user_zoom_stops_following_and_ticking_follow_fits_again(curves):
    feed(curves, range(1, 50))
    curves.loss_plot.vb.sigRangeChangedManually.emit([True, True])  # what a mouse drag or wheel emits
    assert not curves.follow_box.isChecked()
    curves.loss_plot.vb.setXRange(10, 12, padding=0)
    feed(curves, range(50, 400))
    assert curves.loss_plot.vb.viewRange()[0][1] < 20  # left where the user put it
    curves.follow_box.setChecked(True)
    assert curves.loss_plot.vb.viewRange()[0][1] >= 399


def test_log_scale_fits_log10_of_the_values(curves):
    feed(curves, range(1, 100))
    curves.log_box.setChecked(True)
    y0, y1 = curves.loss_plot.vb.viewRange()[1]
    assert -0.5 < y0 < 0.2 and 0.9 < y1 < 1.3  # log10 of about 1 ... 11


def test_legend_lists_this_run_first_then_earlier_runs(curves):
    curves.overlay_run("run-a", [{"step": s, "losses": {"loss": 5.0 / s}} for s in range(1, 50)])
    assert curves.loss_plot.vb.viewRange()[0][1] >= 49  # before this run's first step: the earlier run, whole
    feed(curves, range(1, 5))
    text = curves.legend.text()
    assert text.index("loss") < text.index("box") < text.index("earlier run")
    assert "run-a" in curves.legend.toolTip()
    curves.clear()
    assert curves.legend.text() == ""

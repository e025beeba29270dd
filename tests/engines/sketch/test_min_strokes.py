"""SketchEngine.complete(min_strokes=...): continuations keep drawing until they added that many strokes."""

from __future__ import annotations

import numpy as np
import pytest

CROSS = [np.array([[30, 55], [80, 55]], np.float32), np.array([[55, 30], [55, 80]], np.float32)]  # a 十




def new_strokes(sketch) -> int:
    """Strokes of >= 2 points in the continuation (after the prefix rows)."""
    rows = sketch.strokes[sketch.prefix_len :]
    down = np.concatenate([[False], rows[:-1, 2] > 0.5])
    return int(((rows[:, 3] > 0.5) & down).sum())


def test_min_strokes_keeps_drawing(engine):
    prefix = engine.strokes_from_polylines(CROSS)
    plain = engine.complete(prefix, 8, tau=0.8, steps=120, seed=3)
    assert min(new_strokes(s) for s in plain) < 2  # an untrained model often stops at once
    longer = engine.complete(prefix, 8, tau=0.8, steps=120, seed=3, min_strokes=2)
    for s in longer:
        assert len(s.strokes) - s.prefix_len <= 120  # the step budget still caps the length
        assert new_strokes(s) >= 2 or not s.finished


def test_min_strokes_zero_is_the_default_and_negative_is_refused(engine):
    prefix = engine.strokes_from_polylines(CROSS)
    a = engine.complete(prefix, 3, tau=0.6, steps=40, seed=1)
    b = engine.complete(prefix, 3, tau=0.6, steps=40, seed=1, min_strokes=0)
    assert all(np.array_equal(x.strokes, y.strokes) for x, y in zip(a, b, strict=True))
    with pytest.raises(ValueError):
        engine.complete(prefix, 2, steps=10, min_strokes=-1)


def test_cap_reached_marks_unfinished(engine):
    prefix = engine.strokes_from_polylines(CROSS)
    for s in engine.complete(prefix, 4, tau=0.8, steps=6, seed=0, min_strokes=50):
        assert len(s.strokes) - s.prefix_len == 6 and not s.finished

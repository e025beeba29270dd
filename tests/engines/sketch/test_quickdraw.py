"""QuickDraw .npz loading: object arrays of stroke-3 load; a crafted pickle is refused, not run."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from engines.base import EngineError
from engines.sketch.data import load_quickdraw, read_quickdraw_npz


def _object_array(items: list) -> np.ndarray:
    arr = np.empty(len(items), dtype=object)
    for i, it in enumerate(items):
        arr[i] = it
    return arr


def test_real_format_loads(tmp_path):
    drawings = [np.array([[5, 3, 0], [2, -1, 1], [0, 4, 1]], np.int16), np.array([[1, 1, 1]], np.int16)]
    path = tmp_path / "cat.npz"
    np.savez(path, train=_object_array(drawings * 10), valid=_object_array(drawings), test=_object_array(drawings))
    parts = read_quickdraw_npz(path)
    assert len(parts["train"]) == 20 and parts["valid"][0].dtype == np.float32
    np.testing.assert_array_equal(parts["test"][0], drawings[0])
    ss = load_quickdraw(path)
    assert ss.name == "cat" and len(ss.drawings["valid"]) == 2


class _Payload:
    """Unpickling this would create a marker file: proof that code ran."""

    def __init__(self, marker: pathlib.Path):
        self.marker = marker

    def __reduce__(self):
        return (pathlib.Path.touch, (self.marker,))


def test_crafted_callable_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    np.savez(path, train=_object_array([np.zeros((2, 3), np.int16), _Payload(marker)]))
    with pytest.raises(EngineError, match="only numpy arrays"):
        read_quickdraw_npz(path)
    assert not marker.exists()


def test_not_an_npz_and_wrong_shapes(tmp_path):
    bad = tmp_path / "junk.npz"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(EngineError, match="not a readable"):
        read_quickdraw_npz(bad)
    wrong = tmp_path / "wrong.npz"
    np.savez(wrong, train=_object_array([np.zeros((4, 2))]))
    with pytest.raises(EngineError, match="stroke-3"):
        read_quickdraw_npz(wrong)
    none = tmp_path / "none.npz"
    np.savez(none, other=np.zeros(3))
    with pytest.raises(EngineError, match="no 'train'"):
        read_quickdraw_npz(none)

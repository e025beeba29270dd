"""Untrusted files are parsed in a limited child: a crash, a memory bomb or a zip bomb is an EngineError here."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from engines.base import EngineError
from engines.sandbox import convert_in_sandbox
from engines.sketch.data import check_npz_members, load_quickdraw


def crash(source: str, out: str) -> None:  # a parser that segfaults (as numpy did on crafted object arrays)
    import ctypes

    ctypes.string_at(0)


def balloon(source: str, out: str) -> None:  # a declared shape of 2e9 float32 (8 GB)
    np.ones(2_000_000_000, np.float32)


def fine(source: str, out: str) -> None:
    np.savez(out, x=np.arange(3))


def test_a_parser_that_crashes_ends_its_child_not_us(tmp_path):
    with pytest.raises(EngineError, match="crashed the reader"):
        convert_in_sandbox(crash, tmp_path / "x.npz")


def test_a_memory_bomb_hits_the_childs_limit(tmp_path):
    with pytest.raises(EngineError, match="needs more than 1024 MiB"):
        convert_in_sandbox(balloon, tmp_path / "x.npz", memory=1 << 30)


def test_plain_arrays_come_back(tmp_path):
    assert convert_in_sandbox(fine, tmp_path / "x.npz")["x"].tolist() == [0, 1, 2]


def test_a_zip_member_that_unpacks_past_the_budget_is_refused_before_reading(tmp_path):
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("train.npy", b"\0" * (8 << 20))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(EngineError, match="unpacks to 8 MiB"):
        check_npz_members(bomb, max_bytes=1 << 20)
    with pytest.raises(EngineError, match="limit"):
        load_quickdraw(bomb, max_bytes=1 << 20)


@pytest.mark.parametrize("descr", ["|O", "<i2"])
def test_an_npy_entry_declaring_more_elements_than_it_holds_is_refused_before_allocating(tmp_path, descr):
    """Before: an object array declaring 2e9 elements (a 400-byte file) asked for 16 GB (MemoryError in the
    sandbox, 8 GB in 27 s without one); an int16 one preallocated 4 GB."""
    import pickle
    import struct

    from engines.sketch.data import read_quickdraw_npz

    class Bomb:  # numpy's own reconstruction, declaring 2e9 elements and giving none
        def __reduce__(self):
            reconstruct = np.ndarray.__reduce__(np.empty(1, object))[0]
            return reconstruct, (np.ndarray, (0,), b"b"), (1, (2_000_000_000,), np.dtype(object), False, [])

    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2000000000,), }}".ljust(117).encode() + b"\n"
    body = pickle.dumps(Bomb(), protocol=3) if descr == "|O" else b"\0" * 64
    path = tmp_path / "bomb.npz"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("train.npy", b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text + body)
    assert path.stat().st_size < 1000  # the sandboxed reader first: the old in-process one would balloon
    with pytest.raises(EngineError, match=r"bomb.npz: declares 2,000,000,000 elements of (object|int16) in a \d+-byte"):
        load_quickdraw(path)
    with pytest.raises(EngineError, match="declares 2,000,000,000 elements"):
        read_quickdraw_npz(path)

"""GAN lab data: idx parsing refuses damage, the npm digits parse, padding is exact, toy-set coverage counts modes."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from engines.base import EngineError
from engines.gan.data import (
    mode_coverage,
    parse_digits_json,
    parse_idx,
    read_idx_gz,
    sample_toy,
    to_pictures,
    to_training,
    toy_modes,
)


def _idx(dims: tuple[int, ...], body: bytes | None = None) -> bytes:
    count = int(np.prod(dims))
    head = bytes([0, 0, 8, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)
    return head + (body if body is not None else (np.arange(count) % 256).astype(np.uint8).tobytes())


def test_parse_idx_reads_the_dims_and_the_bytes():
    a = parse_idx(_idx((3, 4, 5)))
    assert a.shape == (3, 4, 5) and a.dtype == np.uint8
    assert a.ravel()[:6].tolist() == [0, 1, 2, 3, 4, 5]


@pytest.mark.parametrize("raw", [
    b"", b"\x01\x00\x08\x01", bytes([0, 0, 0x0D, 1, 0, 0, 0, 1, 0, 0, 0, 0]),  # magic, float type
    _idx((3, 4, 5))[:-1], _idx((3, 4, 5)) + b"x",  # one byte short / long
    bytes([0, 0, 8, 3]) + (10**5).to_bytes(4, "big") * 3,  # dims far beyond the budget
    bytes([0, 0, 8, 2, 0, 0, 0, 0, 0, 0, 0, 3]),  # an empty dimension
    bytes([0, 0, 8, 9]),  # too many dimensions
])
def test_parse_idx_refuses_damage(raw):
    with pytest.raises(EngineError):
        parse_idx(raw, "x.idx")


def test_read_idx_gz_names_a_damaged_file(tmp_path):
    good = tmp_path / "good.gz"
    good.write_bytes(gzip.compress(_idx((2, 28, 28))))
    assert read_idx_gz(good).shape == (2, 28, 28)
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(_idx((2, 28, 28)))[:-20])
    with pytest.raises(EngineError, match="bad.gz"):
        read_idx_gz(bad)


def test_parse_digits_json():
    pics = parse_digits_json(b'{"data": [' + b",".join([b"0.5"] * 784 * 2) + b"]}", "d.json")
    assert pics.shape == (2, 28, 28) and int(pics[0, 0, 0]) == 128
    for raw in (b'{"data": [1, 2, 3]}', b"{", b'{"data": "x"}', b'{"data": [' + b",".join([b"NaN"] * 784) + b"]}"):
        with pytest.raises(EngineError):
            parse_digits_json(raw, "d.json")


def test_to_training_pads_with_background_and_round_trips():
    pics = np.random.default_rng(0).integers(0, 256, (3, 28, 28), dtype=np.uint8)
    x = to_training(pics)
    assert x.shape == (3, 1, 32, 32) and x.dtype == np.float32
    assert (x[:, :, :2] == -1).all() and (x[:, :, :, -2:] == -1).all()
    assert (to_pictures(x)[:, 2:30, 2:30] == pics).all()


def test_mode_coverage_counts_modes_and_a_collapse():
    rng = np.random.default_rng(0)
    assert mode_coverage(sample_toy("ring8", 4000, rng), "ring8")[0] == 8
    assert mode_coverage(sample_toy("grid25", 4000, rng), "grid25")[0] == 25
    collapsed = toy_modes("ring8")[[0]] + rng.normal(0, 0.05, (1000, 2)).astype(np.float32)
    modes, share = mode_coverage(collapsed, "ring8")
    assert modes == 1 and share > 0.95
    assert mode_coverage(rng.uniform(-5, 5, (1000, 2)), "ring8")[1] < 0.2
    assert mode_coverage(sample_toy("moons", 2000, rng), "moons")[1] > 0.95


def test_a_folder_of_images_becomes_28x28_grey_pictures(tmp_path):
    import cv2

    from engines.gan.data import load_images

    cv2.imwrite(str(tmp_path / "wide.png"), np.full((50, 100, 3), 255, np.uint8))
    cv2.imwrite(str(tmp_path / "tall.jpg"), np.full((90, 30, 3), 128, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    s = load_images(str(tmp_path))
    assert s.images.shape == (2, 28, 28) and (s.labels == -1).all()
    wide = s.images[1]  # sorted: tall.jpg, wide.png; the wide picture fills the width, letterboxed in height
    assert wide[14].min() == 255 and wide[0].max() == 0
    with pytest.raises(EngineError):
        load_images(str(tmp_path / "nowhere"))

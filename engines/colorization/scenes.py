"""Scene photos: the photo wallpapers of Ubuntu and its flavours (landscapes, plants, animals, towns).

The paper trained on Places, 2.3M photos of scenes; our other sources are mostly food, objects and
cut-outs. These packages are the nearest scene photos a package registry offers: 83 .debs from
archive.ubuntu.com (about 1.46 GB), each pinned by sha256 in scenes_packages.txt. Every picture was
looked at: the renders, logos and drawings among them are named in scenes_excluded.txt (by file
stem) and skipped, as are pictures under 400 px and those the colour-photo test rejects; the same
photo shipped in several packages is kept once (data.drop_duplicates). Licences are per file, as
the packages' copyright files state: CC-BY-SA 3.0/4.0, CC-BY, CC0 or the Unsplash licence.
Built only on request: `python -m engines.colorization.cli build-data --with-scenes`.
"""

from __future__ import annotations

import re
from pathlib import Path

from engines.assets import Archive
from engines.colorization.sources import PhotoSource, fixed_category

_POOL = "http://archive.ubuntu.com/ubuntu/pool/"


def _rows(name: str) -> list[list[str]]:
    """The non-comment lines of a data file next to this module, split on whitespace."""
    lines = Path(__file__).with_name(name).read_text().splitlines()
    return [line.split() for line in lines if line.strip() and not line.startswith("#")]


_EXCLUDED = sorted(row[0] for row in _rows("scenes_excluded.txt"))
_EXCLUDE = "/(" + "|".join(re.escape(stem) for stem in _EXCLUDED) + r")\.[a-z]+$"


def _source(pool_path: str, sha256: str, size: int) -> PhotoSource:
    name, version = Path(pool_path).name.split("_")[:2]
    return PhotoSource(
        f"scenes_{name}",
        Archive(f"Ubuntu {name} {version}", _POOL + pool_path, sha256, size, "deb"),
        r"/usr/share/(backgrounds|xfce4/backdrops)/.*\.(png|jpe?g|webp)$",
        "CC-BY-SA / CC-BY / CC0 / Unsplash (per file)",
        exclude=_EXCLUDE,
        category=fixed_category("scenery"),
        max_side=768,
        min_side=400,
    )


SCENE_SOURCES: tuple[PhotoSource, ...] = tuple(_source(p, h, int(n)) for p, h, n in _rows("scenes_packages.txt"))

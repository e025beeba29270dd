"""Measuring samples honestly: a small classifier we train on a data set, the Frechet distance between
Gaussians fitted to its 128-d features ("FD on our classifier's features" -- not Inception FID and not
comparable with published FID numbers), and class coverage of the samples.

Pictures in: float32[N, 1, 32, 32] in [-1, 1] (data.to_training's frame).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from engines.base import EngineError

CLASSIFIER_FORMAT = "paperzoo-gan-fdnet-1"
WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "assets" / "weights"
FEATURES = 128


def classifier_path(dataset: str) -> Path:
    """Where the shipped classifier of a data set lives (not matched by engine.shipped_weights' gan_*.pt)."""
    return WEIGHTS_DIR / f"gan-fdnet_{dataset}.pt"


class FDNet(nn.Module):
    """(B, 1, 32, 32) -> conv 32 -> pool -> conv 64 -> pool -> conv 128 -> global mean = features (B, 128)
    -> linear -> logits (B, classes)."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(1, 32, 3, 1, 1), nn.ReLU(True), nn.MaxPool2d(2),
                                  nn.Conv2d(32, 64, 3, 1, 1), nn.ReLU(True), nn.MaxPool2d(2),
                                  nn.Conv2d(64, FEATURES, 3, 1, 1), nn.ReLU(True), nn.AdaptiveAvgPool2d(1),
                                  nn.Flatten())
        self.fc = nn.Linear(FEATURES, classes)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        f = self.body(x)
        return f, self.fc(f)


def train_classifier(x: np.ndarray, y: np.ndarray, steps: int = 900, batch: int = 128, seed: int = 0,
                     log: Any = None) -> FDNet:
    """Adam 1e-3 on (x float32[N, 1, 32, 32], y int64[N]) for `steps` batches (seeded order)."""
    torch.manual_seed(seed)
    net = FDNet(int(y.max()) + 1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(x))
    for step in range(steps):
        idx = order[(step * batch) % len(x): (step * batch) % len(x) + batch]
        if len(idx) < batch:
            order = rng.permutation(len(x))
            continue
        _, logits = net(torch.from_numpy(x[idx]))
        loss = nn.functional.cross_entropy(logits, torch.from_numpy(y[idx]))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if log is not None and step % 100 == 0:
            log(step, float(loss.detach()))
    return net.eval()


@torch.no_grad()
def accuracy(net: FDNet, x: np.ndarray, y: np.ndarray) -> float:
    return float((predict(net, x)[1].argmax(1) == y).mean())


@torch.no_grad()
def predict(net: FDNet, x: np.ndarray, batch: int = 500) -> tuple[np.ndarray, np.ndarray]:
    """(features float64[N, 128], logits float64[N, classes])."""
    feats, logits = [], []
    for a in range(0, len(x), batch):
        f, lg = net(torch.from_numpy(np.ascontiguousarray(x[a: a + batch], np.float32)))
        feats.append(f.double().numpy())
        logits.append(lg.double().numpy())
    return np.concatenate(feats), np.concatenate(logits)


def save_classifier(net: FDNet, path: Path, dataset: str, test_accuracy: float) -> Path:
    from engines.training import save_checkpoint

    return save_checkpoint(path, {"format": CLASSIFIER_FORMAT, "state": net.state_dict(), "dataset": dataset,
                                  "classes": int(net.fc.out_features), "test_accuracy": float(test_accuracy)})


def load_classifier(path: Path) -> FDNet:
    """A shipped/trained FDNet (weights_only, format, class count bounded, finite); EngineError otherwise."""
    from engines.runtime import require_finite

    path = Path(path)
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise EngineError(f"{path.name} is damaged or missing ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or payload.get("format") != CLASSIFIER_FORMAT:
        raise EngineError(f"{path.name} is not a GAN lab classifier")
    try:
        classes = int(payload["classes"])
        if not 2 <= classes <= 1000:
            raise ValueError(f"{classes} classes")
        require_finite(payload["state"], path.name)
        net = FDNet(classes)
        net.load_state_dict(payload["state"])
    except (KeyError, ValueError, RuntimeError, TypeError) as exc:
        raise EngineError(f"{path.name} does not match the classifier ({type(exc).__name__}: {exc})") from exc
    return net.eval()


def _sqrtm_psd(a: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((a + a.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(f1: np.ndarray, f2: np.ndarray) -> float:
    """|mu1 - mu2|^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2) between Gaussians fitted to two feature sets."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    r1 = _sqrtm_psd(s1)
    cross = np.linalg.eigvalsh((r1 @ s2 @ r1 + (r1 @ s2 @ r1).T) / 2)
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.sqrt(np.clip(cross, 0, None)).sum())


def class_coverage(logits: np.ndarray) -> tuple[int, float]:
    """(classes holding >= 1% of the predicted labels, KL(predicted class histogram || uniform) in nats)."""
    k = logits.shape[1]
    hist = np.bincount(logits.argmax(1), minlength=k) / len(logits)
    nz = hist[hist > 0]
    return int((hist >= 0.01).sum()), float((nz * np.log(nz * k)).sum())


def precision_recall(real: np.ndarray, fake: np.ndarray, k: int = 3) -> tuple[float, float]:
    """Kynkaanniemi et al.'s improved precision and recall on feature sets float[N, F] and float[M, F]: each set's
    manifold is the union of balls reaching every point's k-th nearest neighbour in its own set. Precision: share
    of fake points inside the real manifold (quality); recall: share of real points inside the fake one
    (diversity)."""
    def sq_dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None] - 2 * a @ b.T, 0)

    def covered(points: np.ndarray, centres: np.ndarray) -> float:
        radius = np.sort(sq_dist(centres, centres), 1)[:, k]  # column 0 is the point itself
        return float((sq_dist(points, centres) <= radius[None]).any(1).mean())

    return covered(fake, real), covered(real, fake)


class SampleScorer:
    """FD on our classifier's features between n real test pictures and n samples, class coverage, and improved
    precision (quality) and recall (diversity) on the same features."""

    def __init__(self, net: FDNet, real: np.ndarray) -> None:
        self.net = net
        self.real_features = predict(net, real)[0]

    @classmethod
    def for_dataset(cls, dataset: str, n: int = 1000) -> SampleScorer | None:
        """The scorer of a data set with a shipped classifier (None without one)."""
        from engines.gan.data import load_images, to_training

        path = classifier_path(dataset)
        if not path.is_file():
            return None
        test = load_images(dataset, "test")
        pick = np.random.default_rng(0).permutation(len(test.images))[:n]
        return cls(load_classifier(path), to_training(test.images[pick]))

    def score(self, fake: np.ndarray) -> dict[str, float]:
        feats, logits = predict(self.net, fake)
        covered, kl = class_coverage(logits)
        precision, recall = precision_recall(self.real_features, feats)
        return {"fd_classifier": frechet_distance(self.real_features, feats), "classes_covered": float(covered),
                "class_kl": kl, "precision": precision, "recall": recall}


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    """Spearman's rank correlation of two equal-length series (average ranks for ties)."""
    def ranks(x: np.ndarray) -> np.ndarray:
        order = np.argsort(x, kind="stable")
        r = np.empty(len(x))
        r[order] = np.arange(len(x))
        for v in np.unique(x):  # average the ranks of ties
            r[x == v] = r[x == v].mean()
        return r

    ra, rb = ranks(np.asarray(a, float)), ranks(np.asarray(b, float))
    return float(np.corrcoef(ra, rb)[0, 1])


def curve_vs_metric(metrics_jsonl: Path, curve: str, window: int = 50,
                metric: str = "fd_classifier") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(eval steps, curve averaged over the `window` steps up to each evaluation, the evaluation `metric`: FD on
    our classifier's features, or e.g. precision) of a run."""
    import json

    rows = [json.loads(line) for line in Path(metrics_jsonl).read_text().splitlines() if line.strip()]
    values = {r["step"]: r["losses"].get(curve) for r in rows}
    steps, cur, fd = [], [], []
    for r in rows:
        if metric in r.get("metrics", {}):
            span = [values[s] for s in range(r["step"] - window + 1, r["step"] + 1) if values.get(s) is not None]
            if span:
                steps.append(r["step"])
                cur.append(float(np.mean(span)))
                fd.append(r["metrics"][metric])
    return np.array(steps), np.array(cur), np.array(fd)


def cluster_accuracy(clusters: np.ndarray, labels: np.ndarray, k: int) -> tuple[float, float]:
    """(accuracy with each cluster mapped to its most frequent label, accuracy with a one-to-one mapping chosen
    greedily from the largest cluster/label counts) for int clusters in [0, k) and int labels."""
    n_labels = int(labels.max()) + 1
    counts = np.zeros((k, n_labels), np.int64)
    np.add.at(counts, (clusters, labels), 1)
    many = counts.max(1).sum() / len(labels)
    c, total = counts.copy(), 0
    for _ in range(min(k, n_labels)):
        i, j = np.unravel_index(np.argmax(c), c.shape)
        total += c[i, j]
        c[i, :], c[:, j] = -1, -1
    return float(many), float(total / len(labels))

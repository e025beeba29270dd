"""FD on our classifier's features: zero for one set against itself, growing with a shift; class coverage; the
classifier file is validated like every other .pt we read."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.base import EngineError
from engines.gan.metrics import (
    FDNet,
    class_coverage,
    frechet_distance,
    load_classifier,
    precision_recall,
    save_classifier,
)


def test_frechet_distance_matches_the_closed_form():
    rng = np.random.default_rng(0)
    a = rng.normal(0, 1, (4000, 3))
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    b = rng.normal(0, 2, (4000, 3)) + np.array([1.0, 0, 0])
    # |mu|^2 = 1; per dim (s1 + s2 - 2 sqrt(s1 s2)) = 1 + 4 - 4 = 1 -> 1 + 3 = 4 (up to sampling noise)
    assert frechet_distance(a, b) == pytest.approx(4.0, rel=0.08)


def test_precision_is_quality_and_recall_is_diversity():
    rng = np.random.default_rng(0)
    real = rng.normal(0, 1, (1000, 4))
    same = rng.normal(0, 1, (1000, 4))
    p, r = precision_recall(real, same)
    assert p > 0.8 and r > 0.8
    collapsed = real[:20] + rng.normal(0, 0.01, (20, 4))  # a few real-looking samples: quality without diversity
    collapsed = collapsed[np.arange(1000) % 20]
    p, r = precision_recall(real, collapsed)
    assert p > 0.95 and r < 0.2
    off = rng.normal(0, 1, (1000, 4)) + 6.0  # varied but unlike the data: neither
    assert precision_recall(real, off)[0] < 0.05


def test_class_coverage():
    uniform = np.eye(10)[np.arange(1000) % 10]
    assert class_coverage(uniform) == (10, pytest.approx(0.0, abs=1e-9))
    collapsed = np.eye(10)[np.zeros(1000, int)]
    covered, kl = class_coverage(collapsed)
    assert covered == 1 and kl == pytest.approx(np.log(10))


def test_classifier_file_is_validated(tmp_path):
    torch.manual_seed(0)
    good = save_classifier(FDNet(10), tmp_path / "c.pt", "fashion-mnist", 0.5)
    assert isinstance(load_classifier(good), FDNet)
    bad = tmp_path / "bad.pt"
    bad.write_bytes(good.read_bytes()[:100])
    nan = FDNet(10)
    with torch.no_grad():
        nan.fc.weight[0, 0] = float("nan")
    for path in (bad, save_classifier(nan, tmp_path / "nan.pt", "x", 0.0), tmp_path / "none.pt"):
        with pytest.raises(EngineError):
            load_classifier(path)


def test_spearman_is_rank_based():
    from engines.gan.metrics import spearman

    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert spearman(x, np.exp(x)) == pytest.approx(1.0)
    assert spearman(x, -(x**3)) == pytest.approx(-1.0)
    tied = np.array([1.0, 1.0, 2.0, 2.0, 3.0])  # ranks 0.5, 0.5, 2.5, 2.5, 4 against 0..4
    assert spearman(x, tied) == pytest.approx(9 / np.sqrt(90), abs=1e-9)


def test_cluster_accuracy():
    from engines.gan.metrics import cluster_accuracy

    labels = np.array([0, 0, 1, 1, 2, 2])
    assert cluster_accuracy(np.array([2, 2, 0, 0, 1, 1]), labels, 3) == (1.0, 1.0)  # a relabelling is perfect
    many, one = cluster_accuracy(np.array([0, 0, 0, 0, 1, 1]), labels, 3)  # two labels merged
    assert many == pytest.approx(4 / 6) and one == pytest.approx(4 / 6)
    many, one = cluster_accuracy(np.array([0, 1, 0, 1, 0, 1]), labels, 3)
    assert many == pytest.approx(2 / 6) and one == pytest.approx(2 / 6)  # each cluster holds one of each label

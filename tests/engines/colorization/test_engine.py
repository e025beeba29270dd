"""ColorizationEngine: loading (weights_only, clear errors), inference shapes, transfer, shipped weights."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from engines.base import EngineError
from engines.colorization.engine import SHIPPED_WEIGHTS, ColorizationEngine
from engines.colorization.evaluate import figures, with_chroma
from engines.colorization.model import read_weights

from .conftest import synthetic_photo

FIXED_IMAGES = sorted((Path(__file__).parent / "data").glob("*.jpg"))


def test_infer_shapes_and_frozen_result(tiny_weights) -> None:
    eng = ColorizationEngine()
    assert not eng.loaded
    with pytest.raises(EngineError):
        eng.infer(np.zeros((8, 8, 3), np.uint8))
    eng.load(tiny_weights, "cpu")
    assert eng.loaded and eng.has_global and eng.categories == ["c0", "c1", "c2"]
    for shape in [(71, 103, 3), (50, 50), (33, 90, 4)]:
        img = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
        res = eng.infer(img)
        assert res.colorized.shape == (*shape[:2], 3) and res.colorized.dtype == np.uint8
        assert res.gray.shape == (*shape[:2], 3)
        assert max(res.ab.shape[:2]) == eng.config.infer_size and res.ab.shape[2] == 2
        assert not res.colorized.flags.writeable and not res.ab.flags.writeable
        assert res.class_probs is not None and res.class_probs.sum() == pytest.approx(1.0, abs=1e-4)
        assert len(res.top_classes) == 3 and res.ms > 0
    # the output keeps the input's lightness (chroma is added, L is not changed by more than rounding)
    img = synthetic_photo(np.random.default_rng(2), 64, 80)
    res = eng.infer(img)
    l_in = cv2.cvtColor(res.gray, cv2.COLOR_BGR2Lab)[..., 0].astype(int)
    l_out = cv2.cvtColor(res.colorized, cv2.COLOR_BGR2Lab)[..., 0].astype(int)
    assert np.median(np.abs(l_in - l_out)) <= 2


def test_global_feature_transfer(tiny_weights) -> None:
    eng = ColorizationEngine()
    eng.load(tiny_weights)
    rng = np.random.default_rng(3)
    a, b = synthetic_photo(rng, 64, 64), 255 - synthetic_photo(rng, 64, 64)
    feat_b = eng.global_features(b)
    assert feat_b.shape == (eng.config.ch(256),) and not feat_b.flags.writeable
    own = eng.infer(a)
    moved = eng.infer(a, global_from=b)
    same = eng.infer(a, global_feature=feat_b)
    assert np.array_equal(moved.colorized, same.colorized)
    assert moved.class_probs is None and not np.array_equal(own.ab, moved.ab)


def test_ablation_weights_have_no_global_branch(tmp_path, photo_root) -> None:
    from engines.colorization.config import ColorizationConfig
    from engines.colorization.task import PhotoTrainTask

    task = PhotoTrainTask(ColorizationConfig.tiny(use_global=False), 1, data_root=photo_root)
    path = task.export(tmp_path / "ablation.pt")
    eng = ColorizationEngine()
    eng.load(path)
    assert not eng.has_global
    res = eng.infer(np.zeros((20, 30), np.uint8))
    assert res.class_probs is None and res.top_classes == ()
    with pytest.raises(EngineError, match="without the global branch"):
        eng.global_features(np.zeros((20, 30), np.uint8))


def test_bad_weights_files_give_engine_errors(tmp_path, tiny_weights) -> None:
    eng = ColorizationEngine()
    with pytest.raises(EngineError, match="does not exist"):
        eng.load(tmp_path / "missing.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(tiny_weights.read_bytes()[:3000] + b"garbage")
    with pytest.raises(EngineError, match="damaged"):
        eng.load(corrupt)
    text = tmp_path / "notes.pt"
    text.write_text("not a model at all")
    with pytest.raises(EngineError):
        eng.load(text)
    import torch

    foreign = tmp_path / "foreign.pt"
    torch.save({"weights": torch.zeros(3)}, foreign)
    with pytest.raises(EngineError, match="not a PaperZoo checkpoint"):
        eng.load(foreign)
    from engines.training import save_checkpoint

    other = save_checkpoint(
        tmp_path / "other.pt", {"state_dict": {"x": torch.zeros(1)}, "config": {"width": 9.0}}
    )
    with pytest.raises(EngineError, match="does not match"):
        eng.load(other)
    assert not eng.loaded


def test_training_checkpoint_loads_as_weights(tmp_path, photo_root) -> None:
    from engines.colorization.config import ColorizationConfig
    from engines.colorization.task import PhotoTrainTask
    from engines.training import LoopSettings, run_training

    task = PhotoTrainTask(ColorizationConfig.tiny(), 1, data_root=photo_root)
    list(run_training(task, LoopSettings(1), tmp_path, lambda: False, task.config))
    payload = read_weights(tmp_path / "last.pt")
    assert payload["categories"] == ["c0", "c1", "c2"]
    eng = ColorizationEngine()
    eng.load(tmp_path / "last.pt")
    assert eng.infer(np.zeros((16, 16, 3), np.uint8)).colorized.shape == (16, 16, 3)


@pytest.mark.skipif(not SHIPPED_WEIGHTS.is_file(), reason="no shipped colorization weights")
def test_shipped_weights_beat_mean_chroma_on_fixed_images() -> None:
    """The 96 validation photos in data/ (never trained on, nor their twins); mean chroma from the weights' meta."""
    assert len(FIXED_IMAGES) == 96
    eng = ColorizationEngine()
    eng.load()  # weights_only inside
    assert eng.has_global and SHIPPED_WEIGHTS.stat().st_size <= 30 * 2**20
    truth = [cv2.imread(str(p)) for p in FIXED_IMAGES]
    mean_ab = np.asarray(eng.meta["mean_ab"], np.float32)
    ours = figures([eng.infer(with_chroma(t, np.zeros(2, np.float32))).colorized for t in truth], truth)
    base = figures([with_chroma(t, mean_ab) for t in truth], truth)
    assert ours["chroma_mse"] < 0.85 * base["chroma_mse"]  # measured on the 96: 0.00311 vs 0.00443 (-30%)

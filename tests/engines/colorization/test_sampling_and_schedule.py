"""Issue 16: the per-source cap on training draws, the learning-rate ramp after a longer --steps, and why the
engine stays on torch when no CPU backend takes a model."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from engines.colorization.config import ColorizationConfig, ColorizationTrainSettings
from engines.colorization.data import PhotoSet, capped_shares
from engines.colorization.engine import ColorizationEngine


def test_capped_shares_fill_the_others_and_never_exceed_the_cap() -> None:
    mass = {"food": 60.0, "animals": 30.0, "walls": 10.0}
    assert capped_shares(mass, 0.0) == pytest.approx({"food": 0.6, "animals": 0.3, "walls": 0.1})
    shares = capped_shares(mass, 0.4)  # food capped, then animals (0.45 > 0.4) too: walls gets the rest
    assert shares == pytest.approx({"food": 0.4, "animals": 0.4, "walls": 0.2})
    shares = capped_shares(mass, 0.5)
    assert shares == pytest.approx({"food": 0.5, "animals": 0.375, "walls": 0.125})
    assert capped_shares(mass, 0.2) == pytest.approx({s: 1 / 3 for s in mass})  # 3 x 0.2 < 1: all equal
    with pytest.raises(ValueError, match="source_cap"):
        ColorizationConfig(source_cap=1.5)
    assert ColorizationTrainSettings(source_cap=0.15).net_config().source_cap == 0.15


@pytest.fixture()
def two_source_root(tmp_path: Path, photo_root: Path) -> Path:
    """The synthetic photos split into a big source "a" and a small one "b" (photos 7, 10, 11; 7 is a val photo)."""
    root = tmp_path / "photos"
    shutil.copytree(photo_root, root)
    index = json.loads((root / "index.json").read_text())
    for i, row in enumerate(index["photos"]):
        row["source"] = "b" if i in (7, 10, 11) else "a"
    (root / "index.json").write_text(json.dumps(index))
    return root


def test_a_source_cap_reweights_the_draws(two_source_root: Path) -> None:
    plain = PhotoSet("train", two_source_root)
    assert plain.slot_p is None and plain.source_shares()["a"] > 0.6
    capped = PhotoSet("train", two_source_root, source_cap=0.5)
    assert capped.source_shares() == pytest.approx({"a": 0.5, "b": 0.5})
    draws = np.random.default_rng(0).choice(capped.slots, size=4000, p=capped.slot_p)
    share_a = np.mean([capped.rows[i]["source"] == "a" for i in draws])
    assert share_a == pytest.approx(0.5, abs=0.03)
    batch = capped.sample(np.random.default_rng(1), 4, 32, 64)
    assert batch.l_local.shape == (4, 1, 32, 32)


def test_the_trainer_samples_with_the_forms_cap(two_source_root: Path) -> None:
    from engines.colorization.task import PhotoTrainTask

    task = PhotoTrainTask(ColorizationConfig.tiny(source_cap=0.5), 2, data_root=two_source_root)
    assert task.train_set.source_shares() == pytest.approx({"a": 0.5, "b": 0.5})


def test_a_longer_schedule_after_resume_ramps_instead_of_jumping(photo_root: Path) -> None:
    from engines.colorization.task import PhotoTrainTask

    config = ColorizationConfig.tiny(lr=1e-3, lr_final=1e-4)
    task = PhotoTrainTask(config, 2600, data_root=photo_root)  # warm-up 200 steps
    fresh = PhotoTrainTask(config, 2600, data_root=photo_root)
    target = fresh._schedule(551)
    assert target > 9e-4  # what the cosine of a 2600-step run gives at step 551
    task._resumed_lr = 1e-4  # the end of a 550-step run
    first = task._schedule(551)
    assert first == pytest.approx(1e-4 + (target - 1e-4) / 200)
    rates = [task._schedule(s) for s in range(552, 751)]
    assert all(b > a for a, b in zip([first, *rates], rates, strict=False))
    assert rates[-1] == pytest.approx(fresh._schedule(750)) and task._ramp is None
    task._resumed_lr = 5e-3  # a lower new rate applies at once
    assert task._schedule(800) == pytest.approx(fresh._schedule(800))


def test_auto_says_why_each_cpu_backend_was_not_taken(tiny_weights: Path, tmp_path: Path, monkeypatch) -> None:
    import torch

    from engines.backends.choice import float_backend_devices
    from engines.colorization import cpu_backend
    from engines.colorization.model import LetThereBeColorNet, write_weights

    if torch.cuda.is_available() or not float_backend_devices():
        pytest.skip("auto picks the GPU here, or no CPU backend is installed")

    def broken(*_args, **_kwargs):
        raise RuntimeError("export failed: an op the exporter does not know")

    monkeypatch.setattr(cpu_backend, "BackendColorizer", broken)
    engine = ColorizationEngine()
    engine.load(tiny_weights, "auto")
    assert engine.device == "cpu" and engine.backend is None
    assert set(engine.refused) == set(float_backend_devices())
    assert all("exporter" in why for why in engine.refused.values())
    ablation = ColorizationConfig.tiny(use_global=False)
    path = write_weights(tmp_path / "ablation.pt", LetThereBeColorNet(ablation), ablation)
    engine.load(path, "auto")
    assert engine.device == "cpu" and all("torch only" in why for why in engine.refused.values())


def test_evaluate_splits_the_figures_by_source(two_source_root: Path, tiny_weights: Path, capsys) -> None:
    from engines.colorization.cli import main
    from engines.colorization.evaluate import evaluate

    res = evaluate([tiny_weights], size=32, root=two_source_root, split_source="a")
    n_val = res["gray"]["n"]
    parts = [k for k in res if " | " in k]
    assert {"tiny | in a", "tiny | not a", "mean chroma | in a", "mean chroma | not a"} <= set(parts)
    assert sum(res[k]["n"] for k in parts if k.startswith("tiny | ")) == n_val
    assert main(["evaluate", str(tiny_weights), "--root", str(two_source_root), "--size", "32",
                 "--split-source", "a"]) == 0
    assert "mean chroma | in a" in capsys.readouterr().out


def test_evaluate_scores_frames_of_a_colour_video(photo_root: Path, tiny_weights: Path, tmp_path: Path,
                                                  capsys) -> None:
    """`evaluate --video V --every N`: the figures on every N-th frame of a video (the demo clip's true colours)."""
    import cv2

    from engines.colorization.cli import main

    video = tmp_path / "clip.avi"
    out = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (48, 40))
    rng = np.random.default_rng(1)
    for _ in range(9):
        out.write(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8))
    out.release()
    assert main(["evaluate", str(tiny_weights), "--root", str(photo_root), "--size", "32", "--video", str(video),
                 "--every", "4"]) == 0
    text = capsys.readouterr().out
    assert "(3 frames of clip.avi at 32x32)" in text and "tiny" in text and "mean chroma" in text


def test_averaged_chroma_and_the_cast_share() -> None:
    """Two opposite casts average to none, keeping the lightness; a pure cast counts as all cast, a pattern
    around the true colours as none."""
    from engines.colorization.evaluate import average_chroma, figures
    from engines.colorization.lab import bgr_to_lab, lab_to_bgr

    rng = np.random.default_rng(0)
    truth_lab = np.zeros((32, 32, 3), np.float32)
    truth_lab[..., 0] = rng.uniform(30, 70, (32, 32))
    truth_lab[..., 1:] = rng.uniform(-10, 10, (32, 32, 2))
    truth = lab_to_bgr(truth_lab)
    lab = bgr_to_lab(truth)

    def shifted(da: np.ndarray) -> np.ndarray:
        out = lab.copy()
        out[..., 1:] += da
        return lab_to_bgr(out)

    warm, cold = shifted(np.float32([12, 12])), shifted(np.float32([-12, -12]))
    (mid,) = average_chroma([[warm], [cold]])
    assert np.abs(bgr_to_lab(mid)[..., 1:] - lab[..., 1:]).mean() < 1.5
    assert np.abs(bgr_to_lab(mid)[..., 0] - bgr_to_lab(warm)[..., 0]).max() < 1.5
    assert figures([warm], [truth])["cast_share"] > 0.9
    pattern = np.where((np.indices((32, 32)).sum(0) % 2)[..., None] == 1, 8.0, -8.0).astype(np.float32)
    assert figures([shifted(pattern)], [truth])["cast_share"] < 0.05


def test_evaluate_scores_the_models_averaged(photo_root: Path, tiny_weights: Path, tmp_path: Path, capsys) -> None:
    """`evaluate W1 W2 --ensemble`: an "average of 2" row, no worse in chroma MSE than the two members' mean."""
    import shutil

    from engines.colorization.cli import main
    from engines.colorization.evaluate import evaluate
    from tests.engines.colorization.conftest import train_tiny

    other = train_tiny(photo_root, tmp_path / "other.pt", seed=5, steps=3)
    first = shutil.copy(tiny_weights, tmp_path / "first.pt")
    res = evaluate([Path(first), other], size=32, root=photo_root, ensemble=True)
    both = res["average of 2"]
    assert both["n"] == res["gray"]["n"]
    assert both["chroma_mse"] <= (res["first"]["chroma_mse"] + res["other"]["chroma_mse"]) / 2 + 1e-5
    assert main(["evaluate", str(first), str(other), "--root", str(photo_root), "--size", "32", "--ensemble"]) == 0
    assert "average of 2" in capsys.readouterr().out
    assert main(["evaluate", str(first), "--root", str(photo_root), "--size", "32", "--ensemble"]) == 2
    assert "two or more weights files" in capsys.readouterr().err

"""SketchEngine: loading (good, wrong, damaged files), sampling, completion, latent space, shipped weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from engines.base import EngineError
from engines.sketch.config import SketchRNNConfig
from engines.sketch.engine import SketchEngine, sample_step, slerp
from engines.sketch.model import SketchRNN, export_weights, weights_payload

WEIGHTS = Path(__file__).resolve().parents[3] / "assets" / "weights"




def test_sample_shapes_units_and_seeds(engine):
    sketches = engine.sample(3, tau=0.8, steps=30, seed=5)
    assert len(sketches) == 3
    for s in sketches:
        assert s.strokes.dtype == np.float32 and s.strokes.ndim == 2 and s.strokes.shape[1] == 5
        assert not s.strokes.flags.writeable and len(s.strokes) <= 30
        if len(s.strokes):
            assert s.strokes[-1, 3] == 1 and np.all(s.strokes[:, 4] == 0)
            assert sum(len(p) for p in s.polylines()) == len(s.strokes)
    again = engine.sample(3, tau=0.8, steps=30, seed=5)
    assert all(np.array_equal(a.strokes, b.strokes) for a, b in zip(sketches, again, strict=True))


def test_tau_near_zero_is_deterministic(engine):
    z = np.ones(engine.config.z_size, np.float32) if engine.conditional else None
    for n in (1, 2):  # one row takes the scalar sampling path, several the vectorised one
        a = engine.sample(n, tau=1e-8, steps=40, z=z, seed=1)
        b = engine.sample(n, tau=1e-8, steps=40, z=z, seed=2)
        for x, y in zip(a + b[:1], b + a[:1], strict=True):
            assert x.strokes.shape == y.strokes.shape
            np.testing.assert_allclose(x.strokes, y.strokes, atol=1e-2)
    with pytest.raises(ValueError):
        engine.sample(1, tau=0.0)


def test_sample_step_temperature():
    m = 2
    y = np.zeros((4000, 6 * m + 3), np.float32)
    y[:, 0] = y[:, 6 * m] = 1.0  # mixture 0 and pen state p1 favoured; means differ per mixture
    y[:, m : m + 2] = (1.0, -1.0)
    rng = np.random.default_rng(0)
    cold = sample_step(y, m, 0.01, rng)
    assert np.allclose(cold[:, 0], 1.0, atol=0.5) and np.all(cold[:, 2] == 1)  # argmax mixture and pen
    warm = sample_step(y, m, 1.0, rng)
    assert 0.6 < np.mean(warm[:, 0] > 0) < 0.85  # softmax(1, 0) = 0.73 of mass on mixture 0
    assert abs(np.std(warm[:, 1]) - 1.0) < 0.1  # sigma_y = exp(0) = 1 at tau 1


def test_complete_is_batched_and_keeps_prefix(engine):
    prefix = np.array([[-20, -20, 1, 0, 0], [10, 0, 1, 0, 0], [0, 10, 0, 1, 0]], np.float32)
    outs = engine.complete(prefix, n_completions=6, tau=0.5, steps=25, seed=0)
    assert len(outs) == 6
    for c in outs:
        assert c.prefix_len == 3
        np.testing.assert_allclose(c.strokes[:3, :2], prefix[:, :2], atol=1e-4)
    stroke3 = engine.complete(prefix[:, [0, 1, 3]], 2, 0.5, 10, seed=0)
    assert len(stroke3) == 2


def test_latent_space(engine):
    drawing = engine.strokes_from_polylines([np.array([[20, 20], [80, 20], [80, 80]], np.float32)])
    assert drawing.shape == (3, 5)
    if not engine.conditional:
        with pytest.raises(EngineError, match="decoder-only"):
            engine.encode(drawing)
        return
    z = engine.encode(drawing)
    assert z.shape == (engine.config.z_size,) and z.dtype == np.float32
    np.testing.assert_array_equal(z, engine.encode(drawing))  # encode returns mu: deterministic
    assert len(engine.decode(z, steps=20)) == 1
    path = engine.interpolate(z, -z, k=5, steps=15, seed=0)
    assert len(path) == 5
    np.testing.assert_allclose(path[0].z, z, atol=1e-5) and np.testing.assert_allclose(path[-1].z, -z, atol=1e-5)


def test_slerp_ends_and_norm():
    a, b = np.array([1, 0], np.float32), np.array([0, 1], np.float32)
    pts = slerp(a, b, 3)
    np.testing.assert_allclose(pts[[0, -1]], [a, b], atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(pts, axis=1), 1, atol=1e-6)


def test_bad_files_give_clear_errors(tmp_path):
    eng = SketchEngine()
    with pytest.raises(EngineError, match="do not exist"):
        eng.load(tmp_path / "missing.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"\x00garbage" * 10)
    with pytest.raises(EngineError, match="damaged"):
        eng.load(junk)
    other = tmp_path / "other.pt"
    torch.save({"format": "something-else", "model": {}}, other)
    with pytest.raises(EngineError, match="not a sketch-rnn"):
        eng.load(other)
    cfg = SketchRNNConfig.tiny()
    payload = weights_payload(SketchRNN(cfg), cfg, 1.0, "x", "", 0, {})
    payload["config"] = SketchRNNConfig.tiny().with_(dec_size=32).to_dict()
    mismatch = export_weights(payload, tmp_path / "mismatch.pt")
    with pytest.raises(EngineError, match="does not match"):
        eng.load(mismatch)
    with pytest.raises(EngineError, match="no sketch-rnn weights"):
        eng.sample()


@pytest.mark.parametrize("name", ["sketch_kanji.pt", "sketch_icons.pt"])
def test_shipped_weights_load_and_sample(name):
    path = WEIGHTS / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: the sketch tab ships these weights")
    eng = SketchEngine()
    eng.load(path)
    assert eng.conditional and eng.canvas_size == pytest.approx(109.0)
    assert eng.info["metrics"]["valid_L_R"] < 0.5
    sketches = eng.sample(4, tau=0.3, steps=120, seed=0)
    points = [s.polylines() for s in sketches]
    assert sum(len(s.strokes) for s in sketches) > 20
    allpts = np.concatenate([p for lines in points for p in lines])
    assert np.all(np.abs(allpts) < 109 * 4)  # drawings stay near the canvas
    z = eng.encode(sketches[0].strokes)
    assert np.isfinite(z).all()
    assert len(eng.complete(sketches[0].strokes[:10], 6, 0.5, 60, seed=0)) == 6


@pytest.mark.slow
def test_bench_records_shape():
    from engines.sketch.bench import bench_records

    records = bench_records(rounds=1)
    assert [r["name"] for r in records] == ["sketch.sample250", "sketch.complete6", "sketch.complete6_250"]
    assert all(r["device"] == "cpu" and r["median_ms"] > 0 for r in records)

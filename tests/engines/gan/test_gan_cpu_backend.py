"""The GAN generator on a CPU backend: the grid matches torch within the gate, other batch sizes run as padded
chunks of 64, a refused or unknown runtime leaves torch sampling, and int8 is not offered."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from engines.backends.choice import installed
from engines.gan.config import GANConfig
from engines.gan.engine import GANEngine
from engines.gan.model import build_generator, export_weights, weights_payload


@pytest.fixture
def engine(tmp_path):
    torch.manual_seed(0)
    cfg = GANConfig.tiny()
    path = export_weights(weights_payload(cfg, build_generator(cfg), None, dataset="fashion-mnist-train", step=1),
                          tmp_path / "g.pt")
    eng = GANEngine()
    eng.load(path)
    return eng


@pytest.mark.skipif(not installed("onnxruntime"), reason="onnxruntime is not installed")
def test_the_backend_grid_matches_torch(engine, tmp_path, monkeypatch):
    monkeypatch.setenv("PAPERZOO_DATA_DIR", str(tmp_path / "data"))
    z = engine.latent(70, seed=5)  # 64 + 6: two padded chunks
    reference = engine.infer(z).pictures
    said = engine.use_backend("onnxruntime-f32", threads=1)
    assert engine.backend is not None and said.startswith("onnxruntime-f32 (max |difference|")
    out = engine.infer(z).pictures
    assert out.shape == reference.shape and np.abs(out.astype(int) - reference.astype(int)).max() <= 2
    assert engine.use_backend(None) == "torch" and engine.backend is None


def test_int8_is_refused(engine):
    with pytest.raises(ValueError, match="int8"):
        engine.use_backend("onnxruntime-int8")
    assert engine.backend is None

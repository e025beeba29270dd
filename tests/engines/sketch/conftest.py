"""Sketch tests run torch on one thread (these tiny LSTMs are faster so, and far steadier on a busy machine);
`engine`: a SketchEngine on a tiny random model, conditional (VAE) and decoder-only."""

from __future__ import annotations

import pytest
import torch

from engines.sketch.config import SketchRNNConfig
from engines.sketch.engine import SketchEngine
from engines.sketch.model import SketchRNN, export_weights, weights_payload


@pytest.fixture(autouse=True)
def _one_torch_thread():
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


@pytest.fixture(params=[True, False], ids=["vae", "decoder_only"])
def engine(request, tmp_path) -> SketchEngine:
    torch.manual_seed(0)
    cfg = SketchRNNConfig.tiny().with_(conditional=request.param)
    path = export_weights(weights_payload(SketchRNN(cfg), cfg, 20.0, "toy", "", 0, {}), tmp_path / "w.pt")
    eng = SketchEngine()
    eng.load(path)
    return eng

"""Sketch tests run torch on one thread: these tiny LSTMs are faster so, and far steadier on a busy machine."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread():
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)

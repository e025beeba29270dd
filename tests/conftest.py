"""Test setup: offscreen Qt, seeded RNGs, opt-in markers, and a guard against leaked capture threads."""

from __future__ import annotations

import os
import random
import threading

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("PAPERZOO_TORCH_THREADS", "1")


def pytest_addoption(parser):
    parser.addoption("--run-slow", action="store_true", help="run tests marked slow")
    parser.addoption("--run-gpu", action="store_true", help="run tests marked gpu (needs CUDA)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "slow" in item.keywords and not config.getoption("--run-slow"):
            item.add_marker(pytest.mark.skip(reason="slow: run with --run-slow"))
        if "gpu" in item.keywords and not config.getoption("--run-gpu"):
            item.add_marker(pytest.mark.skip(reason="gpu: run with --run-gpu"))


@pytest.fixture(autouse=True)
def _seed_and_guard_threads():
    random.seed(0)
    np.random.seed(0)
    yield
    leaked = [t.name for t in threading.enumerate() if t.name.startswith("capture:") and t.is_alive()]
    assert not leaked, f"capture threads left running: {leaked}"


def require_assets(*names: str) -> None:
    """Skip (locally) or fail (in CI, where set-up fetches them) when pretrained files are missing."""
    from engines import assets

    missing = assets.missing(names)
    if missing:
        message = f"assets not fetched: {missing}; run `python -m engines.assets fetch`"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)

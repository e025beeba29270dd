"""Every bomb of tests/engines/bombs.py is refused with an EngineError, each in a fresh process (slow: ~1 min)."""

from __future__ import annotations

import pytest

from tests.conftest import require_assets
from tests.engines.bombs import BOMBS, measure


@pytest.mark.slow
@pytest.mark.parametrize("bomb", BOMBS, ids=[f"{b[0]}: {b[1]}" for b in BOMBS])
def test_a_bomb_is_refused_with_little_memory(tmp_path, bomb):
    require_assets("pose_landmark_full.tflite", "vtest.avi")
    row = measure(*bomb, tmp_path)
    assert row["outcome"] == "EngineError", row
    assert row["peak"] - row["base"] < 300, row  # MiB; the largest is FFmpeg probing a 16000 x 16000 AVI

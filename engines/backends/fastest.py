"""Remember which CPU backend won the "auto" timing for a model on this machine, so the next start builds and
gates only that one (about 3 s sooner to the first result). Keyed by the weights (sha256 of the state dict),
the input size, the CPU's flags and the runtimes' versions; kept in <data dir>/backends/fastest.json."""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any


def _file() -> Path:
    from engines.backends.onnx_cache import cache_dir

    return cache_dir() / "fastest.json"


def _key(module: Any, size: int) -> str:
    from engines.backends.choice import cpu_flags
    from engines.backends.onnx_cache import weights_sha256

    versions = []
    for dist in ("openvino", "onnxruntime", "torch"):
        try:
            versions.append(metadata.version(dist))
        except metadata.PackageNotFoundError:
            versions.append("-")
    parts = [weights_sha256(module), str(size), ",".join(sorted(cpu_flags())), *versions, str(os.cpu_count())]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def _read() -> dict[str, str]:
    try:
        data = json.loads(_file().read_text(encoding="utf-8"))
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def remembered(module: Any, size: int) -> str | None:
    """The backend device that won last time for this model, size and machine, or None."""
    return _read().get(_key(module, size))


def remember(module: Any, size: int, device: str) -> None:
    """Store the winner (written to a temp file, then renamed)."""
    data = _read()
    data[_key(module, size)] = device
    path = _file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    tmp.replace(path)

"""Small JSON memos in <data dir>/backends/ that spare a start work it did before on this machine: which
backend won the "auto" timing (fastest.py) and each backend's gate verdict (gate_memo.py).

Keys hash the caller's parts with this machine's signature (CPU flags and count, the runtimes' versions), so
a new CPU or a runtime upgrade starts afresh. A missing or damaged file reads as empty."""

from __future__ import annotations

import hashlib
import json
import os
from importlib import metadata
from pathlib import Path
from typing import Any


def machine_signature() -> str:
    """CPU flags, core count and the openvino / onnxruntime / torch versions, as one string."""
    from engines.backends.choice import cpu_flags

    versions = []
    for dist in ("openvino", "onnxruntime", "torch"):
        try:
            versions.append(metadata.version(dist))
        except metadata.PackageNotFoundError:
            versions.append("-")
    return "|".join([",".join(sorted(cpu_flags())), *versions, str(os.cpu_count())])


def memo_key(*parts: object) -> str:
    """24 hex chars over `parts` and the machine signature."""
    text = "|".join(map(str, parts)) + "|" + machine_signature()
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class JsonMemo:
    """One JSON object file of key -> JSON value; writes go to a temp file that is then renamed."""

    def __init__(self, filename: str) -> None:
        self.filename = filename

    def path(self) -> Path:
        from engines.backends.onnx_cache import cache_dir

        return cache_dir() / self.filename

    def read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def get(self, key: str) -> Any:
        return self.read().get(key)

    def put(self, key: str, value: Any) -> None:
        data = self.read()
        data[key] = value
        path = self.path()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.part")
        tmp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(path)

"""Remember each backend's gate verdict, so a start does not recompute the torch reference on the held-out
frames (about 4 s for YOLOv3-tiny on this CPU) for a backend it judged before.

The key covers what the verdict depends on: the exact model file the runner opens (its name carries the
export key or the int8 calibration key; its size), the backend and precision, the gate's measure and
thresholds, the held-out frames (the caller's signature) and the machine. Kept in <data dir>/backends/gates.json.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from engines.backends.gate import GateResult
from engines.backends.memo import JsonMemo, memo_key

MEMO = JsonMemo("gates.json")


def gate_key(model_file: Path, device: str, gate_params: str, frames_signature: str) -> str:
    """device: "backend-precision" (threads do not change the verdict)."""
    size = model_file.stat().st_size if model_file.is_file() else -1
    return memo_key(model_file.name, size, device, gate_params, frames_signature)


def recalled(key: str) -> GateResult | None:
    """The verdict stored under `key`, or None (also for a damaged entry)."""
    value = MEMO.get(key)
    try:
        return GateResult(bool(value["passed"]), float(value["agreement"]), str(value["measure"]),
                          int(value["frames"]), str(value.get("reason", "")))
    except (TypeError, KeyError, ValueError):
        return None


def store(key: str, result: GateResult) -> None:
    MEMO.put(key, asdict(result))

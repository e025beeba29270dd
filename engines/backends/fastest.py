"""Remember which CPU backend won the "auto" timing for a model on this machine, so the next start builds and
gates only that one (about 3 s sooner to the first result). Keyed by the weights (sha256 of the state dict),
the input size and the machine (memo.machine_signature); kept in <data dir>/backends/fastest.json."""

from __future__ import annotations

from typing import Any

from engines.backends.memo import JsonMemo, memo_key

MEMO = JsonMemo("fastest.json")


def _key(module: Any, size: int) -> str:
    from engines.backends.onnx_cache import weights_sha256

    return memo_key(weights_sha256(module), size)


def remembered(module: Any, size: int) -> str | None:
    """The backend device that won last time for this model, size and machine, or None."""
    value = MEMO.get(_key(module, size))
    return value if isinstance(value, str) else None


def remember(module: Any, size: int, device: str) -> None:
    MEMO.put(_key(module, size), device)

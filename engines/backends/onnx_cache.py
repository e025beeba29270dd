"""Export a torch module to ONNX once: cached under <data dir>/backends/<key>.onnx, where the key hashes the
weights (sha256 of the state dict), the input shape, the opset and the torch/exporter version."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

OPSET = 17
EXPORTER = "torchscript"  # torch.onnx.export(dynamo=False): needs no onnxscript


def cache_dir() -> Path:
    from engines.assets import data_dir

    return data_dir() / "backends"


def weights_sha256(module: Any) -> str:
    """sha256 over the state dict (names, dtypes, shapes and bytes), in name order."""
    import torch

    h = hashlib.sha256()
    for name, t in sorted(module.state_dict().items()):
        t = t.detach().cpu().contiguous()
        h.update(f"{name}|{t.dtype}|{tuple(t.shape)}|".encode())
        h.update((t.float() if t.dtype == torch.bfloat16 else t).numpy().tobytes())
    return h.hexdigest()


def export_key(module: Any, input_shape: tuple[int, ...], tag: str = "") -> str:
    """The cache key: weights sha256 + input shape + opset + exporter and torch versions (24 hex chars)."""
    import torch

    parts = [weights_sha256(module), "x".join(map(str, input_shape)), f"opset{OPSET}", EXPORTER,
             torch.__version__, type(module).__name__, tag]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:24]


def export_onnx(module: Any, example: Any, name: str, directory: Path | None = None,
                input_names: tuple[str, ...] = ("input",), output_names: tuple[str, ...] = ("output",)) -> Path:
    """ONNX of `module` (eval, fp32 CPU) for inputs shaped like `example` (a tensor or tuple of tensors).

    Returns the cached file if it exists; otherwise exports to a temp file and renames it into place.
    """
    import copy

    import torch

    examples = example if isinstance(example, tuple) else (example,)
    model = copy.deepcopy(module).float().cpu().eval()
    key = export_key(model, tuple(examples[0].shape))
    directory = Path(directory) if directory is not None else cache_dir()
    out = directory / f"{name}-{key}.onnx"
    if out.is_file():
        return out
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=directory)
    os.close(fd)
    try:
        import warnings

        with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(model, tuple(e.float().cpu().contiguous() for e in examples), tmp, dynamo=False,
                              opset_version=OPSET, input_names=list(input_names), output_names=list(output_names))
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return out

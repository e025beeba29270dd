"""placeholder"""
from pathlib import Path
from typing import Any


def read_weights(path: Path) -> dict[str, Any]:
    import torch
    p = torch.load(path, map_location="cpu", weights_only=True)
    return p

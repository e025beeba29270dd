"""Device and precision choices for torch engines: cuda > mps > cpu, switchable at run time."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEVICE_ORDER = ("cuda", "mps", "cpu")


def available_devices() -> list[str]:
    """Devices torch can use here, best first (always ends with "cpu")."""
    import torch

    found = []
    if torch.cuda.is_available():
        found.append("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        found.append("mps")
    found.append("cpu")
    return found


def best_device() -> str:
    return available_devices()[0]


def resolve_device(name: str | None) -> str:
    """Map None/"auto" to the best device; refuse a device that is not available with a clear message.
    A CPU backend device ("openvino-bf16", see engines.backends) is returned as is when this machine has it."""
    from engines.backends.choice import is_backend_device, parse_device

    if name in (None, "", "auto"):
        return best_device()
    if is_backend_device(name):
        parse_device(name)  # ValueError: not installed here, or no bf16 on this CPU
        return name
    if name not in DEVICE_ORDER:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(DEVICE_ORDER)} or auto")
    if name not in available_devices():
        raise ValueError(f"device {name!r} is not available here; available: {', '.join(available_devices())}")
    return name


@dataclass(frozen=True)
class Precision:
    """How a model runs on a device: fp16 and channels_last on GPUs, fp32 channels_last on CPU."""

    half: bool
    channels_last: bool

    @staticmethod
    def for_device(device: str) -> Precision:
        return Precision(half=device == "cuda", channels_last=device in ("cuda", "cpu"))

    def place(self, master, device: str):
        """A copy of the nn.Module `master` on `device` in this precision (`master` stays as it is)."""
        import copy

        import torch

        model = copy.deepcopy(master).to(device)
        if self.channels_last:
            model = model.to(memory_format=torch.channels_last)
        return model.half() if self.half else model


def set_cpu_threads(n: int | None = None) -> int:
    """Set torch's intra-op thread count (default: PAPERZOO_TORCH_THREADS or cores-1, at least 1).

    On a 2-core machine capture, GUI and inference share the cores; giving torch every core makes
    forwards collapse under load (measured 40 ms -> 1.9 s), so leave one core free by default.
    """
    import torch

    if n is None:
        env = os.environ.get("PAPERZOO_TORCH_THREADS")
        n = int(env) if env else max(1, (os.cpu_count() or 2) - 1)
    torch.set_num_threads(max(1, n))
    return torch.get_num_threads()


def freeze_gc(collect: bool = True) -> None:
    """Move every object alive now (torch and the loaded model included) out of the garbage collector's
    view. Full collections then scan only newer objects: measured in the app, a full collection took
    320-340 ms on the GUI thread with torch loaded, enough to stall the display.

    collect=False freezes without collecting first: for a worker thread of a Qt app, where a collection
    could destroy GUI objects on the wrong thread (any garbage alive now is kept, a one-off cost)."""
    import gc

    if collect:
        gc.collect()
    gc.freeze()


def is_out_of_memory(exc: BaseException) -> bool:
    """True for a GPU out-of-memory error (so callers can fall back to CPU with a message)."""
    import torch

    if isinstance(exc, torch.cuda.OutOfMemoryError):
        return True
    return "out of memory" in str(exc).lower()


def require_finite(state: dict, what: str) -> None:
    """Raise EngineError naming the first tensor of a state dict that holds NaN or inf (a diverged run)."""
    import torch

    from engines.base import EngineError

    for name, value in state.items():
        if isinstance(value, torch.Tensor) and value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise EngineError(f"{what} holds NaN/inf values (in {name}): the run that wrote it diverged")

"""Backend device strings ("openvino-bf16" ...): what this machine offers, parsing, thread defaults."""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

BACKENDS = ("openvino", "onnxruntime")  # preference order: OpenVINO first
PRECISIONS = {"openvino": ("f32", "bf16", "int8"), "onnxruntime": ("f32", "int8")}


@dataclass(frozen=True)
class BackendChoice:
    """A runtime + precision on the CPU; threads None: the default (see default_threads)."""

    backend: str
    precision: str = "f32"
    threads: int | None = None

    def __post_init__(self) -> None:
        if self.backend not in PRECISIONS:
            raise ValueError(f"unknown backend {self.backend!r}; choose one of {', '.join(BACKENDS)}")
        if self.precision not in PRECISIONS[self.backend]:
            raise ValueError(f"{self.backend} has no {self.precision!r}; it offers "
                             f"{', '.join(PRECISIONS[self.backend])}")

    @property
    def device(self) -> str:
        return f"{self.backend}-{self.precision}"

    @property
    def exact(self) -> bool:
        """f32 reproduces torch to ~1e-6; bf16 and int8 are approximations that must pass a gate."""
        return self.precision == "f32"

    @property
    def n_threads(self) -> int:
        return self.threads or default_threads()


def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux /proc/cpuinfo; empty elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


def has_bf16() -> bool:
    """bf16 arithmetic in hardware (AVX512-BF16 or AMX-BF16); without it OpenVINO emulates bf16 slowly."""
    flags = cpu_flags()
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def installed(backend: str) -> bool:
    return importlib.util.find_spec(backend) is not None


def backend_devices() -> list[str]:
    """The backend devices usable here, in preference order (bf16 only where the CPU has it)."""
    out = []
    for b in BACKENDS:
        if installed(b):
            out += [f"{b}-{p}" for p in PRECISIONS[b] if p != "bf16" or has_bf16()]
    return out


def float_backend_devices() -> list[str]:
    """backend_devices() without int8: the choices that run an exported float file as it is (no calibration)."""
    return [d for d in backend_devices() if not d.endswith("int8")]


def is_backend_device(name: str | None) -> bool:
    return bool(name) and "-" in str(name) and str(name).split("-", 1)[0] in PRECISIONS


def parse_device(name: str, threads: int | None = None) -> BackendChoice:
    """"openvino-bf16" -> BackendChoice; ValueError names what this machine offers."""
    backend, _, precision = str(name).partition("-")
    choice = BackendChoice(backend, precision or "f32", threads)
    if not installed(backend):
        raise ValueError(f"{backend} is not installed here")
    if precision == "bf16" and not has_bf16():
        raise ValueError("this CPU has no bf16 instructions (avx512_bf16 / amx_bf16)")
    return choice


def default_threads() -> int:
    """Intra-op threads for a backend: PAPERZOO_BACKEND_THREADS, else PAPERZOO_TORCH_THREADS, else cores-1 (at
    least 1), leaving a core to capture and the GUI.

    Runners never pin threads (OpenVINO) or spin (onnxruntime): so configured, 2 threads with one busy process
    per core ran at 0.88-1.28x their 1-thread speed (`python -m engines.bench --only detection --load`), where
    torch fell to 0.23x OpenCV. OpenVINO bf16 gained nothing from a second thread (22.5 vs 23.6 ms), pinning
    made it slower (25.2 / 26.8 ms), so the spare core goes to the rest of the app.
    """
    for key in ("PAPERZOO_BACKEND_THREADS", "PAPERZOO_TORCH_THREADS"):
        if os.environ.get(key):
            return max(1, int(os.environ[key]))
    return max(1, (os.cpu_count() or 2) - 1)

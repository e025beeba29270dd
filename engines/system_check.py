"""System check, the Qt-free part: what this machine offers PaperZoo, as lines a user can paste in a bug report.

Each fact is a Check(section, name, status, detail); status is "ok", "warn" (works, with less) or "missing"
(a tab needs it). Hashing the pretrained files takes a few seconds: run facts() on a worker.
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata

OK, WARN, MISSING = "ok", "warn", "missing"


@dataclass(frozen=True)
class Check:
    section: str
    name: str
    status: str  # OK / WARN / MISSING
    detail: str

    def line(self) -> str:
        return f"[{self.status:7s}] {self.name}: {self.detail}"


def version() -> str:
    """PaperZoo's version (the installed distribution's, else the source tree's pyproject)."""
    try:
        return metadata.version("paperzoo")
    except metadata.PackageNotFoundError:
        return "0+unknown"


def _package(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def platform_facts() -> Iterator[Check]:
    yield Check("machine", "PaperZoo", OK, version())
    yield Check("machine", "Python", OK, f"{platform.python_version()} ({sys.executable})")
    yield Check("machine", "system", OK, f"{platform.platform()}, {os.cpu_count()} CPU threads")


def torch_facts() -> Iterator[Check]:
    try:
        import torch
    except Exception as exc:  # noqa: BLE001 - a broken install is a fact to report, not a crash
        yield Check("compute", "torch", MISSING, f"cannot import: {exc}")
        return
    build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only build"
    yield Check("compute", "torch", OK, f"{torch.__version__} ({build}), {torch.get_num_threads()} threads")
    if torch.cuda.is_available():
        names = ", ".join(torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count()))
        yield Check("compute", "GPU", OK, names)
    else:
        why = "this torch has no CUDA" if not torch.version.cuda else "no CUDA device or driver found"
        yield Check("compute", "GPU", WARN, f"none used ({why}); the tabs run on the CPU")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        yield Check("compute", "Apple GPU (MPS)", OK, "available")


def backend_facts() -> Iterator[Check]:
    """The optional CPU runtimes (faster than torch on the CPU) and OpenCV."""
    for dist, what in (("openvino", "OpenVINO"), ("onnxruntime", "onnxruntime"), ("ai-edge-litert", "LiteRT"),
                       ("opencv-python-headless", "OpenCV")):
        found = _package(dist)
        yield Check("compute", what, OK if found else WARN, found or "not installed (optional: torch is used)")


def asset_facts(verify: bool = True) -> Iterator[Check]:
    """Every pretrained file: present, and (verify) its sha256 as pinned."""
    from engines.assets import all_assets, asset_path, sha256_file

    for a in all_assets():
        path = asset_path(a.name)
        if not path.is_file():
            yield Check("pretrained files", a.name, MISSING, f"not downloaded ({a.archive.name}; {a.licence})")
        elif verify and sha256_file(path) != a.sha256:
            yield Check("pretrained files", a.name, MISSING, f"{path} does not match its sha256: fetch it again")
        else:
            yield Check("pretrained files", a.name, OK, f"{'sha256 verified' if verify else 'present'}, {a.licence}")


def data_dir_facts() -> Iterator[Check]:
    from engines.assets import data_dir

    root = data_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=root):
            pass
        yield Check("files", "data folder", OK, f"{root} (writable)")
    except OSError as exc:
        yield Check("files", "data folder", MISSING, f"{root} is not writable: {exc}")
    try:
        free = os.statvfs(root).f_bavail * os.statvfs(root).f_frsize / 2**30
        yield Check("files", "free space", OK if free > 2 else WARN, f"{free:.1f} GiB")
    except (OSError, AttributeError):
        pass


def facts(verify: bool = True) -> Iterator[Check]:
    """Every check, in the order a report lists them."""
    yield from platform_facts()
    yield from torch_facts()
    yield from backend_facts()
    yield from data_dir_facts()
    yield from asset_facts(verify)


def report(checks: list[Check]) -> str:
    """Plain text for a bug report: one section heading, then one line per check."""
    out, section = [], None
    for c in checks:
        if c.section != section:
            section = c.section
            out.append(f"\n{section}" if out else section)
        out.append("  " + c.line())
    return "\n".join(out)


def main() -> int:
    """`python -m engines.system_check`: the same report on the command line."""
    print(report(list(facts())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Run a converter on an untrusted file in a child process with memory and time limits.

A crafted file can crash or balloon whatever parses it (numpy's array reconstruction on hostile
state segfaults; a declared shape of 2e9 elements allocates 8 GB). In a child with RLIMIT_AS and
RLIMIT_CPU the worst case is a dead child and a clear EngineError; the parent only reads what the
child wrote as plain arrays (np.load with allow_pickle=False).
"""

from __future__ import annotations

import multiprocessing as mp
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from engines.base import EngineError

MEMORY_BYTES = 3 << 30  # address space the child may add to what its imports mapped
SECONDS = 120


def cap_address_space(extra_bytes: int) -> int:
    """Set RLIMIT_AS to what this process has mapped now plus `extra_bytes`; returns the limit in bytes.

    Relative, not absolute: a CUDA build of torch maps ~2.4 GiB of address space at import, so a fixed cap
    can leave nothing to work with. A runaway allocation still fails past it. Raises ImportError, ValueError
    or OSError where the OS has no such limit.
    """
    import resource

    try:
        with open("/proc/self/status", encoding="ascii") as status:
            mapped = next(int(line.split()[1]) * 1024 for line in status if line.startswith("VmSize:"))
    except (OSError, StopIteration):
        mapped = 1 << 30  # no /proc: assume 1 GiB mapped
    limit = mapped + extra_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return limit


def _limited(target: Callable[[str, str], None], source: str, out: str, memory: int, seconds: int) -> None:
    try:
        import resource

        cap_address_space(memory)
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))
    except (ImportError, ValueError, OSError):  # not on this OS: the time limit below still holds
        pass
    try:
        target(source, out)
    except MemoryError:
        Path(out + ".error").write_text(f"needs more than {memory >> 20} MiB to read", encoding="utf-8")
    except EngineError as exc:
        Path(out + ".error").write_text(str(exc), encoding="utf-8")
    except Exception as exc:  # any other failure of the parser is the file's fault too
        Path(out + ".error").write_text(f"{type(exc).__name__}: {exc}", encoding="utf-8")


def convert_in_sandbox(target: Callable[[str, str], None], source: str | Path, *, memory: int = MEMORY_BYTES,
                       seconds: int = SECONDS) -> dict[str, np.ndarray]:
    """`target(source, out)` must write plain arrays to the .npz path `out` (np.savez); returns them.

    target must be importable by name (a module-level function). EngineError names the file and what
    went wrong: the child's own message, "crashed (signal 11)", "took longer than N s".
    """
    name = Path(source).name
    with tempfile.TemporaryDirectory(prefix="paperzoo-sandbox-") as tmp:
        out = str(Path(tmp) / "converted.npz")
        child = mp.get_context("spawn").Process(target=_limited, name="paperzoo-sandbox",
                                                 args=(target, str(source), out, memory, seconds))
        child.start()
        child.join(seconds + 15)
        if child.is_alive():
            child.kill()
            child.join(5)
            raise EngineError(f"{name}: reading it took longer than {seconds} s (a damaged or crafted file?)")
        error = Path(out + ".error")
        if error.is_file():
            raise EngineError(f"{name}: {error.read_text(encoding='utf-8')}")
        if child.exitcode != 0 or not Path(out).is_file():
            how = f"signal {-child.exitcode}" if child.exitcode and child.exitcode < 0 else f"exit {child.exitcode}"
            raise EngineError(f"{name} crashed the reader ({how}): the file is damaged or crafted")
        try:
            with np.load(out, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
        except (OSError, ValueError) as exc:
            raise EngineError(f"{name}: the converted data could not be read ({exc})") from exc

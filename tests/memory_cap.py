"""A memory cap for the fuzz children that does not depend on how large the installed libraries are."""

from __future__ import annotations


def cap_address_space(extra_bytes: int = 3 << 30) -> int:
    """Set RLIMIT_AS to this process's mapped size now plus `extra_bytes`; returns the limit in bytes.

    Call it after the heavy imports: a CUDA build of torch maps several GiB of address space at import, so a
    fixed 3 GiB cap made `import torch` itself fail there. A runaway allocation still fails past the cap.
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

"""Resident-memory readings from ``/proc/self`` (Linux), for the memory benchmarks and tests."""

from __future__ import annotations

__all__ = ["reset_hwm", "status_kib"]


def status_kib(field: str) -> int:
    """A ``/proc/self/status`` field in KiB, e.g. ``VmHWM`` (peak resident set) or ``VmRSS``."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_hwm() -> bool:
    """Reset the resident-set high-water mark (``VmHWM``); False where the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False

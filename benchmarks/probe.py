"""Wall time and peak-RSS growth of one stretch of work in the current process.

Peak RSS is the kernel's `VmHWM`, reset to the current RSS just before the work (writing 5 to
`/proc/self/clear_refs`), so neither the setup nor the parent process it was forked from (whose
peak `ru_maxrss` would inherit across fork and exec) counts. Standard library only: the same
probe runs in our virtualenv and in the peer's.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any


def _status_kib(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise LookupError(field)


def reset_peak() -> int:
    """Reset the peak RSS to the current RSS; return the current RSS in KiB."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
        clear_refs.write("5")
    return _status_kib("VmRSS")


def peak_rss_kib() -> int:
    """The peak resident set size since the last `reset_peak`, in KiB."""
    try:
        return _status_kib("VmHWM")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@dataclass
class Probe:
    """Records the wall and CPU seconds and the peak-RSS growth (MiB) of the stretch under
    `measure()`; CPU time is this process's own work, which other load on the machine barely
    changes."""

    seconds: float | None = None
    cpu_seconds: float | None = None
    rss_growth_mib: float | None = None
    idle_rss_mib: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @contextmanager
    def measure(self) -> Iterator[None]:
        """Time the block; peak RSS is compared with the idle process just before it."""
        try:
            before = reset_peak()
        except OSError:
            before = peak_rss_kib()
        start, cpu_start = time.perf_counter(), time.process_time()
        yield
        self.seconds = time.perf_counter() - start
        self.cpu_seconds = time.process_time() - cpu_start
        self.rss_growth_mib = (peak_rss_kib() - before) / 1024
        self.idle_rss_mib = before / 1024

    def to_dict(self) -> dict[str, Any]:
        """The sample as JSON-able data for the parent process."""
        return {
            "seconds": self.seconds,
            "cpu_seconds": self.cpu_seconds,
            "rss_growth_mib": self.rss_growth_mib,
            "idle_rss_mib": self.idle_rss_mib,
            **self.extra,
        }

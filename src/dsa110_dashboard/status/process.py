"""This server process at a glance: sessions open, memory, threads, uptime, version.

Read from ``/proc/self`` (Linux, where the dashboard runs); a value the host cannot give
is None and shown as unknown. The session count comes from the caller (Panel's server
knows it; this module knows no Panel).
"""

from __future__ import annotations

import os
import resource
import threading
import time
from dataclasses import asdict, dataclass

from .. import __version__

#: When this module was first imported: the server imports it while it starts.
STARTED_AT = time.time()


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    version: str
    started_at: float
    uptime_s: float
    rss_bytes: int | None          # resident memory now
    peak_rss_bytes: int | None     # the most it has held
    threads: int | None            # operating-system threads (Python's and the libraries')
    python_threads: int
    sessions: int | None           # open page sessions of this process

    def as_dict(self) -> dict:
        return asdict(self)


def _status_fields() -> dict[str, str]:
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as f:
            return dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        return {}


def _kb(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(text.split()[0]) * 1024
    except (ValueError, IndexError):
        return None


def process_info(sessions: int | None = None, now: float | None = None) -> ProcessInfo:
    fields = _status_fields()
    threads = fields.get("Threads")
    # ru_maxrss is in KiB on Linux.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 or None
    now = time.time() if now is None else now
    return ProcessInfo(
        pid=os.getpid(), version=__version__, started_at=STARTED_AT,
        uptime_s=max(0.0, now - STARTED_AT), rss_bytes=_kb(fields.get("VmRSS")),
        peak_rss_bytes=peak, threads=int(threads) if threads and threads.strip().isdigit()
        else None, python_threads=threading.active_count(), sessions=sessions)

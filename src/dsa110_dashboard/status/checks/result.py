"""What one run of one check found, and how several roll up into one status."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass

OK, WARNING, CRITICAL, UNKNOWN = "ok", "warning", "critical", "unknown"
STATUSES = (OK, WARNING, CRITICAL, UNKNOWN)
# Unknown ranks lowest: a check that cannot tell (no systemctl on this host) does not
# hide a failure elsewhere, and the rollup is unknown only when nothing is known.
_RANK = {UNKNOWN: 0, OK: 1, WARNING: 2, CRITICAL: 3}


@dataclass(frozen=True)
class Outcome:
    """What a probe reports; the monitor adds the name, the time and the latency."""

    status: str
    detail: str = ""              # what was seen: "HTTP 200", "12.4 GB free", "active"
    error: str | None = None      # why it is not ok, in words for the operator


@dataclass(frozen=True)
class CheckResult:
    name: str
    kind: str
    target: str                   # what is checked: a URL, host:port, unit, path
    status: str                   # one of STATUSES
    latency_ms: float | None      # None: not run, or timed out
    checked_at: float | None      # unix seconds; None: not checked yet
    error: str | None = None
    detail: str = ""

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class HistoryPoint:
    checked_at: float
    status: str
    latency_ms: float | None


def worst(statuses: Iterable[str]) -> str:
    return max(statuses, key=_RANK.__getitem__, default=UNKNOWN)


def overall(results: Iterable[CheckResult]) -> str:
    """The worst status of ``results``; unknown only when none is known."""
    return worst(r.status for r in results)

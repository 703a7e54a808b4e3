"""The server's health as a light and its parts, for pages that show it at a glance
(the wall display): the process's health checks (``status.checks.HealthMonitor``, their
rollup and each check), or, where no monitor runs (a notebook), the health report of
``GET /api/v1/health`` (database, pipeline freshness, thumbnail cache; ``status.report``)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ..db.engine import Database
from ..errors import DatabaseUnavailableError
from ..fits.cache import cache_for
from ..repositories.stats import Freshness
from ..settings import Settings
from .checks import CRITICAL, WARNING, CheckResult, HealthMonitor
from .checks import OK as CHECK_OK
from .lights import BAD, OK, UNKNOWN, WARN, worst
from .report import DEGRADED, OK_STATUS, DatabaseCheck, health_report


@dataclass(frozen=True)
class Check:
    name: str
    state: str      # ok / warn / bad / unknown
    detail: str


@dataclass(frozen=True)
class HealthSummary:
    state: str
    checks: tuple[Check, ...]


#: ``health(freshness, now)``: the summary, given the freshness the caller read.
HealthSource = Callable[[Freshness | None, float], HealthSummary]

_REPORT_LIGHT = {OK_STATUS: OK, DEGRADED: WARN}


def report_summary(database: DatabaseCheck, freshness: Freshness | None,
                   cache_problem: str | None, now: float,
                   shown: Callable[[str], str] = str) -> HealthSummary:
    """The health report (``status.report``) as lights."""
    _, body = health_report(database, freshness, cache_problem, now, shown)
    db, fresh, cache = body["database"], body["pipeline"]["freshness"], body["cache"]
    checks = (
        Check("Database", OK if db["ok"] else BAD,
              f"answers in {db['latency_ms']:.0f} ms" if db["ok"]
              else f"unreachable: {db.get('error')}"),
        Check("Freshness", fresh["state"],
              "no image yet" if fresh["seconds_since_latest_image"] is None else
              f"newest image {fresh['seconds_since_latest_image'] / 60:.0f} min old "
              f"({fresh['rule']})"),
        Check("Thumbnail cache", OK if cache["ok"] else WARN,
              "writable" if cache["ok"] else str(cache.get("reason"))),
    )
    state = _REPORT_LIGHT.get(body["status"], BAD)
    return HealthSummary(worst([state, *(c.state for c in checks if c.state != UNKNOWN)]),
                         checks)


def report_source(db: Database, settings: Settings,
                  shown: Callable[[str], str] = str) -> HealthSource:
    """A ``HealthSource`` that pings ``db`` and probes the thumbnail cache (blocking)."""
    timeout = settings.timeouts.quick_check

    def source(freshness: Freshness | None, now: float | None = None) -> HealthSummary:
        now = time.time() if now is None else now
        latency = error = None
        try:
            latency = db.ping(timeout)
        except DatabaseUnavailableError as exc:
            error = exc.user_message
        check = DatabaseCheck(target=db.target.display(), dialect=db.dialect,
                              read_only=db.read_only, latency_s=latency, error=error)
        return report_summary(check, freshness, cache_for(settings).probe(), now, shown)

    return source


_CHECK_LIGHT = {CHECK_OK: OK, WARNING: WARN, CRITICAL: BAD}


def monitor_summary(results: list[CheckResult], overall: str,
                    shown: Callable[[str], str] = str) -> HealthSummary:
    """The health checks' results and their rollup as lights."""
    checks = tuple(
        Check(r.name, _CHECK_LIGHT.get(r.status, UNKNOWN),
              shown(r.error or r.detail or r.status))
        for r in results)
    return HealthSummary(_CHECK_LIGHT.get(overall, UNKNOWN), checks)


def monitor_source(monitor: HealthMonitor, shown: Callable[[str], str] = str
                   ) -> HealthSource:
    """A ``HealthSource`` reading the monitor's latest results (no probe runs here: the
    monitor's scheduler runs them)."""

    def source(_freshness: Freshness | None, _now: float) -> HealthSummary:
        return monitor_summary(monitor.results(), monitor.overall(), shown)

    return source

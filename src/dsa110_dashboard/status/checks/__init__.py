"""The service health checks of issue 16: what to check (``config``), how (``probes``),
and the process's scheduler that runs them and keeps their history (``monitor``).

Knows no Panel and no Tornado: the /health page, ``GET /api/v1/health?detailed=true``,
the wall and the Prometheus metrics all read one ``HealthMonitor``::

    monitor = build_monitor(settings, db)   # the configured checks and intervals
    monitor.start()                 # one scheduler thread per process
    monitor.results()               # [CheckResult(name, kind, status, latency_ms, ...)]
    monitor.overall()               # "ok" | "warning" | "critical" | "unknown"
    monitor.history("database")     # [HistoryPoint(checked_at, status, latency_ms), ...]
"""

from .config import HealthConfigError, build_monitor, load_checks
from .monitor import HealthMonitor
from .probes import Check
from .result import (
    CRITICAL,
    OK,
    STATUSES,
    UNKNOWN,
    WARNING,
    CheckResult,
    HistoryPoint,
    overall,
)

__all__ = ["CRITICAL", "OK", "STATUSES", "UNKNOWN", "WARNING", "Check", "CheckResult",
           "HealthConfigError", "HealthMonitor", "HistoryPoint", "build_monitor",
           "load_checks", "overall"]

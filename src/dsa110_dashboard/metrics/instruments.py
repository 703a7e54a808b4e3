"""The instruments of one server: its own Prometheus registry (never the process-wide
default, so two servers in one process, or two tests, never share a number), the
counters and histograms that handlers move, and a collector that reads the pipeline's
figures, the open sessions and the health checks when Prometheus scrapes."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import generate_latest

from ..errors import DashboardError
from .figures import FigureReader

log = logging.getLogger(__name__)

PREFIX = "dsa110_dash"
#: Request latency buckets (seconds): pages and JSON answer in milliseconds, exports and
#: renders take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
                   60.0)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: The states of a health check, as a number Prometheus can alert on.
HEALTH_VALUES = {"ok": 0, "warning": 1, "critical": 2, "unknown": 3}


@dataclass(frozen=True)
class CheckFigure:
    """One health check as /metrics reports it."""
    name: str
    status: str            # ok, warning, critical, unknown
    latency_s: float | None


def check_figures(monitor) -> Callable[[], list[CheckFigure]]:  # noqa: ANN001
    """The hook for a ``status.checks.HealthMonitor``: each check's latest result."""

    def read() -> list[CheckFigure]:
        return [CheckFigure(r.name, r.status,
                            None if r.latency_ms is None else r.latency_ms / 1000.0)
                for r in monitor.results()]

    return read


class DashboardMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Histogram(
            f"{PREFIX}_request_duration_seconds",
            "Time to answer an HTTP request, by route pattern (never the raw URL), method "
            "and status code.", ["route", "method", "code"], buckets=LATENCY_BUCKETS,
            registry=self.registry)
        self.thumbnail_renders = Counter(
            f"{PREFIX}_thumbnail_renders", "Thumbnails rendered from their FITS file "
            "(cache misses, and renders the cache could not keep).", registry=self.registry)
        self.thumbnail_hits = Counter(
            f"{PREFIX}_thumbnail_cache_hits", "Thumbnails served from the disk cache, or "
            "answered 304 from the cache key.", registry=self.registry)
        self.thumbnail_placeholders = Counter(
            f"{PREFIX}_thumbnail_placeholders", "Placeholder PNGs served instead of a "
            "thumbnail (missing, unreadable or unservable file).", registry=self.registry)
        self.scrape_errors = Counter(
            f"{PREFIX}_metrics_read_errors", "Scrapes whose database figures could not be "
            "read (the figures are then absent from that scrape).", registry=self.registry)
        self._figures: FigureReader | None = None
        self._sessions: Callable[[], int | None] | None = None
        self._checks: Callable[[], Iterable[CheckFigure]] | None = None
        self.registry.register(_Collector(self))

    # ------------------------------------------------------------------ sources
    def read_figures_from(self, reader: FigureReader) -> None:
        self._figures = reader

    def count_sessions_with(self, count: Callable[[], int | None]) -> None:
        self._sessions = count

    def read_checks_from(self, checks: Callable[[], Iterable[CheckFigure]]) -> None:
        """The health checks' hook: a callable giving each check's latest result."""
        self._checks = checks

    # ------------------------------------------------------------ instruments
    def observe_request(self, route: str, method: str, code: int, seconds: float) -> None:
        # Any word can arrive as a method (answered 405): a label value per word would
        # grow Prometheus without bound.
        method = method if method in METHODS else "other"
        self.requests.labels(route=route, method=method, code=str(code)).observe(seconds)

    def thumbnail(self, outcome: str) -> None:
        """``outcome``: hit, not_modified, miss, off (rendered, not kept) or placeholder."""
        if outcome in ("hit", "not_modified"):
            self.thumbnail_hits.inc()
        elif outcome in ("miss", "off"):
            self.thumbnail_renders.inc()
        elif outcome == "placeholder":
            self.thumbnail_placeholders.inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus's text format (blocking: reads the database)."""
        return generate_latest(self.registry)


class _Collector:
    """Figures read when Prometheus scrapes (cached by the FigureReader)."""

    def __init__(self, metrics: DashboardMetrics):
        self.metrics = metrics

    def describe(self):  # noqa: ANN201 - prometheus_client's protocol
        return []  # unchecked collector: its families vary with the database

    def collect(self):  # noqa: ANN201 - prometheus_client's protocol
        yield from self._pipeline()
        yield from self._sessions()
        yield from self._health()

    def _pipeline(self):  # noqa: ANN202
        reader = self.metrics._figures
        if reader is None:
            return
        try:
            f = reader.figures()
        except DashboardError as exc:
            self.metrics.scrape_errors.inc()
            log.warning("/metrics: the database figures could not be read: %s",
                        exc.user_message)
            return
        rows = GaugeMetricFamily(
            f"{PREFIX}_rows", "Rows of the pipeline's main tables (exact for small tables, "
            "estimated at scale: see the exact label).", labels=["table", "exact"])
        for table, count in f.counts.items():
            if count.value is not None:
                rows.add_metric([table, "1" if count.exact else "0"], count.value)
        yield rows
        for name, value, doc in (
                ("images", f.counts["images"].value, "Images in the pipeline database."),
                ("sources", f.counts["sources"].value, "Sources (one row per source)."),
                ("photometry_rows", f.counts["photometry"].value,
                 "Photometry measurements."),
                ("images_last_hour", f.images_last_hour, "Images created in the last hour."),
                ("images_last_24h", f.images_last_day,
                 "Images created in the last 24 hours."),
        ):
            if value is not None:
                yield GaugeMetricFamily(f"{PREFIX}_{name}", doc, value=value)
        if f.newest_image_at is not None:
            yield GaugeMetricFamily(
                f"{PREFIX}_newest_image_age_seconds", "Seconds since the newest image was "
                "created (the pipeline has stalled when this grows).",
                value=max(0.0, f.read_at - f.newest_image_at))
        jobs = GaugeMetricFamily(f"{PREFIX}_jobs", "Jobs by status.", labels=["status"])
        for status, n in sorted(f.jobs_by_status.items()):
            jobs.add_metric([status], n)
        yield jobs
        queue = GaugeMetricFamily(f"{PREFIX}_queue_jobs",
                                  "Pending and running jobs per type.",
                                  labels=["type", "status"])
        for kind, counts in f.queue.items():
            for status, n in counts.items():
                queue.add_metric([kind, status], n)
        yield queue
        oldest = GaugeMetricFamily(
            f"{PREFIX}_queue_oldest_pending_age_seconds",
            "Age of the oldest pending job per type (absent: nothing pending).",
            labels=["type"])
        for kind, at in f.oldest_pending_at.items():
            oldest.add_metric([kind], max(0.0, f.read_at - at))
        yield oldest
        yield GaugeMetricFamily(f"{PREFIX}_figures_read_timestamp_seconds",
                                "When these database figures were read (they are reused "
                                "for DSA110_DASH_METRICS_CACHE_SECONDS).", value=f.read_at)

    def _sessions(self):  # noqa: ANN202
        count = self.metrics._sessions
        n = None if count is None else count()
        if n is not None:
            yield GaugeMetricFamily(f"{PREFIX}_sessions_open",
                                    "Page sessions open in this server process.", value=n)

    def _health(self):  # noqa: ANN202
        checks = self.metrics._checks
        if checks is None:
            return
        status = GaugeMetricFamily(
            f"{PREFIX}_health_check_status", "Each health check's latest state: "
            "0 ok, 1 warning, 2 critical, 3 unknown.", labels=["check"])
        latency = GaugeMetricFamily(f"{PREFIX}_health_check_latency_seconds",
                                    "Each health check's latest response time.",
                                    labels=["check"])
        for check in checks():
            status.add_metric([check.name], HEALTH_VALUES.get(check.status, 3))
            if check.latency_s is not None:
                latency.add_metric([check.name], check.latency_s)
        yield status
        yield latency

"""Overview figures: row counts, images per hour, data freshness.

The overview page loads on every visit, and a ``count(*)`` over 20 million photometry
rows takes seconds. So each count is the cheapest figure that is good enough, and says
what it is (``Count.exact`` and ``Count.method``):

- a table whose size estimate is at most ``exact_limit`` rows (default 200,000: the
  ms_index, images and jobs of a year) is counted exactly, grouped in SQL;
- a bigger table is estimated: on PostgreSQL from ``pg_class.reltuples`` (set by
  ANALYZE/autovacuum) scaled by the table's current size in pages, as the planner
  does; on SQLite (and on a never-analysed PostgreSQL table) from ``max(id) - min(id)
  + 1``, two B-tree probes, an upper bound because the pipeline never deletes rows;
  grouped figures of a big table are then scaled from the planner's most-common-value
  frequencies (PostgreSQL) or left out (SQLite: no per-value statistics);
- sources are counted in the sources or variability_stats table (one row per source),
  never as count(distinct) over photometry, except for a small photometry table;
- the result is cached per process for ``cache_seconds`` (thread-safe), so page loads
  and sessions within that time share one computation.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from ..science.times import mjd_to_unix

DEFAULT_EXACT_LIMIT = 200_000


@dataclass(frozen=True)
class Count:
    """One figure: ``value`` None when unknown (table missing counts as 0 rows)."""

    value: int | None
    exact: bool
    method: str


@dataclass(frozen=True)
class GroupedCount:
    """A table's total and its rows per value of one column (None key = NULL)."""

    total: Count
    by: dict[Any, int] = field(default_factory=dict)
    #: How ``by`` was obtained; its values are estimates when ``total`` is.
    by_method: str = ""


@dataclass(frozen=True)
class OverviewCounts:
    measurement_sets: GroupedCount   # by stage
    images: GroupedCount             # by type
    sources: Count
    photometry: Count
    jobs: GroupedCount               # by status
    computed_at: float               # Unix seconds
    duration_ms: float

    @property
    def all_exact(self) -> bool:
        return all(c.exact for c in (self.measurement_sets.total, self.images.total,
                                     self.sources, self.photometry, self.jobs.total))


@dataclass(frozen=True)
class Freshness:
    latest_image_created_at: float | None
    seconds_since_latest_image: float | None
    latest_ms_mid_mjd: float | None
    #: images.created_at - unix(ms_index.mid_mjd) over the last ``latency_images``
    #: images whose MS has a mid_mjd.
    latency_median_s: float | None
    latency_latest_s: float | None
    latency_images: int

    def age_at(self, now: float) -> float | None:
        """Seconds from the newest image to ``now`` (None before the first image)."""
        latest = self.latest_image_created_at
        return None if latest is None else now - latest


# ------------------------------------------------------------------------ cache
class TTLCache:
    """Values kept for a time; one computation at a time per cache (the others wait
    for it instead of all counting at once)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._lock = threading.RLock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get_or_compute(self, key: Hashable, ttl: float, compute: Callable[[], Any]) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and self.clock() - entry[0] < ttl:
                self.hits += 1
                return entry[1]
            self.misses += 1
            value = compute()
            self._entries[key] = (self.clock(), value)
            return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.hits = self.misses = 0


_shared_caches: dict[str, TTLCache] = {}
_shared_lock = threading.Lock()


def shared_caches() -> dict[str, TTLCache]:
    """This process's query caches by database (the /health page lists and clears them)."""
    with _shared_lock:
        return dict(_shared_caches)


def shared_cache(db: Database) -> TTLCache:
    """The process-wide cache of one database (keyed by its target)."""
    key = f"{db.dialect}:{db.target.display()}"
    with _shared_lock:
        return _shared_caches.setdefault(key, TTLCache())


# ------------------------------------------------------------------- repository
class StatsRepository:
    """Overview counts, image rate and freshness of one database."""

    def __init__(self, db: Database, cache_seconds: float = 30.0, *,
                 exact_limit: int = DEFAULT_EXACT_LIMIT,
                 clock: Callable[[], float] | None = None,
                 cache: TTLCache | None = None):
        self.db = db
        self.cache_seconds = cache_seconds
        self.exact_limit = exact_limit
        # An injected clock gets its own cache, so tests never share the process one.
        self.cache = cache or (TTLCache(clock) if clock else shared_cache(db))

    def clear_cache(self) -> None:
        self.cache.clear()

    # --------------------------------------------------------------- counts
    def overview_counts(self) -> OverviewCounts:
        """Cached for ``cache_seconds``; see the module docstring for the methods."""
        return self.cache.get_or_compute(("overview", self.exact_limit),
                                         self.cache_seconds, self._compute_counts)

    def _compute_counts(self) -> OverviewCounts:
        start = time.perf_counter()
        with self.db.connect() as conn:
            ms = self._grouped(conn, "ms_index", "stage")
            images = self._grouped(conn, "images", "type")
            jobs = self._grouped(conn, "jobs", "status")
            photometry = self._total(conn, "photometry")
            sources = self._sources(conn, photometry)
        return OverviewCounts(ms, images, sources, photometry, jobs, time.time(),
                              (time.perf_counter() - start) * 1000.0)

    def _estimate(self, conn: sa.Connection, name: str) -> Count | None:
        """A cheap size estimate, or None when the table has no usable statistics."""
        view = self.db.catalog[name]
        if self.db.dialect == "postgresql":
            row = conn.execute(sa.text(
                "SELECT c.reltuples, c.relpages, "
                "pg_relation_size(c.oid) / current_setting('block_size')::int "
                "FROM pg_class c WHERE c.oid = to_regclass(:t)"),
                {"t": view.actual_name if view.schema is None
                 else f"{view.schema}.{view.actual_name}"}).first()
            if row is not None and row[0] is not None and row[0] >= 0:
                tuples, pages, now_pages = float(row[0]), row[1], row[2]
                if pages and pages > 0:
                    tuples = tuples / pages * now_pages
                    return Count(round(tuples), False,
                                 "estimate: pg_class.reltuples scaled to current pages")
                return Count(round(tuples), False, "estimate: pg_class.reltuples")
        if view.has("id"):
            # Two scalar subqueries: SQLite answers a lone min() or max() with one
            # B-tree probe, but scans the table for "SELECT min(id), max(id)".
            low, high = conn.execute(sa.select(
                sa.select(sa.func.min(view["id"])).scalar_subquery(),
                sa.select(sa.func.max(view["id"])).scalar_subquery())).one()
            if low is None:
                return Count(0, True, "exact: table is empty")
            return Count(int(high) - int(low) + 1, False,
                         "estimate: max(id) - min(id) + 1 (upper bound)")
        return None

    def _total(self, conn: sa.Connection, name: str) -> Count:
        view = self.db.catalog[name]
        if not view.exists:
            return Count(0, True, f"exact: no {name} table")
        estimate = self._estimate(conn, name)
        if estimate is not None and (estimate.exact or estimate.value > self.exact_limit):
            return estimate
        value = conn.execute(sa.select(sa.func.count()).select_from(view.table)).scalar_one()
        return Count(int(value), True, "exact: count(*)")

    def _grouped(self, conn: sa.Connection, name: str, column: str) -> GroupedCount:
        view = self.db.catalog[name]
        if not view.exists:
            return GroupedCount(Count(0, True, f"exact: no {name} table"), {}, "")
        estimate = self._estimate(conn, name)
        if estimate is None or estimate.exact or estimate.value <= self.exact_limit:
            key = view[column]
            rows = conn.execute(sa.select(key, sa.func.count()).group_by(key)).all()
            by = {k: int(n) for k, n in rows}
            return GroupedCount(Count(sum(by.values()), True, "exact: count(*)"), by,
                                f"exact: count(*) group by {column}")
        by, method = self._estimated_groups(conn, view, column, estimate.value)
        return GroupedCount(estimate, by, method)

    def _estimated_groups(self, conn, view, column: str,
                          total: int) -> tuple[dict[Any, int], str]:
        """Per-value rows from the planner's statistics (PostgreSQL), else nothing."""
        if self.db.dialect != "postgresql" or not view.has(column):
            return {}, f"not computed: {view.name} is too big to group exactly"
        row = conn.execute(sa.text(
            "SELECT most_common_vals::text::text[], most_common_freqs, null_frac "
            "FROM pg_stats WHERE tablename = :t AND attname = :c "
            "AND schemaname = current_schema()"),
            {"t": view.actual_name, "c": column}).first()
        if row is None or row[0] is None:
            return {}, "not computed: no planner statistics (run ANALYZE)"
        by: dict[Any, int] = {v: round(f * total) for v, f in zip(row[0], row[1], strict=True)}
        if row[2]:
            by[None] = round(row[2] * total)
        return by, "estimate: pg_stats most-common-value frequencies x rows"

    def _sources(self, conn: sa.Connection, photometry: Count) -> Count:
        catalog = self.db.catalog
        for name in ("sources", "variability_stats"):
            if catalog.has_table(name):
                table = catalog[name].table
                n = conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                if n:
                    return Count(int(n), True, f"exact: rows of {name}")
        p = catalog["photometry"]
        if not p.exists:
            return Count(0, True, "exact: no source tables")
        if photometry.exact or (photometry.value or 0) <= self.exact_limit:
            n = conn.execute(sa.select(sa.func.count(sa.distinct(p["source_id"])))).scalar_one()
            return Count(int(n), True, "exact: count(distinct photometry.source_id)")
        if self.db.dialect == "postgresql":
            distinct = conn.execute(sa.text(
                "SELECT n_distinct FROM pg_stats WHERE tablename = :t AND attname = "
                "'source_id' AND schemaname = current_schema()"),
                {"t": p.actual_name}).scalar()
            if distinct is not None:
                # Negative n_distinct is a fraction of the rows.
                value = -distinct * photometry.value if distinct < 0 else distinct
                return Count(round(value), False,
                             "estimate: pg_stats.n_distinct of photometry.source_id")
        return Count(None, False, "unknown: no source table, photometry too big to count")

    # ------------------------------------------------------------ image rate
    def images_per_hour(self, hours: int = 24, now_unix: float | None = None) -> pd.DataFrame:
        """Images created per clock hour over the last ``hours`` hours (the last bin is
        the current, partial hour, up to ``now``), every hour present with zeros."""
        now = time.time() if now_unix is None else now_unix
        end_bin = int(np.floor(now / 3600.0)) + 1
        start = (end_bin - hours) * 3600.0
        bins = np.arange(end_bin - hours, end_bin) * 3600.0
        counts = np.zeros(hours, dtype=np.int64)
        view = self.db.catalog["images"]
        if view.exists:
            created = view["created_at"]
            offset = (created - start) / 3600.0
            # floor() exists on PostgreSQL only; on SQLite a cast truncates, which is
            # floor for the non-negative offsets selected here.
            index = (sa.func.floor(offset) if self.db.dialect == "postgresql"
                     else sa.cast(offset, sa.Integer))
            stmt = (sa.select(index.label("bin"), sa.func.count())
                    .where(created >= start, created <= now).group_by(index))
            with self.db.connect() as conn:
                for b, n in conn.execute(stmt):
                    if b is not None and 0 <= int(b) < hours:
                        counts[int(b)] += n
        return pd.DataFrame({"hour_start_unix": bins,
                             "hour_start": pd.to_datetime(bins, unit="s", utc=True),
                             "images": counts})

    # -------------------------------------------------------------- freshness
    def freshness(self, now_unix: float | None = None, latency_images: int = 50) -> Freshness:
        now = time.time() if now_unix is None else now_unix
        catalog = self.db.catalog
        img, ms = catalog["images"], catalog["ms_index"]
        latest_created = latest_mjd = None
        latencies = np.array([])
        with self.db.connect() as conn:
            if img.exists:
                latest_created = conn.execute(sa.select(sa.func.max(img["created_at"]))).scalar()
            if ms.exists:
                latest_mjd = conn.execute(sa.select(sa.func.max(ms["mid_mjd"]))).scalar()
            if img.exists and ms.exists:
                recent = (sa.select(img["created_at"], ms["mid_mjd"])
                          .select_from(img.table.join(ms.table, ms["path"] == img["ms_path"]))
                          .where(ms["mid_mjd"].is_not(None))
                          .order_by(img["created_at"].desc()).limit(latency_images))
                rows = conn.execute(recent).all()
                latencies = np.array([c - mjd_to_unix(m) for c, m in rows], dtype=float)
        return Freshness(
            latest_image_created_at=latest_created,
            seconds_since_latest_image=None if latest_created is None else now - latest_created,
            latest_ms_mid_mjd=latest_mjd,
            latency_median_s=float(np.median(latencies)) if latencies.size else None,
            latency_latest_s=float(latencies[0]) if latencies.size else None,
            latency_images=int(latencies.size))

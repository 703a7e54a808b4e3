"""StatsRepository on SQLite and PostgreSQL: counts, cache, image rate, freshness."""

from __future__ import annotations

import pytest

from dsa110_dashboard.repositories.stats import StatsRepository, TTLCache
from factories import MJD0, insert, insert_many

UNIX_MJD0 = (MJD0 - 40587.0) * 86400.0


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def small(db):
    with db.transaction() as conn:
        for k, stage in enumerate(["imaged", "imaged", "calibrated", None]):
            insert(conn, "ms_index", path=f"/ms/{k}.ms", stage=stage)
        insert_many(conn, "images", [{"path": f"/img/{k}.fits", "type": t}
                                     for k, t in enumerate(["5min"] * 3 + ["pbcor"])])
        insert_many(conn, "jobs", [{"status": s} for s in
                                   ["completed", "completed", "failed", "running", "pending"]])
        insert_many(conn, "photometry", [{"source_id": f"S{k % 3}"} for k in range(7)])
    return db


def test_counts_are_exact_on_small_data(small):
    counts = StatsRepository(small, clock=FakeClock()).overview_counts()
    assert counts.measurement_sets.total.value == 4
    assert counts.measurement_sets.by == {"imaged": 2, "calibrated": 1, None: 1}
    assert counts.images.total.value == 4 and counts.images.by == {"5min": 3, "pbcor": 1}
    assert counts.jobs.by == {"completed": 2, "failed": 1, "running": 1, "pending": 1}
    assert counts.photometry.value == 7 and counts.photometry.exact
    # No source table has rows: distinct source ids of a small photometry table.
    assert counts.sources.value == 3 and counts.sources.exact
    assert "distinct" in counts.sources.method
    assert counts.all_exact


def test_sources_come_from_the_source_tables(small):
    with small.transaction() as conn:
        for k in range(5):
            insert(conn, "variability_stats", source_id=f"V{k}")
    counts = StatsRepository(small, clock=FakeClock()).overview_counts()
    assert counts.sources.value == 5
    assert counts.sources.method == "exact: rows of variability_stats"


def test_big_tables_are_estimated_and_say_so(small):
    if small.dialect == "postgresql":
        with small.transaction() as conn:
            conn.exec_driver_sql("ANALYZE")
    counts = StatsRepository(small, clock=FakeClock(), exact_limit=0).overview_counts()
    phot = counts.photometry
    assert not phot.exact and phot.method.startswith("estimate")
    assert phot.value == 7  # contiguous ids / fresh statistics: the estimate is right
    if small.dialect == "postgresql":
        assert "reltuples" in phot.method
        # Per-value figures from the planner's statistics, flagged as estimates.
        assert counts.images.by_method.startswith("estimate")
        # (A value seen once in a tiny table is not a "most common value".)
        assert counts.images.by["5min"] == 3
    else:
        assert "max(id)" in phot.method
    assert not counts.images.total.exact and not counts.all_exact
    # Without a source table, a big photometry table is not count(distinct)-ed.
    assert counts.sources.method != "exact: count(distinct photometry.source_id)"


def test_missing_tables_count_as_empty(db):
    with db.transaction() as conn:
        conn.exec_driver_sql("DROP TABLE jobs")
    db.refresh_catalog()
    counts = StatsRepository(db, clock=FakeClock()).overview_counts()
    assert counts.jobs.total.value == 0 and counts.jobs.by == {}
    assert counts.photometry.value == 0 and counts.photometry.exact


def test_ttl_cache_reuses_then_refreshes(small):
    clock = FakeClock()
    repo = StatsRepository(small, cache_seconds=0.05, clock=clock)
    first = repo.overview_counts()
    with small.transaction() as conn:
        insert(conn, "images", path="/img/new.fits")
    clock.now += 0.04
    assert repo.overview_counts() is first  # within the TTL: the cached value
    clock.now += 0.02
    fresh = repo.overview_counts()
    assert fresh is not first and fresh.images.total.value == 5
    repo.clear_cache()
    assert repo.overview_counts() is not fresh


def test_ttl_cache_computes_once_per_key():
    clock = FakeClock()
    cache = TTLCache(clock)
    calls = []
    for _ in range(3):
        assert cache.get_or_compute("k", 10.0, lambda: calls.append(1) or len(calls)) == 1
    clock.now += 10.0
    assert cache.get_or_compute("k", 10.0, lambda: calls.append(1) or len(calls)) == 2


def test_images_per_hour_fills_empty_hours_with_zeros(db):
    now = UNIX_MJD0 + 10 * 3600 + 1800  # half past the 10th hour
    with db.transaction() as conn:
        for k, t in enumerate([now - 10, now - 1700,           # current hour: 2
                               now - 3600 * 2,                 # two hours ago: 1
                               now - 3600 * 3 - 60,            # three hours ago: 1
                               now - 3600 * 8,                 # outside 4 hours
                               now + 60]):                     # in the future
            insert(conn, "images", path=f"/img/h{k}.fits", created_at=t)
    frame = StatsRepository(db).images_per_hour(hours=4, now_unix=now)
    assert list(frame["images"]) == [1, 1, 0, 2]
    assert list(frame["hour_start_unix"]) == [UNIX_MJD0 + h * 3600 for h in (7, 8, 9, 10)]
    assert str(frame["hour_start"].dt.tz) == "UTC"


def test_freshness_with_null_mjd(db):
    now = UNIX_MJD0 + 86400
    with db.transaction() as conn:
        insert(conn, "ms_index", path="/ms/a.ms", mid_mjd=MJD0 + 0.5)
        insert(conn, "ms_index", path="/ms/b.ms", mid_mjd=None)
        insert(conn, "images", path="/img/a.fits", ms_path="/ms/a.ms",
               created_at=UNIX_MJD0 + 0.5 * 86400 + 900)
        insert(conn, "images", path="/img/b.fits", ms_path="/ms/b.ms",
               created_at=UNIX_MJD0 + 0.6 * 86400)
    f = StatsRepository(db).freshness(now_unix=now)
    assert f.latest_image_created_at == UNIX_MJD0 + 0.6 * 86400
    assert f.seconds_since_latest_image == pytest.approx(0.4 * 86400)
    assert f.latest_ms_mid_mjd == MJD0 + 0.5
    # The newest image's MS has no mid_mjd: latency comes from the others only.
    assert f.latency_images == 1
    assert f.latency_latest_s == pytest.approx(900, abs=1e-3)
    assert f.latency_median_s == pytest.approx(900, abs=1e-3)


def test_freshness_of_an_empty_database(db):
    f = StatsRepository(db).freshness(now_unix=0.0)
    assert f.latest_image_created_at is None and f.seconds_since_latest_image is None
    assert f.latency_median_s is None and f.latency_images == 0

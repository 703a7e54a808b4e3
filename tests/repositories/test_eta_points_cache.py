"""The eta-V points are read once per process while the statistics are unchanged, and
read again as soon as the pipeline or our batch writes (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsa110_dashboard.db.dashboard_schema import dash_variability
from dsa110_dashboard.repositories.variability import VariabilityRepository
from factories import UNIX0, insert


@pytest.fixture
def stats_db(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id="A", eta_metric=5.0, n_obs=10,
               mean_flux_mjy=20.0, std_flux_mjy=6.0, updated_at=UNIX0)
        insert(conn, "variability_stats", source_id="B", eta_metric=1.0, n_obs=10,
               mean_flux_mjy=50.0, std_flux_mjy=1.0, updated_at=UNIX0)
    return db


def eta_of(db, source_id="A"):
    pts = VariabilityRepository(db).eta_points().set_index("source_id")
    return pts.loc[source_id, "eta"] if source_id in pts.index else None


def pipeline_writes(db, **values):
    vs = sa.table("variability_stats", *(sa.column(c) for c in ("source_id", *values)))
    with db.transaction() as conn:
        conn.execute(vs.update().where(vs.c.source_id == "A").values(**values))


def test_a_rewrite_by_the_pipeline_is_read_at_once(stats_db):
    assert eta_of(stats_db) == 5.0
    pipeline_writes(stats_db, eta_metric=7.0, updated_at=UNIX0 + 60)
    assert eta_of(stats_db) == 7.0


def test_unchanged_statistics_come_from_the_cache(stats_db):
    """The cache's rule, shown: a value changed without a newer ``updated_at`` (which
    the pipeline never does) is not seen until the next real write."""
    assert eta_of(stats_db) == 5.0
    pipeline_writes(stats_db, eta_metric=8.0)
    assert eta_of(stats_db) == 5.0
    pipeline_writes(stats_db, updated_at=UNIX0 + 1)
    assert eta_of(stats_db) == 8.0


def test_inserted_and_deleted_sources_are_read_at_once(stats_db):
    assert eta_of(stats_db, "C") is None
    with stats_db.transaction() as conn:
        insert(conn, "variability_stats", source_id="C", eta_metric=3.0, n_obs=10,
               mean_flux_mjy=10.0, std_flux_mjy=1.0, updated_at=UNIX0)
    assert eta_of(stats_db, "C") == 3.0
    with stats_db.transaction() as conn:
        conn.execute(sa.text("DELETE FROM variability_stats WHERE source_id = 'C'"))
    assert eta_of(stats_db, "C") is None


def test_our_batch_writing_v_is_read_at_once(stats_db):
    def v_of_a():
        return VariabilityRepository(stats_db).eta_points() \
            .set_index("source_id").loc["A", "v"]

    assert v_of_a() == pytest.approx(0.3)  # std/mean without a row of ours
    with stats_db.transaction() as conn:
        conn.execute(dash_variability.insert().values(source_id="A", v=0.5,
                                                      computed_at=UNIX0))
    assert v_of_a() == pytest.approx(0.5)
    with stats_db.transaction() as conn:
        conn.execute(dash_variability.update().values(v=0.6, computed_at=UNIX0 + 60))
    assert v_of_a() == pytest.approx(0.6)


def test_the_ese_status_is_never_cached(stats_db):
    def status():
        return VariabilityRepository(stats_db).eta_points() \
            .set_index("source_id").loc["A", "ese_status"]

    assert status() is None
    with stats_db.transaction() as conn:
        flag = insert(conn, "ese_candidates", source_id="A", status="active",
                      flagged_at=UNIX0)
    assert status() == "active"
    with stats_db.transaction() as conn:
        conn.execute(sa.text("UPDATE ese_candidates SET status = 'dismissed' WHERE id = :i"),
                     {"i": flag["id"]})
    assert status() == "dismissed"


def test_callers_cannot_change_the_cached_frame(stats_db):
    first = VariabilityRepository(stats_db).eta_points()
    first.loc[:, "eta"] = -1.0
    assert eta_of(stats_db) == 5.0

"""The eta-V points are read once per process while the statistics are unchanged, and
read again as soon as the pipeline or our batch writes (SQLite and PostgreSQL)."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from dbsupport import settings_for

from dsa110_dashboard.db.dashboard_schema import dash_variability
from dsa110_dashboard.db.engine import Database
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
    """The cache's rule, shown: a value changed without a change of its row's
    ``updated_at`` (no writer of ours or the pipeline's does that) is not seen until the
    next write."""
    assert eta_of(stats_db) == 5.0
    pipeline_writes(stats_db, eta_metric=8.0)
    assert eta_of(stats_db) == 5.0
    pipeline_writes(stats_db, updated_at=UNIX0 + 1)
    assert eta_of(stats_db) == 8.0


def test_rewrites_stamped_older_than_the_newest_row_are_read_at_once(stats_db):
    """Our batches commit chunks under one stamp and items as they finish: the newest
    stamp alone would not move."""
    vs = sa.table("variability_stats", sa.column("source_id"), sa.column("eta_metric"),
                  sa.column("updated_at"))

    def write(source_id, eta, at):
        with stats_db.transaction() as conn:
            conn.execute(vs.update().where(vs.c.source_id == source_id)
                         .values(eta_metric=eta, updated_at=at))

    write("B", 2.0, UNIX0 + 100)
    assert eta_of(stats_db, "B") == 2.0
    write("A", 6.0, UNIX0 + 50)  # older than B's
    assert eta_of(stats_db, "A") == 6.0
    write("A", 7.0, UNIX0 + 200)  # one run's stamp, two commits
    assert eta_of(stats_db, "A") == 7.0
    write("B", 3.0, UNIX0 + 200)
    assert eta_of(stats_db, "B") == 3.0


def test_each_minimum_of_epochs_has_its_own_entry(stats_db):
    with stats_db.transaction() as conn:
        insert(conn, "variability_stats", source_id="FEW", eta_metric=2.0, n_obs=3,
               mean_flux_mjy=10.0, std_flux_mjy=1.0, updated_at=UNIX0)
    repo = VariabilityRepository(stats_db)
    assert "FEW" in set(repo.eta_points(min_n_obs=2)["source_id"])
    assert "FEW" not in set(repo.eta_points(min_n_obs=5)["source_id"])
    assert "FEW" in set(repo.eta_points(min_n_obs=2)["source_id"])


PIPELINE_ONLY = """
CREATE TABLE variability_stats (source_id TEXT PRIMARY KEY, ra_deg REAL NOT NULL,
    dec_deg REAL NOT NULL, n_obs INTEGER, mean_flux_mjy REAL, std_flux_mjy REAL,
    eta_metric REAL{stamp});
INSERT INTO variability_stats VALUES ('A', 1.0, 2.0, 10, 20.0, 6.0, 5.0{value});
"""


@pytest.mark.parametrize("stamped", [True, False])
def test_a_database_as_found_without_our_table(tmp_path, stamped):
    """A pipeline's file with no dash_variability: cached on its own stamps; without
    an ``updated_at`` column nothing tells a rewrite, so every read is fresh."""
    path = tmp_path / "found.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(PIPELINE_ONLY.format(
            stamp=", updated_at REAL NOT NULL" if stamped else "",
            value=f", {UNIX0}" if stamped else ""))
    db = Database(settings_for(str(path)))
    try:
        assert eta_of(db) == 5.0
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE variability_stats SET eta_metric = 8.0")
        assert eta_of(db) == (5.0 if stamped else 8.0)
        if stamped:
            with sqlite3.connect(path) as conn:
                conn.execute(f"UPDATE variability_stats SET updated_at = {UNIX0 + 1}")
            assert eta_of(db) == 8.0
    finally:
        db.dispose()


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

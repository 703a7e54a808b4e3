"""The /ms funnel, stuck detection and the MS table's derived columns, on SQLite and
PostgreSQL (decision 0051)."""

from __future__ import annotations

import shutil

from dbsupport import settings_for
from factories import MJD0, UNIX0, insert

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.measurement_sets import (
    MeasurementSetFilter,
    MeasurementSetRepository,
)
from dsa110_dashboard.repositories.ms_funnel import MeasurementSetFunnel, stage_order
from dsa110_dashboard.repositories.paging import PageRequest
from dsa110_dashboard.viewmodels.ms_history import funnel_history

HOUR = 3600.0
NOW = UNIX0 + 48 * HOUR
CUTOFF = NOW - 6 * HOUR


def ms(n: int) -> str:
    return f"/ms/2025-10-17T00:{n:02d}:00.ms"


def seed(db, *, calibration_applied_table: bool = True) -> None:
    with db.transaction() as conn:
        # Settled long ago: never stuck by time.
        insert(conn, "ms_index", path=ms(1), mid_mjd=MJD0 + 0.001, stage="photometry_complete",
               status="completed", stage_updated_at=UNIX0, cal_applied=1)
        # Waiting in 'converted' for 40 h: stuck.
        insert(conn, "ms_index", path=ms(2), mid_mjd=MJD0 + 0.002, stage="converted",
               status="pending", stage_updated_at=NOW - 40 * HOUR, cal_applied=0)
        # Waiting, but only for one hour: not stuck (the threshold is exclusive of it).
        insert(conn, "ms_index", path=ms(3), mid_mjd=MJD0 + 0.003, stage="converted",
               status="pending", stage_updated_at=NOW - HOUR, cal_applied=0)
        # Failed just now: stuck at once, with the reason the DB has.
        insert(conn, "ms_index", path=ms(4), mid_mjd=MJD0 + 0.004, stage="calibrated",
               status="failed", stage_updated_at=NOW - 60, cal_applied=0)
        # No stage change recorded and no status: created_at counts, NULL stage waits.
        insert(conn, "ms_index", path=ms(5), mid_mjd=MJD0 + 0.005, stage=None, status=None,
               stage_updated_at=None, created_at=NOW - 10 * HOUR)
        # The last stage is never stuck by time.
        insert(conn, "ms_index", path=ms(6), mid_mjd=MJD0 + 0.006, stage="cataloged",
               status="running", stage_updated_at=UNIX0)
        insert(conn, "images", path="/img/1.fits", ms_path=ms(1))
        insert(conn, "images", path="/img/1b.fits", ms_path=ms(1))
        if calibration_applied_table:
            insert(conn, "calibration_applied", ms_path=ms(4), caltable_path="/cal/a.K",
                   applied_at=NOW - 120, success=0, error_message="solver diverged")
            insert(conn, "calibration_applied", ms_path=ms(3), caltable_path="/cal/a.K",
                   applied_at=NOW - 100, success=1)
        else:
            conn.exec_driver_sql("DROP TABLE calibration_applied")
    db.refresh_catalog()


def test_funnel_counts_per_stage_and_status_with_stuck(db):
    seed(db)
    counts = MeasurementSetFunnel(db).counts(CUTOFF)
    got = [(c.stage, c.status, c.count, c.stuck) for c in counts]
    assert got == [("converted", "pending", 2, 1), ("calibrated", "failed", 1, 1),
                   ("photometry_complete", "completed", 1, 0), ("cataloged", "running", 1, 0),
                   (None, None, 1, 1)]


def test_stuck_list_oldest_first_with_reasons(db):
    seed(db)
    stuck = MeasurementSetFunnel(db).stuck(CUTOFF)
    assert [s.path for s in stuck] == [ms(2), ms(5), ms(4)]
    reasons = {s.path: s.reason for s in stuck}
    assert reasons[ms(4)] == "calibration failed: solver diverged"
    assert reasons[ms(2)] is None
    assert stuck[1].since == NOW - 10 * HOUR


def test_batch_item_error_is_a_reason(db):
    seed(db)
    with db.transaction() as conn:
        batch = insert(conn, "batch_jobs", type="rerun", created_at=NOW, status="failed",
                       total_items=1)
        insert(conn, "batch_job_items", batch_id=batch["id"], ms_path=ms(2), status="failed",
               error="casa exited 1", completed_at=NOW - 5)
    stuck = {s.path: s.reason for s in MeasurementSetFunnel(db).stuck(CUTOFF)}
    assert stuck[ms(2)] == "casa exited 1"


def test_a_failed_job_log_line_is_a_reason_and_the_newest_wins(db):
    seed(db)
    with db.transaction() as conn:
        insert(conn, "jobs", type="imaging", status="failed", ms_path=ms(2),
               created_at=NOW - 50, finished_at=NOW - 40,
               logs="starting\nwsclean exited with status 137\n\n")
        insert(conn, "jobs", type="conversion", status="failed", ms_path=ms(5),
               created_at=NOW - 50, finished_at=NOW - 40, logs=None)
        # Older than the failed calibration (NOW - 120 is older; this is older still).
        insert(conn, "jobs", type="calibration", status="failed", ms_path=ms(4),
               created_at=NOW - 900, finished_at=NOW - 800, logs="x" * 400)
    stuck = {s.path: s.reason for s in MeasurementSetFunnel(db).stuck(CUTOFF)}
    assert stuck[ms(2)].startswith("imaging job ")
    assert stuck[ms(2)].endswith(" failed: wsclean exited with status 137")
    assert stuck[ms(5)].startswith("conversion job") and stuck[ms(5)].endswith("failed")
    assert stuck[ms(4)] == "calibration failed: solver diverged"


def test_table_has_calibration_and_image_count_and_filters(db):
    seed(db)
    repo = MeasurementSetRepository(db)
    page = repo.page(MeasurementSetFilter(), )
    rows = {r["path"]: r for r in page.rows.to_dict("records")}
    assert rows[ms(1)]["calibration_applied"] is True  # the ms_index flag
    assert rows[ms(3)]["calibration_applied"] is True  # a successful calibration_applied row
    assert rows[ms(4)]["calibration_applied"] is False  # only a failed one
    assert rows[ms(1)]["n_images"] == 2 and rows[ms(2)]["n_images"] == 0
    applied = repo.page(MeasurementSetFilter(calibration_applied=True))
    assert sorted(applied.rows["path"]) == [ms(1), ms(3)] and applied.total == 2
    stuck = repo.page(MeasurementSetFilter(stuck_cutoff=CUTOFF))
    assert sorted(stuck.rows["path"]) == [ms(2), ms(4), ms(5)]
    both = repo.page(MeasurementSetFilter(stages=("converted",), stuck_cutoff=CUTOFF))
    assert list(both.rows["path"]) == [ms(2)]


def test_a_later_page_keeps_the_sort_and_its_rows_derived_columns(db):
    """The page's paths are read first, then their rows: order, offset and total hold."""
    seed(db)
    repo = MeasurementSetRepository(db)
    page = repo.page(MeasurementSetFilter(), PageRequest(offset=1, limit=2, sort="mid_mjd"),
                     stuck_cutoff=CUTOFF)
    assert list(page.rows["path"]) == [ms(5), ms(4)] and page.total == 6
    assert list(page.rows["stuck"]) == [True, True]
    assert list(page.rows["n_images"]) == [0, 0]
    ascending = repo.page(MeasurementSetFilter(), PageRequest(offset=2, limit=2,
                                                              sort="mid_mjd", descending=False))
    assert list(ascending.rows["path"]) == [ms(3), ms(4)]
    assert list(ascending.rows["calibration_applied"]) == [True, False]
    last = repo.page(MeasurementSetFilter(), PageRequest(offset=4, limit=5, sort="mid_mjd",
                                                         descending=False))
    assert list(last.rows["path"]) == [ms(5), ms(6)]


def test_the_funnel_counts_read_only_their_index_on_sqlite(tmp_path, sqlite_template):
    """SQLite's plan (PostgreSQL chooses by its statistics): the covering index in group
    order, no table row and no temporary B-tree."""
    path = tmp_path / "pipeline.sqlite3"
    shutil.copy(sqlite_template, path)
    db = Database(settings_for(str(path)))
    try:
        stmt = MeasurementSetFunnel(db).counts_statement(CUTOFF).compile(
            dialect=db.engine.dialect, compile_kwargs={"literal_binds": True})
        with db.connect() as conn:
            plan = " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {stmt}"))
    finally:
        db.dispose()
    assert "COVERING INDEX dash_idx_ms_index_funnel" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_without_calibration_applied_the_flag_decides(db):
    seed(db, calibration_applied_table=False)
    repo = MeasurementSetRepository(db)
    rows = {r["path"]: r for r in repo.page().rows.to_dict("records")}
    assert rows[ms(1)]["calibration_applied"] is True
    assert rows[ms(3)]["calibration_applied"] is False
    stuck = MeasurementSetFunnel(db).stuck(CUTOFF)
    assert {s.path: s.reason for s in stuck}[ms(4)] is None


def test_neighbours_and_subbands(db):
    seed(db)
    repo = MeasurementSetRepository(db)
    assert repo.neighbours(ms(1)) == (None, ms(2))
    assert repo.neighbours(ms(3)) == (ms(2), ms(4))
    assert repo.neighbours("/not/registered.ms") == (None, None)
    with db.transaction() as conn:
        conn.exec_driver_sql("UPDATE ms_index SET group_id = '2025-10-17T00:01:00'")
        for sb in (0, 1, 15):
            insert(conn, "hdf5_files", path=f"/h/{sb}.hdf5", filename=f"{sb}.hdf5",
                   group_id="2025-10-17T00:01:00", subband_code=f"sb{sb:02d}",
                   indexed_at=NOW)
    assert repo.subbands(ms(1)) == ["sb00", "sb01", "sb15"]
    assert repo.subbands("/not/registered.ms") is None


def test_stage_order_puts_unknown_then_null_last():
    assert sorted([None, "weird", "imaged", "discovered"], key=stage_order) == [
        "discovered", "imaged", "weird", None]


def test_empty_database(db):
    assert MeasurementSetFunnel(db).counts(CUTOFF) == []
    assert MeasurementSetFunnel(db).stuck(CUTOFF) == []
    assert MeasurementSetRepository(db).page(
        MeasurementSetFilter(stuck_cutoff=CUTOFF, calibration_applied=False)).total == 0


def test_funnel_over_time_per_hour_and_per_night(db):
    with db.transaction() as conn:
        for n, (hours, stage) in enumerate([(0.2, "imaged"), (0.5, "imaged"),
                                            (1.5, "converted"), (30.0, "imaged"),
                                            (1.7, None)]):
            insert(conn, "ms_index", path=ms(n), mid_mjd=MJD0 + hours / 24, stage=stage)
    funnel = MeasurementSetFunnel(db)
    now = MJD0 + 2.0 / 24 + 0.001
    hourly = funnel_history(funnel, "24h", now).counts
    got = [(round((b - MJD0) * 24), s, c) for b, s, c in hourly.itertuples(index=False)]
    assert got == [(0, "imaged", 2), (1, "converted", 1), (1, "(no stage)", 1)]
    nightly = funnel_history(funnel, "7n", MJD0 + 1.5).counts
    assert [(round(b - MJD0), s, c) for b, s, c in nightly.itertuples(index=False)] == [
        (0, "converted", 1), (0, "imaged", 2), (0, "(no stage)", 1), (1, "imaged", 1)]
    # A database that stopped long ago: the window ends at its newest observation.
    stopped = funnel_history(funnel, "24h", MJD0 + 100)
    assert stopped.end_mjd == MJD0 + 30.0 / 24 and list(stopped.counts["count"]) == [1]

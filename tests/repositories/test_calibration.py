"""CalibrationRepository on SQLite and PostgreSQL, and on the older two-file layout."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from factories import MJD0, UNIX0, insert

from dsa110_dashboard.db import schema
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.repositories.calibration import (
    CalibrationRepository,
    CalTableFilter,
)
from dsa110_dashboard.repositories.paging import PageRequest
from dsa110_dashboard.settings import Settings


@pytest.fixture
def tables(db):
    with db.transaction() as conn:
        insert(conn, "caltables", set_name="day1", path="/cal/d1.bp", table_type="BP",
               order_index=30, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1,
               solver_params='{"solint": "inf"}', quality_metrics='{"snr_mean": 40}')
        insert(conn, "caltables", set_name="day1", path="/cal/d1.k", table_type="K",
               order_index=10, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1,
               quality_metrics="garbage")
        insert(conn, "caltables", set_name="open", path="/cal/open.g", table_type="G",
               order_index=40, valid_start_mjd=None, valid_end_mjd=None)
        insert(conn, "caltables", set_name="day1", path="/cal/d1.ga", table_type="GA",
               order_index=40, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1,
               status="retired")
        insert(conn, "caltables", set_name="later", path="/cal/l.bp", table_type="BP",
               order_index=30, valid_start_mjd=MJD0 + 1, valid_end_mjd=MJD0 + 2)


@pytest.mark.parametrize("mjd, expected", [
    (MJD0 - 0.001, ["/cal/open.g"]),
    (MJD0, ["/cal/d1.k", "/cal/d1.bp", "/cal/open.g"]),  # start edge included
    (MJD0 + 0.5, ["/cal/d1.k", "/cal/d1.bp", "/cal/open.g"]),
    (MJD0 + 1, ["/cal/d1.k", "/cal/d1.bp", "/cal/l.bp", "/cal/open.g"]),  # both edges
    (MJD0 + 1.5, ["/cal/l.bp", "/cal/open.g"]),
    (MJD0 + 2.001, ["/cal/open.g"]),
])
def test_active_for_mjd_window_edges(db, tables, mjd, expected):
    found = CalibrationRepository(db).active_for_mjd(mjd)
    assert [t.path for t in found] == expected
    assert [t.order_index for t in found] == sorted(t.order_index for t in found)


def test_records_parse_json_or_none(db, tables):
    found = {t.path: t for t in CalibrationRepository(db).active_for_mjd(MJD0 + 0.5)}
    assert found["/cal/d1.bp"].solver_params == {"solint": "inf"}
    assert found["/cal/d1.bp"].quality_metrics == {"snr_mean": 40}
    assert found["/cal/d1.k"].quality_metrics is None
    assert found["/cal/open.g"].valid_start_mjd is None


@pytest.mark.parametrize("flt, expected", [
    (CalTableFilter(set_name="day1"), {"/cal/d1.bp", "/cal/d1.k", "/cal/d1.ga"}),
    (CalTableFilter(table_types=("BP",)), {"/cal/d1.bp", "/cal/l.bp"}),
    (CalTableFilter(statuses=("retired",)), {"/cal/d1.ga"}),
    (CalTableFilter(valid_at_mjd=MJD0 + 1.5), {"/cal/l.bp", "/cal/open.g"}),
])
def test_page_filters(db, tables, flt, expected):
    page = CalibrationRepository(db).page(flt)
    assert set(page.rows["path"]) == expected and page.total == len(expected)


def test_page_sort(db, tables):
    repo = CalibrationRepository(db)
    page = repo.page(None, PageRequest(sort="valid_start_mjd", descending=False))
    assert list(page.rows["path"])[-1] == "/cal/open.g"  # NULL start last
    with pytest.raises(InvalidInputError):
        repo.page(None, PageRequest(sort="1; DROP TABLE caltables"))


def test_sets(db, tables):
    sets = {s.set_name: s for s in CalibrationRepository(db).sets(now_mjd=MJD0 + 1.5)}
    assert sets["day1"].table_types == ("K", "BP", "GA")
    assert sets["day1"].status == "mixed" and set(sets["day1"].statuses) == {
        "active", "retired"}
    assert sets["day1"].expired and not sets["later"].expired
    assert sets["open"].valid_start_mjd is None and sets["open"].valid_end_mjd is None
    assert not sets["open"].expired and sets["open"].status == "active"
    assert sets["later"].valid_start_mjd == MJD0 + 1


def test_applied_and_qa_for_ms(db):
    ms_path = "/ms/2025-10-17T02:00:00.ms"
    spw = [{"spw_id": 0, "fraction_flagged": 0.1, "is_problematic": False},
           {"spw_id": 3, "fraction_flagged": 0.9, "is_problematic": True},
           {"spw_id": 5, "fraction_flagged": 0.85}]
    with db.transaction() as conn:
        insert(conn, "calibration_applied", ms_path=ms_path, caltable_path="/cal/b",
               applied_at=UNIX0 + 2, success=0, error_message="boom", quality=None)
        insert(conn, "calibration_applied", ms_path=ms_path, caltable_path="/cal/a",
               applied_at=UNIX0 + 1)
        insert(conn, "calibration_qa", ms_path=ms_path, per_spw_stats=json.dumps(spw),
               k_metrics='{"flag_fraction": 0.02}', timestamp=UNIX0)
        insert(conn, "calibration_qa", ms_path=ms_path, per_spw_stats=None,
               flags_total=None, timestamp=UNIX0 + 5)
    repo = CalibrationRepository(db)
    applied = repo.applied_to(ms_path)
    assert [a.caltable_path for a in applied] == ["/cal/a", "/cal/b"]
    assert applied[1].success is False and applied[1].quality is None
    qa = repo.qa_for_ms(ms_path)
    assert qa[0].per_spw_stats is None and qa[0].problematic_spws == ()
    assert qa[0].flags_total is None
    assert qa[1].problematic_spws == (3, 5)
    assert qa[1].k_metrics == {"flag_fraction": 0.02}


def test_older_two_file_layout(tmp_path):
    """products.sqlite3 + cal_registry.sqlite3 (attached): the same queries work."""
    products = tmp_path / "products.sqlite3"
    registry = tmp_path / "cal_registry.sqlite3"
    product_tables = [t for name, t in schema.metadata.tables.items()
                      if name not in schema.CAL_REGISTRY_TABLES]
    engine = sa.create_engine(f"sqlite:///{products}")
    schema.metadata.create_all(engine, tables=product_tables)
    engine.dispose()
    engine = sa.create_engine(f"sqlite:///{registry}")
    schema.metadata.create_all(engine, tables=[schema.caltables])
    with engine.begin() as conn:
        insert(conn, "caltables", set_name="s", path="/cal/s.k", table_type="K",
               order_index=10, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1)
        insert(conn, "caltables", set_name="s", path="/cal/s.bp", table_type="BP",
               order_index=30, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1)
    engine.dispose()
    settings = Settings.load(environ={"PIPELINE_PRODUCTS_DB": str(products),
                                      "PIPELINE_CAL_REGISTRY_DB": str(registry)})
    db = Database(settings)
    try:
        assert db.catalog["caltables"].schema == "cal_registry"
        repo = CalibrationRepository(db)
        assert [t.path for t in repo.active_for_mjd(MJD0 + 0.5)] == ["/cal/s.k", "/cal/s.bp"]
        assert repo.active_for_mjd(MJD0 + 3) == []
        assert repo.page(CalTableFilter(set_name="s")).total == 2
        assert repo.applied_to("/ms/x.ms") == []
    finally:
        db.dispose()

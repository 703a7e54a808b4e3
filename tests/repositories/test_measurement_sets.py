"""MeasurementSetRepository on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from factories import MJD0, insert

from dsa110_dashboard.errors import InvalidInputError, NotFoundError
from dsa110_dashboard.repositories.measurement_sets import (
    MeasurementSetFilter,
    MeasurementSetRepository,
)
from dsa110_dashboard.repositories.paging import PageRequest
from dsa110_dashboard.repositories.records import run_id_for
from dsa110_dashboard.science.qa import coarse_stage_grade


@pytest.mark.parametrize("path, run_id", [
    ("/data/ms/2024-01-15T12:30:00.ms", "job-2024-01-15-123000"),
    ("2025-10-17T14:40:09.ms", "job-2025-10-17-144009"),
    ("/data/ms/calibrator_0834.ms", "job-calibrator_0834"),
    ("/data/ms/2024-01-15T12:30.ms", "job-2024-01-15T12:30"),
    (None, None),
])
def test_run_id(path, run_id):
    assert run_id_for(path) == run_id


@pytest.mark.parametrize("stage, grade", [
    ("imaged", "good"), ("mosaicked", "good"), ("cataloged", "good"),
    ("calibrated", "warn"), ("converted", "fail"), (None, "fail"), ("weird", "fail")])
def test_coarse_stage_grade(stage, grade):
    assert coarse_stage_grade(stage) == grade


@pytest.fixture
def sample(db):
    with db.transaction() as conn:
        insert(conn, "ms_index", path="/ms/2025-10-17T00:00:00.ms", mid_mjd=MJD0,
               stage="imaged", status="completed", group_id="g1")
        insert(conn, "ms_index", path="/ms/2025-10-17T00:05:00.ms", mid_mjd=MJD0 + 0.01,
               stage="calibrated", status="skipped_no_caltables", group_id="g1")
        insert(conn, "ms_index", path="/ms/odd_50%.ms", mid_mjd=None, stage=None,
               status=None, field_name=None, ra_deg=None, dec_deg=None)
        insert(conn, "ms_index", path="/ms/2025-10-17T00:10:00.ms", mid_mjd=MJD0 + 0.02,
               stage="new-stage", status="completed")


def paths(page) -> list[str]:
    return list(page.rows["path"])


def test_get_record_with_derived_fields(db, sample):
    repo = MeasurementSetRepository(db)
    rec = repo.get("/ms/2025-10-17T00:05:00.ms")
    assert rec.run_id == "job-2025-10-17-000500"
    assert rec.coarse_grade == "warn" and rec.status == "skipped_no_caltables"
    bare = repo.get("/ms/odd_50%.ms")
    assert bare.mid_mjd is None and bare.ra_deg is None and bare.stage is None
    assert bare.coarse_grade == "fail"
    with pytest.raises(NotFoundError):
        repo.get("/nope.ms")


@pytest.mark.parametrize("flt, expected", [
    (MeasurementSetFilter(stages=("imaged", "new-stage")),
     ["/ms/2025-10-17T00:10:00.ms", "/ms/2025-10-17T00:00:00.ms"]),
    (MeasurementSetFilter(statuses=("skipped_no_caltables",)),
     ["/ms/2025-10-17T00:05:00.ms"]),
    (MeasurementSetFilter(mjd_min=MJD0 + 0.005, mjd_max=MJD0 + 0.015),
     ["/ms/2025-10-17T00:05:00.ms"]),
    (MeasurementSetFilter(path_contains="50%"), ["/ms/odd_50%.ms"]),
    (MeasurementSetFilter(path_contains="_"), ["/ms/odd_50%.ms"]),
    (MeasurementSetFilter(group_id="g1"),
     ["/ms/2025-10-17T00:05:00.ms", "/ms/2025-10-17T00:00:00.ms"]),
])
def test_filters(db, sample, flt, expected):
    page = MeasurementSetRepository(db).page(flt)
    assert paths(page) == expected and page.total == len(expected)


def test_default_sort_mid_mjd_desc_nulls_last_and_derived_columns(db, sample):
    page = MeasurementSetRepository(db).page()
    assert paths(page)[-1] == "/ms/odd_50%.ms"
    assert paths(page)[0] == "/ms/2025-10-17T00:10:00.ms"
    assert list(page.rows["coarse_grade"]) == ["fail", "warn", "good", "fail"]
    assert page.rows["run_id"].iloc[0] == "job-2025-10-17-001000"
    asc = MeasurementSetRepository(db).page(None, PageRequest(sort="mid_mjd",
                                                              descending=False))
    assert paths(asc)[-1] == "/ms/odd_50%.ms"


def test_invalid_sort(db, sample):
    with pytest.raises(InvalidInputError) as info:
        MeasurementSetRepository(db).page(None, PageRequest(sort="path desc; --"))
    assert info.value.parameter == "sort"


def test_counts_pass_unknown_vocabulary_and_null(db, sample):
    repo = MeasurementSetRepository(db)
    assert repo.counts_by_stage() == {"imaged": 1, "calibrated": 1, None: 1,
                                      "new-stage": 1}
    assert repo.counts_by_status() == {"completed": 2, "skipped_no_caltables": 1, None: 1}

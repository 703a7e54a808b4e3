"""CalibrationRegistry: states, bad rows flagged, and the apply-list's warnings, on SQLite
and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from factories import MJD0, UNIX0, insert

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.files import DataRoots
from dsa110_dashboard.repositories.cal_registry import CalibrationRegistry, RegistryFilter
from dsa110_dashboard.science.qa import grade_calibration_flagged as grade_flagged_fraction
from dsa110_dashboard.repositories.paging import PageRequest
from dsa110_dashboard.science.times import unix_to_mjd

NOW = MJD0 + 1.5


@pytest.fixture
def cal_dir(tmp_path):
    root = tmp_path / "cal"
    root.mkdir()
    for name in ("k1", "bp1", "bp2", "g2"):
        (root / name).mkdir()  # CASA tables are directories
    return root


@pytest.fixture
def registry(db, cal_dir, tmp_path):
    c = str(cal_dir)
    with db.transaction() as conn:
        # day1: expired by NOW (window ended at MJD0 + 1).
        insert(conn, "caltables", set_name="day1", path=f"{c}/k1", table_type="K",
               order_index=10, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1,
               cal_field="0834+555", refant="103", quality_metrics='{"snr_mean": 40}')
        insert(conn, "caltables", set_name="day1", path=f"{c}/bp1", table_type="BP",
               order_index=30, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1,
               cal_field="0834+555")
        # day2: valid now, BP overlaps day1's BP on [MJD0 + 0.9, MJD0 + 1].
        insert(conn, "caltables", set_name="day2", path=f"{c}/bp2", table_type="BP",
               order_index=30, valid_start_mjd=MJD0 + 0.9, valid_end_mjd=MJD0 + 1.6,
               cal_field="3C286")
        insert(conn, "caltables", set_name="day2", path=f"{c}/g2", table_type="G",
               order_index=40, valid_start_mjd=MJD0 + 0.9, valid_end_mjd=MJD0 + 3)
        # inverted window, and a path that does not exist.
        insert(conn, "caltables", set_name="bad", path=f"{c}/gone", table_type="BP",
               order_index=30, valid_start_mjd=MJD0 + 3, valid_end_mjd=MJD0 + 2)
        insert(conn, "caltables", set_name="old", path=str(tmp_path / "elsewhere"),
               table_type="K", order_index=10, valid_start_mjd=MJD0 - 5,
               valid_end_mjd=MJD0 - 4, status="retired")
    return CalibrationRegistry(db, DataRoots.of([cal_dir]))


def rows_by_path(page):
    return {r["path"].rsplit("/", 1)[-1]: r for r in page.rows.to_dict("records")}


def test_states_and_flags(registry, cal_dir):
    page = registry.page(None, PageRequest(limit=50), NOW)
    rows = rows_by_path(page)
    assert page.total == 6
    assert rows["k1"]["state"] == "expired" and rows["bp2"]["state"] == "active"
    assert rows["elsewhere"]["state"] == "retired"
    assert rows["gone"]["inverted_window"] and not rows["bp2"]["inverted_window"]
    # Overlapping active sets of one type: both sides flagged; the inverted one is not.
    assert rows["bp1"]["overlaps_active"] and rows["bp2"]["overlaps_active"]
    assert not rows["gone"]["overlaps_active"] and not rows["g2"]["overlaps_active"]
    assert not rows["k1"]["overlaps_active"]
    assert rows["gone"]["path_problem"] == "missing"
    assert rows["elsewhere"]["path_problem"] == "outside the data roots"
    assert rows["k1"]["path_problem"] is None
    assert rows["k1"]["quality_metrics"] == {"snr_mean": 40}


def test_windows_that_only_touch_do_not_overlap(db, cal_dir):
    c = str(cal_dir)
    with db.transaction() as conn:
        for week, name in enumerate(("k1", "bp1", "bp2")):  # weekly sets, end to start
            insert(conn, "caltables", set_name=f"week{week}", path=f"{c}/{name}",
                   table_type="BP", order_index=30, valid_start_mjd=MJD0 + 7 * week,
                   valid_end_mjd=MJD0 + 7 * (week + 1))
        insert(conn, "caltables", set_name="late", path=f"{c}/g2", table_type="BP",
               order_index=30, valid_start_mjd=MJD0 + 20.5, valid_end_mjd=MJD0 + 30)
    page = CalibrationRegistry(db, DataRoots.of([cal_dir])).page(
        None, PageRequest(limit=50), MJD0)
    rows = rows_by_path(page)
    assert not rows["k1"]["overlaps_active"] and not rows["bp1"]["overlaps_active"]
    # The third week shares [MJD0 + 20.5, MJD0 + 21] with the late set: both flagged.
    assert rows["bp2"]["overlaps_active"] and rows["g2"]["overlaps_active"]


@pytest.mark.parametrize("flt, expected", [
    (RegistryFilter(states=("expired",)), {"k1", "bp1"}),
    (RegistryFilter(states=("active",)), {"bp2", "g2", "gone"}),
    (RegistryFilter(table_types=("BP",), states=("active", "expired")), {"bp1", "bp2", "gone"}),
    (RegistryFilter(cal_field="3c2"), {"bp2"}),
    (RegistryFilter(set_name="day2"), {"bp2", "g2"}),
    (RegistryFilter(valid_at_mjd=MJD0 + 1), {"k1", "bp1", "bp2", "g2"}),
])
def test_filters_in_sql(registry, flt, expected):
    page = registry.page(flt, PageRequest(limit=2), NOW)
    assert page.total == len(expected)
    assert set(rows_by_path(registry.page(flt, PageRequest(limit=50), NOW))) == expected


def test_sort_by_state_and_whitelist(registry):
    page = registry.page(None, PageRequest(sort="state", descending=False, limit=50), NOW)
    assert list(page.rows["state"]) == sorted(page.rows["state"])
    with pytest.raises(InvalidInputError) as err:
        registry.page(None, PageRequest(sort="path; --"), NOW)
    assert err.value.parameter == "sort"


@pytest.mark.parametrize("mjd, tables, missing", [
    (MJD0, ["k1", "bp1"], ("G",)),
    (MJD0 + 0.95, ["k1", "bp1", "bp2", "g2"], ()),  # overlap: both BPs apply
    (MJD0 + 1, ["k1", "bp1", "bp2", "g2"], ()),  # end edge inclusive
    (MJD0 + 1.3, ["bp2", "g2"], ("K",)),
    (MJD0 + 2.5, ["g2"], ("K", "BP")),  # between the inverted window's ends: not applied
    (MJD0 + 10, [], ("K", "BP", "G")),
])
def test_apply_list_and_missing_types(registry, mjd, tables, missing):
    applied = registry.apply_list(mjd, horizon_hours=1.0)
    assert [t.path.rsplit("/", 1)[-1] for t in applied.tables] == tables
    assert applied.missing_types == missing


def test_apply_list_expiry_horizon(registry):
    applied = registry.apply_list(MJD0 + 1.5, horizon_hours=3.0)
    assert [(p.rsplit("/", 1)[-1], round(h, 3)) for p, h in applied.expiring] == [
        ("bp2", 2.4)]
    assert "set day2 (BP) expires in 2.4 h" in applied.warnings
    assert registry.apply_list(MJD0 + 1.5, horizon_hours=2.0).expiring == ()


def test_empty_registry(db):
    reg = CalibrationRegistry(db)
    assert reg.page(None, None, NOW).total == 0
    assert reg.apply_list(NOW, 24).tables == [] and reg.table_types() == []


def test_windows_for_the_timeline(registry):
    found = registry.windows(MJD0 + 1.2, MJD0 + 5, NOW)
    by_name = {p.rsplit("/", 1)[-1]: s for p, s in zip(found["path"], found["state"])}
    # k1/bp1 ended before the range; the inverted window (ends 2..3) is shown.
    assert by_name == {"bp2": "active", "g2": "active", "gone": "active"}
    assert len(registry.windows(MJD0 - 10, MJD0 + 10, NOW)) == 6


def test_qa_since(db):
    spw = [{"spw_id": 0, "fraction_flagged": 0.05}, {"spw_id": 1, "fraction_flagged": 0.9},
           {"spw_id": 2, "fraction_flagged": None}]
    with db.transaction() as conn:
        insert(conn, "ms_index", path="/ms/a.ms", mid_mjd=MJD0 + 0.25, created_at=UNIX0)
        insert(conn, "calibration_qa", ms_path="/ms/a.ms", job_id=1, timestamp=UNIX0,
               per_spw_stats=json.dumps(spw))
        insert(conn, "calibration_qa", ms_path="/ms/unknown.ms", job_id=2,
               timestamp=UNIX0 + 60, per_spw_stats='[{"spw_id": 4, "fraction_flagged": 0.2}]')
        insert(conn, "calibration_qa", ms_path="/ms/old.ms", job_id=3, timestamp=UNIX0 - 9e5,
               per_spw_stats=json.dumps(spw))
        insert(conn, "calibration_qa", ms_path="/ms/junk.ms", job_id=4, timestamp=UNIX0,
               per_spw_stats="not json")
    cells = CalibrationRegistry(db).qa_since(UNIX0 - 10)
    assert sorted(zip(cells["ms_path"], cells["spw"], cells["problematic"])) == [
        ("/ms/a.ms", 0, False), ("/ms/a.ms", 1, True), ("/ms/unknown.ms", 4, False)]
    a = cells[cells["ms_path"] == "/ms/a.ms"]
    assert set(a["mjd"]) == {MJD0 + 0.25}  # the observation's time, not when QA ran
    assert set(a["grade"]) == {"marginal"}  # mean of 0.05 and 0.9; the None is left out
    other = cells[cells["ms_path"] == "/ms/unknown.ms"]["mjd"].iloc[0]
    assert other == pytest.approx(unix_to_mjd(UNIX0 + 60))


def test_imaged_without_calibration(registry, db):
    with db.transaction() as conn:
        for name, mid, stage in [("covered", MJD0 + 0.5, "imaged"),
                                 ("gap", MJD0 - 1, "imaged"),
                                 ("gap-mosaic", MJD0 - 0.5, "mosaicked"),
                                 ("gap-not-imaged", MJD0 - 0.6, "converted"),
                                 ("inverted-only", MJD0 + 5, "cataloged"),
                                 ("long-ago", MJD0 - 30, "imaged")]:
            insert(conn, "ms_index", path=f"/ms/{name}.ms", mid_mjd=mid, stage=stage,
                   created_at=UNIX0)
    found = registry.imaged_without_calibration(MJD0 - 10, MJD0 + 10)
    assert list(found["path"]) == ["/ms/inverted-only.ms", "/ms/gap-mosaic.ms", "/ms/gap.ms"]


@pytest.mark.parametrize("mean, grade", [(None, "unknown"), (0.0, "excellent"),
                                         (0.1, "good"), (0.29, "good"), (0.3, "marginal"),
                                         (0.5, "poor"), (1.0, "poor")])
def test_grade_flagged_fraction(mean, grade):
    assert grade_flagged_fraction(mean) == grade

"""The Calibration page's view-model and HTML on real databases (SQLite and PostgreSQL):
the apply-list follows the chosen time, bad times are named, bad registry rows are shown
with what is wrong, and a database without calibration_qa says so."""

from __future__ import annotations

import json
import time

import pytest
from factories import insert

from dsa110_dashboard.science.times import format_mjd, unix_to_mjd
from dsa110_dashboard.viewmodels.calibration import CalibrationModel
from dsa110_dashboard.views.calibration import CalibrationPageView, apply_html, registry_html

NOW = unix_to_mjd(time.time())


@pytest.fixture
def model(db):
    with db.transaction() as conn:
        insert(conn, "caltables", set_name="old", path="/cal/old.k", table_type="K",
               order_index=10, valid_start_mjd=NOW - 3, valid_end_mjd=NOW - 2,
               cal_field="0834+555", quality_metrics='{"snr_mean": 50, "flagged_fraction": 0.05}')
        insert(conn, "caltables", set_name="new", path="/cal/new.k", table_type="K",
               order_index=10, valid_start_mjd=NOW - 1, valid_end_mjd=NOW + 0.25)
        insert(conn, "caltables", set_name="new", path="/cal/new.bp", table_type="BP",
               order_index=30, valid_start_mjd=NOW - 1, valid_end_mjd=NOW + 5)
        insert(conn, "caltables", set_name="flip", path="/cal/flip.g", table_type="G",
               order_index=40, valid_start_mjd=NOW + 3, valid_end_mjd=NOW + 1)
        insert(conn, "ms_index", path="/ms/a.ms", mid_mjd=NOW - 0.5, created_at=time.time())
        insert(conn, "calibration_qa", ms_path="/ms/a.ms", job_id=1,
               timestamp=time.time() - 3600, per_spw_stats=json.dumps(
                   [{"spw_id": 0, "fraction_flagged": 0.1},
                    {"spw_id": 1, "fraction_flagged": 0.95}]))
    m = CalibrationModel(db, horizon_hours=12)
    m.refresh()
    return m


def test_apply_list_follows_the_chosen_time(model):
    applied = model.apply_list
    assert [t.path for t in applied.tables] == ["/cal/new.k", "/cal/new.bp"]
    assert applied.missing_types == ("G",)
    assert [p for p, _ in applied.expiring] == ["/cal/new.k"]  # 6 h left, horizon 12 h
    assert "No valid" not in apply_html(applied)
    model.at = f"{NOW - 2.5:.6f}"
    model.refresh_apply_list()
    assert [t.path for t in model.apply_list.tables] == ["/cal/old.k"]
    assert model.apply_list.missing_types == ("BP", "G")
    model.at = format_mjd(NOW - 10).replace(" ", "T")
    model.refresh_apply_list()
    assert model.apply_list.tables == []
    assert "No valid calibration table" in apply_html(model.apply_list)


@pytest.mark.parametrize("value", ["yesterday", "1e9"])
def test_bad_time_is_named(model, value):
    model.at = value
    model.refresh_apply_list()
    assert model.apply_list is None and model.apply_error.startswith("at:")
    model.refresh_history()  # the timeline falls back to now
    assert len(model.windows) == 4


def test_registry_rows_show_state_and_problems(model):
    assert model.total == 4
    text = registry_html(model)
    assert "dsa-state-expired" in text and "window ends before it starts" in text
    assert "SNR 50, flagged 5.0%" in text
    model.state = "expired"
    model.refresh_registry()
    assert list(model.rows["path"]) == ["/cal/old.k"] and model.page == 1
    assert model.type_options == ["BP", "G", "K"]


def test_qa_cells_and_missing_table(model, db):
    cells = model.qa_cells
    assert list(cells.sort_values("spw")["problematic"]) == [False, True]
    with db.transaction() as conn:
        conn.exec_driver_sql("DROP TABLE calibration_qa")
    db.refresh_catalog()
    fresh = CalibrationModel(db)
    fresh.refresh()
    assert fresh.qa_cells is None and fresh.apply_list is not None and fresh.total == 4
    view = CalibrationPageView(model=fresh)
    view._render_heatmap()
    assert "no calibration_qa table" in view.heatmap[0].object
    view._render_timeline()
    assert type(view.timeline[0]).__name__ == "Bokeh"


def test_plots_build(model):
    view = CalibrationPageView(model=model)
    view._render_timeline()
    view._render_heatmap()
    timeline = view.timeline[0].object
    assert {str(v) for v in timeline.y_range.factors} == {"K", "BP", "G"}
    assert view.heatmap[0].object.title.text.startswith("Calibration QA")


def test_uncalibrated_observations_on_the_timeline(model, db):
    with db.transaction() as conn:
        insert(conn, "ms_index", path="/ms/gap.ms", mid_mjd=NOW - 1.5, stage="imaged",
               created_at=time.time())
    model.refresh_history()
    assert list(model.uncalibrated["path"]) == ["/ms/gap.ms"]
    view = CalibrationPageView(model=model)
    view._render_timeline()
    assert "imaged, no cal" in view.timeline[0].object.y_range.factors


def test_read_all_changes_nothing_until_shown(model, db):
    fresh = CalibrationModel(db, state="expired")
    query, updates = fresh.read_all()
    assert fresh.total is None and fresh.apply_list is None and fresh.windows is None
    assert query == fresh.query and updates["total"] == 1
    fresh.param.update(**updates)
    assert list(fresh.rows["path"]) == ["/cal/old.k"]

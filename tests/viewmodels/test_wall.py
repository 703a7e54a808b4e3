"""WallModel and the wall's HTML on SQLite and PostgreSQL: figures, stale warnings,
the URL's panels and rotation, a database that stops answering."""

from __future__ import annotations

import re

import pytest

from dbsupport import settings_for
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.status.lights import BAD, OK, UNKNOWN, WARN
from dsa110_dashboard.status.report import DatabaseCheck
from dsa110_dashboard.status.summary import HealthSummary, report_summary
from dsa110_dashboard.viewmodels.wall import PANELS, WallModel, check_query
from dsa110_dashboard.views.urlstate import read_query
from dsa110_dashboard.views.wall.render import wall_html
from factories import insert
from viewmodels.test_overview import HOUR, NOW, Clock, add_image


def healthy(freshness, now) -> HealthSummary:
    check = DatabaseCheck(target="pipeline.sqlite3", dialect="sqlite", read_only=False,
                          latency_s=0.001)
    return report_summary(check, freshness, None, now)


def model_for(db, clock=None, **params) -> WallModel:
    return WallModel(db, healthy, clock=clock or Clock(), count_cache_seconds=0.001,
                     **params)


def fill(db, newest_age: float = 300.0) -> dict:
    with db.transaction() as conn:
        for k in range(6):
            add_image(conn, NOW - newest_age - (k + 1) * HOUR,
                      qa="poor" if k == 0 else "good")
        latest = add_image(conn, NOW - newest_age, dynamic_range=2000.0)
        for status in ["completed"] * 3 + ["failed"]:
            insert(conn, "jobs", status=status, created_at=NOW - 2 * HOUR, type="imaging",
                   ms_path="/ms/one.ms")
    return latest


def test_live_database_figures_lights_and_html(db):
    latest = fill(db)
    model = model_for(db)
    model.apply(model.fetch())
    s = model.snapshot
    assert model.error is None and s.window_is_live
    assert s.latest.id == latest["id"]
    assert int(s.per_hour["images"].sum()) == 7
    assert s.grades == {"poor": 1, "good": 5, "excellent": 1}
    assert (s.jobs_total, s.jobs_failed) == (4, 1)
    assert list(s.failed["type"]) == ["imaging"]
    assert len(s.mosaic) == 7 and int(s.mosaic["id"].iloc[0]) == latest["id"]
    assert sum(f.count for f in s.funnel) == 7
    assert model.stale() is None
    lights = model.lights()
    assert lights["health"] == BAD and lights["freshness"] == OK  # the failed jobs
    assert lights["jobs"] == BAD  # 1 of 4 failed: 25 %
    assert lights["qa"] == WARN   # 1 poor of 7: 14 %
    page = wall_html(model)
    assert f"/api/v1/images/{latest['id']}/thumbnail.png?size=1024" in page
    sections = re.findall(r'data-panel="(\w+)"', page)
    assert sections == list(PANELS)
    assert "data-stale" not in page
    assert "<script" not in page and "<button" not in page and "<form" not in page


def test_stale_and_behind_warnings_name_the_age(db):
    fill(db, newest_age=3 * HOUR)
    model = model_for(db)
    model.apply(model.fetch())
    state, text = model.stale()
    assert state == BAD and "no new image for 3.0 h" in text
    assert "data-stale" in wall_html(model)


def test_behind_when_the_newest_image_is_late_for_its_observation(db):
    with db.transaction() as conn:
        add_image(conn, NOW - 120, observed_delay=2 * HOUR)
    model = model_for(db)
    model.apply(model.fetch())
    state, text = model.stale()
    assert state == WARN and text.startswith("BEHIND") and "120.0 min" in text


def test_empty_database_is_no_crash(db):
    model = model_for(db)
    model.apply(model.fetch())
    assert model.stale() == (WARN, "No image in the database yet.")
    assert "No image in the database yet." in wall_html(model)


def test_unreachable_database_keeps_the_figures_and_says_so(tmp_path):
    path = tmp_path / "pipeline.sqlite3"
    db = Database(settings_for(str(path)))
    try:
        model = model_for(db)
        model.apply(model.fetch())  # the file does not exist: never created
        assert model.error and model.snapshot is None
        assert model.overall() == BAD
        state, text = model.stale()
        assert state == BAD and text.startswith("Database not answering")
        assert "Database not answering" in wall_html(model)
    finally:
        db.dispose()


def test_url_values_are_checked_and_named():
    mapping = {"panels": "panels", "rotate": "rotate"}
    values, problems = read_query(WallModel, mapping, "?panels=qa,bogus&rotate=0",
                                  check_query)
    assert values == {}
    assert {p.key for p in problems} == {"panels", "rotate"}
    assert "unknown panel bogus" in problems[0].message
    values, problems = read_query(WallModel, mapping, "?panels=funnel,qa&rotate=2",
                                  check_query)
    assert values == {"panels": ["funnel", "qa"], "rotate": 2.0} and not problems


def test_rotation_default_and_override(db):
    model = model_for(db, rotate_default=20.0)
    assert model.rotate_seconds == 20.0
    model.rotate = 2.0
    assert model.rotate_seconds == 2.0


def test_health_summary_rolls_up_the_report():
    check = DatabaseCheck(target="x", dialect="sqlite", read_only=False, latency_s=None,
                          error="unreachable")
    summary = report_summary(check, None, None, NOW)
    assert summary.state == BAD
    assert [c.name for c in summary.checks] == ["Database", "Freshness", "Thumbnail cache"]
    fine = report_summary(DatabaseCheck("x", "sqlite", False, 0.002), None, "disk full", NOW)
    assert fine.state == WARN and fine.checks[2].detail == "disk full"
    assert report_summary(DatabaseCheck("x", "sqlite", False, 0.002), None, None,
                          NOW).state in (OK, UNKNOWN)


@pytest.mark.parametrize("panels", [["funnel"], ["health", "mosaic"]])
def test_chosen_panels_in_their_order(db, panels):
    fill(db)
    model = model_for(db, panels=panels)
    model.apply(model.fetch())
    assert re.findall(r'data-panel="(\w+)"', wall_html(model)) == panels


def test_health_summary_from_the_health_checks():
    from dsa110_dashboard.status.checks import CheckResult
    from dsa110_dashboard.status.summary import monitor_summary

    results = [
        CheckResult("database", "database", "db", "ok", 1.2, NOW, detail="SELECT 1 in 1 ms"),
        CheckResult("disk: data dir", "disk", "/data/x", "warning", 0.3, NOW,
                    error="3.1 GB free of /data/x"),
        CheckResult("systemd", "systemd", "unit", "unknown", None, None),
    ]
    summary = monitor_summary(results, "warning", shown=lambda t: t.replace("/data/", ""))
    assert summary.state == WARN
    assert [(c.name, c.state) for c in summary.checks] == [
        ("database", OK), ("disk: data dir", WARN), ("systemd", UNKNOWN)]
    assert summary.checks[1].detail == "3.1 GB free of x", "paths as an anonymous reader sees them"

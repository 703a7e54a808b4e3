"""OverviewModel on SQLite and PostgreSQL: the window, the figures, the lights, errors."""

from __future__ import annotations

import pytest

from dbsupport import settings_for
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import DatabaseUnavailableError
from dsa110_dashboard.repositories.qa import DERIVED_FROM_DR, MEASURED
from dsa110_dashboard.repositories.stats import StatsRepository, TTLCache
from dsa110_dashboard.viewmodels import overview as ov
from dsa110_dashboard.viewmodels.overview import LatestImageCheck, OverviewModel
from factories import insert

HOUR = 3600.0
NOW = 1_760_716_800.0 + 30 * 86400  # a fixed "now", 2025-11-16


class Clock:
    def __init__(self, now: float = NOW):
        self.now = now

    def __call__(self) -> float:
        return self.now


def model_for(db, clock) -> OverviewModel:
    return OverviewModel(db, stats=StatsRepository(db, cache=TTLCache()), clock=clock)


def add_image(conn, created_at: float, *, observed_delay: float = 600.0, qa: str | None = None,
              dynamic_range: float = 500.0, type: str = "5min") -> dict:
    mid_unix = created_at - observed_delay
    ms = insert(conn, "ms_index", path=f"/ms/{created_at:.0f}.ms",
                mid_mjd=mid_unix / 86400 + 40587.0, created_at=mid_unix)
    image = insert(conn, "images", path=f"/img/{created_at:.0f}.fits", ms_path=ms["path"],
                   created_at=created_at, dynamic_range=dynamic_range, type=type)
    if qa is not None:
        insert(conn, "image_qa", ms_path=ms["path"], image_path=image["path"],
               overall_quality=qa, timestamp=created_at + 60)
    return image


# ------------------------------------------------------------------ pure parts
@pytest.mark.parametrize(("seconds", "text"), [
    (None, "never"), (5, "just now"), (180, "3 min ago"), (3 * HOUR + 300, "3 h 5 min ago"),
    (30 * HOUR, "30 h ago"), (5 * 86400, "5 days ago"), (400 * 86400, "13 months ago")])
def test_human_age(seconds, text):
    assert ov.human_age(seconds) == text


@pytest.mark.parametrize(("seconds", "state"), [
    (None, ov.UNKNOWN), (0, ov.OK), (15 * 60 - 1, ov.OK), (15 * 60, ov.WARN),
    (HOUR - 1, ov.WARN), (HOUR, ov.BAD)])
def test_freshness_thresholds(seconds, state):
    assert ov.freshness_light(seconds) == state


def test_window_ends_now_when_recent_else_at_latest_image():
    assert ov.choose_window(NOW, NOW - 2 * HOUR) == (NOW, True)
    assert ov.choose_window(NOW, NOW - 48 * HOUR) == (NOW - 48 * HOUR, False)
    assert ov.choose_window(NOW, None) == (NOW, True)


def test_worst_ignores_unknown_unless_all_unknown():
    assert ov.worst([ov.UNKNOWN, ov.OK]) == ov.OK
    assert ov.worst([ov.OK, ov.BAD, ov.WARN]) == ov.BAD
    assert ov.worst([ov.UNKNOWN]) == ov.UNKNOWN


def test_ordered_puts_pipeline_stages_first_and_unknown_values_after():
    by = {"weird": 1, "imaged": 5, None: 2, "discovered": 3}
    assert ov.ordered(by, ov.STAGE_ORDER) == [("discovered", 3), ("imaged", 5),
                                               ("(none)", 2), ("weird", 1)]


# --------------------------------------------------------- on a real database
def test_live_database_window_figures_and_lights(db):
    clock = Clock()
    with db.transaction() as conn:
        add_image(conn, NOW - 30 * HOUR, qa="good")          # outside the window
        for k in range(8):
            add_image(conn, NOW - (k + 0.5) * HOUR, qa="excellent" if k else "poor")
        latest = add_image(conn, NOW - 300, dynamic_range=50.0)  # no QA row: derived
        for status in ["completed"] * 9 + ["failed"]:
            insert(conn, "jobs", status=status, created_at=NOW - 2 * HOUR)
        insert(conn, "jobs", status="failed", created_at=NOW - 40 * HOUR)
    model = model_for(db, clock)
    model.refresh()
    s = model.snapshot
    assert model.error is None and s.window_is_live and s.window_end == NOW
    assert s.latest.id == latest["id"]
    assert int(s.per_hour["images"].sum()) == 9
    assert s.grades[MEASURED] == {"excellent": 7, "poor": 1}
    assert s.grades[DERIVED_FROM_DR] == {"marginal": 1}
    assert (s.jobs_in_window, s.failed_jobs_in_window) == (10, 1)
    assert s.counts.images.total.value == 10 and s.counts.images.total.exact
    assert len(s.centres) == 10
    assert s.freshness.latency_latest_s == pytest.approx(600.0, abs=1e-3)
    # The latest image has no QA row: its grade is derived, and says so.
    assert model.latest_grade() == ("marginal", DERIVED_FROM_DR)
    assert model.window_text() == "last 24 h"
    overall, lights = model.health()
    states = {light.name: light.state for light in lights}
    # 1 failed job of 10 and 1 poor image of 9: both between 5 % and 20 %.
    assert states == {"Database": ov.OK, "Freshness": ov.OK, "Failed jobs": ov.WARN,
                      "Poor images": ov.WARN}
    assert overall == ov.WARN
    table = model.grade_table()
    assert [kind for kind, _, _ in table] == [MEASURED, DERIVED_FROM_DR]
    assert table[0][1]["excellent"] == 7 and table[0][2] == 8


def test_old_database_uses_the_24_hours_before_the_latest_image(db):
    clock = Clock()
    old = NOW - 200 * 86400
    with db.transaction() as conn:
        for k in range(5):
            add_image(conn, old - k * HOUR, qa="poor")
        add_image(conn, old - 3 * 86400, qa="good")
    model = model_for(db, clock)
    model.refresh()
    s = model.snapshot
    assert not s.window_is_live and s.window_end == pytest.approx(old)
    assert int(s.per_hour["images"].sum()) == 5
    assert s.grades[MEASURED] == {"poor": 5}
    assert "before the latest image" in model.window_text()
    overall, lights = model.health()
    assert overall == ov.BAD
    freshness = next(light for light in lights if light.name == "Freshness")
    assert freshness.state == ov.BAD and "months ago" in freshness.detail
    assert model.latest_grade() == ("poor", MEASURED)


def test_empty_database_shows_unknowns(db):
    model = model_for(db, Clock())
    model.refresh()
    s = model.snapshot
    assert s.latest is None and s.window_is_live and int(s.per_hour["images"].sum()) == 0
    assert model.grade_table() == []
    overall, lights = model.health()
    assert overall == ov.OK  # the database answered; nothing else is known
    assert [light.state for light in lights[1:]] == [ov.UNKNOWN] * 3


def test_check_triggers_a_refresh_for_a_new_image_or_old_figures(db):
    clock = Clock()
    with db.transaction() as conn:
        add_image(conn, NOW - 600)
    model = model_for(db, clock)
    model.refresh()
    clock.now += 20
    assert model.needs_refresh(model.check(), max_age_s=120) is False
    assert model.now == clock.now  # the ages advance without a fetch
    with db.transaction() as conn:
        newer = add_image(conn, NOW + 10)
    result = model.check()
    assert result == LatestImageCheck(newer["id"])
    assert model.needs_refresh(result, max_age_s=120) is True
    model.refresh()
    assert model.snapshot.latest.id == newer["id"]
    clock.now += 121
    assert model.needs_refresh(model.check(), max_age_s=120) is True


def test_unreachable_database_keeps_the_last_figures_and_says_why(db, tmp_path):
    clock = Clock()
    with db.transaction() as conn:
        add_image(conn, NOW - 600)
    model = model_for(db, clock)
    model.refresh()
    good = model.snapshot
    error = DatabaseUnavailableError("server closed the connection")
    model.apply(error)
    assert model.snapshot is good and model.error == "server closed the connection"
    overall, lights = model.health()
    assert overall == ov.BAD and lights[0].state == ov.BAD
    assert model.needs_refresh(error, max_age_s=120) is False
    model.refresh()  # the database is back
    assert model.error is None


def test_missing_database_file_is_reported_not_raised(tmp_path):
    db = Database(settings_for(str(tmp_path / "absent" / "pipeline.sqlite3"),
                               DSA110_DASH_READ_ONLY="true"))
    try:
        model = model_for(db, Clock())
        result = model.fetch()
        assert isinstance(result, DatabaseUnavailableError)
        model.apply(result)
        assert model.error and model.snapshot is None
        assert isinstance(model.check(), DatabaseUnavailableError)
    finally:
        db.dispose()


def test_cards_render_without_a_server(db):
    """Each card is a Viewer that displays on its own (as in a notebook)."""
    pn = pytest.importorskip("panel")
    from dsa110_dashboard.views import overview as views

    with db.transaction() as conn:
        add_image(conn, NOW - 600, qa="good")
    for cls in (views.HealthCard, views.FreshnessCard, views.LatestImageCard,
                views.ThroughputCard, views.QASummaryCard, views.CountsCard,
                views.SkyMapCard):
        model = model_for(db, Clock())
        root = pn.panel(cls(model=model)).get_root()
        assert root is not None and model.snapshot is not None

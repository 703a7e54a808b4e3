"""The Health page in Chromium: every check with its status from real local services
(an HTTP service answering, one saying degraded, a closed port), the URL's check choice,
and clearing a cache as an operator (audited) while a viewer sees the buttons disabled
with the reason."""

from __future__ import annotations

import re
import sqlite3
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from browser.conftest import demo_env
from browser.helpers import text_of, wait_idle
from dsa110_dashboard.db.dashboard_schema import dash_audit
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.settings import Settings
from server import start_server

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "status"))
from servers import closed_port, http_service  # noqa: E402


@pytest.fixture(scope="module")
def world(demo_dataset, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("health-page")
    db_path = tmp / "pipeline.sqlite3"
    with sqlite3.connect(demo_dataset / "pipeline.sqlite3") as source, \
            sqlite3.connect(db_path) as copy:
        source.backup(copy)
    with http_service() as ok_url, http_service(b'{"status": "degraded"}') as degraded_url:
        checks = tmp / "checks.toml"
        checks.write_text(f"""
[[check]]
name = "pipeline API"
kind = "http"
url = "{ok_url}"
[[check]]
name = "Grafana"
kind = "http"
url = "{degraded_url}"
[[check]]
name = "Prometheus"
kind = "tcp"
port = {closed_port()}
""")
        env = {**demo_env(demo_dataset, tmp / "cache"), "DSA110_DASH_DB": str(db_path),
               "DSA110_DASH_HEALTH_CHECKS": str(checks),
               "DSA110_DASH_HEALTH_INTERVAL_SECONDS": "2"}
        operator = start_server({**env, "DSA110_DASH_OPEN_ACCESS_ROLE": "operator"})
        viewer = start_server(env)
        db = Database(Settings.load(environ=env))
        try:
            yield operator, viewer, db
        finally:
            operator.stop()
            viewer.stop()
            db.dispose()


def row(page, name: str, status: str):
    return page.locator(f'.dsa-health-checks tr[data-check="{name}"][data-status="{status}"]')


def test_every_check_shows_its_status(world, page):
    operator, _viewer, _db = world
    page.goto(operator.url + "/health")
    wait_idle(page)
    row(page, "pipeline API", "ok").wait_for()
    row(page, "Grafana", "warning").wait_for()
    row(page, "Prometheus", "critical").wait_for()
    row(page, "database", "ok").wait_for()
    critical = text_of(page.locator(".dsa-health-checks"))
    assert "ms" in critical and "degraded" in critical
    overall = text_of(page.locator(".dsa-health-overall"))
    assert "CRITICAL" in overall and "every 2 s" in overall
    assert "Sessions open" in text_of(page.locator(".dsa-health-process"))
    assert "thumbnails" in text_of(page.locator(".dsa-health-caches"))


def test_the_url_chooses_the_latency_plots_check(world, page):
    operator, _viewer, _db = world
    page.goto(operator.url + "/health?check=bogus")
    wait_idle(page)
    page.get_by_text("Ignored check: there is no check named 'bogus'").wait_for()
    page.wait_for_url(lambda url: "bogus" not in url)
    page.goto(operator.url + "/health?check=Grafana")
    wait_idle(page)
    assert page.locator("select").first.input_value() == "Grafana"


def test_an_operator_clears_the_thumbnails_and_it_is_audited(world, page):
    operator, _viewer, db = world
    page.goto(operator.url + "/health")
    wait_idle(page)
    row(page, "database", "ok").wait_for()
    page.locator(".dsa-clear-thumbnails button").click()
    page.locator(".dsa-health-action").get_by_text(re.compile(r"Cleared \(thumbnails: \d+ ")) \
        .wait_for()
    with db.connect() as conn:
        rows = conn.execute(sa.select(dash_audit.c.action, dash_audit.c.result,
                                      dash_audit.c.role, dash_audit.c.target_id)
                            .where(dash_audit.c.action == "clear-cache")).all()
    assert ("clear-cache", "ok", "operator", "thumbnails") in [tuple(r) for r in rows]


def test_a_viewer_sees_the_buttons_disabled_with_the_reason(world, page):
    _operator, viewer, _db = world
    page.goto(viewer.url + "/health")
    wait_idle(page)
    page.locator(".dsa-health-blocked").get_by_text("only operators may clear caches") \
        .wait_for()
    assert page.locator(".dsa-clear-all button").is_disabled()
    assert page.locator(".dsa-clear-thumbnails button").is_disabled()


def test_the_page_is_in_the_navigation(world, page):
    operator, _viewer, _db = world
    page.goto(operator.url + "/jobs")
    wait_idle(page)
    page.get_by_role("link", name="Health").first.click()
    page.wait_for_url(re.compile(r"/health$"))
    wait_idle(page)
    row(page, "database", "ok").wait_for()

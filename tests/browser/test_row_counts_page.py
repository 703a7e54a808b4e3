"""The interim overview page: row counts of the database, and the database-down banner."""

import sqlite3

import pytest

from dbsupport import settings_for
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from factories import insert
from legacy import older_unified
from server import start_server
from browser.helpers import wait_idle


@pytest.fixture
def seeded_server(tmp_path):
    path = tmp_path / "pipeline.sqlite3"
    db = Database(settings_for(str(path)))
    migrate.upgrade(db)
    with db.transaction() as conn:
        for _ in range(3):
            insert(conn, "images")
        insert(conn, "ms_index")
    db.dispose()
    server = start_server({"DSA110_DASH_DB": str(path)})
    yield server
    server.stop()


def row_count(page, table: str) -> str:
    row = page.locator(".tabulator-row").filter(
        has=page.get_by_role("gridcell", name=table, exact=True))
    return row.locator('.tabulator-cell[tabulator-field="rows"]').inner_text().strip()


def test_overview_shows_row_counts(seeded_server, page):
    page.goto(seeded_server.url + "/")
    wait_idle(page)
    page.locator(".tabulator-cell", has_text="photometry").first.wait_for()
    assert page.locator("text=DSA-110 Continuum Pipeline").count() >= 1
    page.locator("text=Counted at").wait_for()
    assert row_count(page, "images") == "3"
    assert row_count(page, "ms_index") == "1"


def test_locked_database_shows_banner_and_recovers(tmp_path, page):
    path = older_unified(tmp_path / "pipeline.sqlite3", wal=False)
    server = start_server({"PIPELINE_DB": str(path),
                           "DSA110_DASH_TIMEOUT_DB_CONNECTION": "0.3"})
    try:
        page.goto(server.url + "/")
        wait_idle(page)
        page.locator("text=Counted at").wait_for()
        assert row_count(page, "images") == "2"
        writer = sqlite3.connect(path, isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")
        try:
            page.get_by_role("button", name="Refresh").click()
            page.locator("text=Database unavailable").wait_for()
            assert page.locator("text=busy").count() >= 1
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        page.get_by_role("button", name="Refresh").click()
        page.locator("text=Database unavailable").wait_for(state="hidden")
        assert row_count(page, "images") == "2"
    finally:
        server.stop()


def test_health_endpoint_reports_the_database(seeded_server):
    status, body = seeded_server.get("/api/v1/health")
    assert status == 200
    assert body["status"] == "ok" and body["database"]["ok"] is True
    assert body["database"]["dialect"] == "sqlite"

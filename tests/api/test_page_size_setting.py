"""DSA110_DASH_PAGE_SIZE_MAX is what limits a page of every paged endpoint."""

from __future__ import annotations

import pytest
from dbsupport import settings_for
from server import start_server

from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database

LARGEST = 3


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("pagesize") / "pipeline.sqlite3"
    db = Database(settings_for(str(path)))
    migrate.upgrade(db)
    db.dispose()
    running = start_server({"DSA110_DASH_DB": str(path),
                            "DSA110_DASH_PAGE_SIZE_MAX": str(LARGEST)})
    yield running
    running.stop()


@pytest.mark.parametrize("endpoint, parameter", [
    ("/api/v1/jobs?limit={n}", "limit"), ("/api/v1/batch?limit={n}", "limit"),
    ("/api/v1/images.csv?size={n}", "size"),
])
def test_a_page_at_the_setting_is_served_and_one_more_is_a_400_naming_it(
        server, endpoint, parameter):
    status, _ = server.get(endpoint.format(n=LARGEST))
    assert status == 200
    status, body = server.get(endpoint.format(n=LARGEST + 1))
    assert status == 400 and body["details"]["parameter"] == parameter
    assert str(LARGEST) in body["message"]

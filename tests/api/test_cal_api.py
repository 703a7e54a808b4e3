"""The calibration endpoints on a real server over a real SQLite file (issue 14, decision
0052): the registry page with states and flags, the apply-list at an MJD or a date, bad
values named, HEAD."""

from __future__ import annotations

import time
import urllib.request

import pytest

from api_helpers import fetch
from dbsupport import settings_for
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.science.times import unix_to_mjd
from factories import MJD0, insert
from server import start_server


@pytest.fixture(scope="module")
def cal_server(tmp_path_factory):
    data = tmp_path_factory.mktemp("cal") / "data"
    (data / "cal" / "k").mkdir(parents=True)
    db_path = data / "pipeline.sqlite3"
    db = Database(settings_for(str(db_path)))
    migrate.upgrade(db)
    now = unix_to_mjd(time.time())
    with db.transaction() as conn:
        insert(conn, "caltables", set_name="s1", path=str(data / "cal" / "k"),
               table_type="K", order_index=10, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1,
               cal_field="0834+555")
        insert(conn, "caltables", set_name="s1", path=str(data / "cal" / "bp"),
               table_type="BP", order_index=30, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1)
        insert(conn, "caltables", set_name="now", path=str(data / "cal" / "g"),
               table_type="G", order_index=40, valid_start_mjd=now - 1, valid_end_mjd=now + 0.5)
    db.dispose()
    running = start_server({"DSA110_DASH_DB": str(db_path), "DSA110_DASH_DATA_DIR": str(data),
                            "DSA110_DASH_CAL_EXPIRY_WARN_HOURS": "24"})
    yield running
    running.stop()


def get(server, path):
    return fetch(server.url, path)


def test_tables_page_states_and_filters(cal_server):
    body = get(cal_server, "/api/v1/cal/tables?limit=2&sort=order_index&order=asc").json()
    assert body["total"] == 3 and len(body["tables"]) == 2
    assert [t["table_type"] for t in body["tables"]] == ["K", "BP"]
    assert {t["state"] for t in body["tables"]} == {"expired"}
    bp = body["tables"][1]
    assert bp["path_problem"] == "missing" and body["tables"][0]["path_problem"] is None
    body = get(cal_server, "/api/v1/cal/tables?state=active").json()
    assert [t["set_name"] for t in body["tables"]] == ["now"]
    body = get(cal_server, "/api/v1/cal/tables?type=K,BP&field=0834").json()
    assert body["total"] == 1 and body["tables"][0]["cal_field"] == "0834+555"
    body = get(cal_server, f"/api/v1/cal/tables?valid_at={MJD0 + 0.5}").json()
    assert body["total"] == 2


@pytest.mark.parametrize("query, parameter", [
    ("state=stale", "state"), ("sort=path;--", "sort"), ("limit=0", "limit"),
    ("valid_at=yesterday-ish", "valid_at"),
])
def test_tables_bad_values_named(cal_server, query, parameter):
    reply = get(cal_server, f"/api/v1/cal/tables?{query}")
    assert reply.status == 400
    assert reply.json()["details"]["parameter"] == parameter


def test_apply_list_at_mjd_and_date(cal_server):
    body = get(cal_server, f"/api/v1/cal/applylist?mjd={MJD0 + 0.5}").json()
    assert body["mjd"] == MJD0 + 0.5
    assert [t["table_type"] for t in body["tables"]] == ["K", "BP"]
    assert body["missing_types"] == ["G"]
    assert "no valid G table at this time" in body["warnings"]
    by_date = get(cal_server, "/api/v1/cal/applylist?mjd=2025-10-17T12:00:00").json()
    assert by_date["mjd"] == MJD0 + 0.5 and by_date["tables"] == body["tables"]


def test_apply_list_defaults_to_now_and_warns_of_expiry(cal_server):
    body = get(cal_server, "/api/v1/cal/applylist").json()
    assert abs(body["mjd"] - unix_to_mjd(time.time())) < 0.01
    assert [t["set_name"] for t in body["tables"]] == ["now"]
    assert body["missing_types"] == ["K", "BP"]
    assert len(body["expiring"]) == 1 and 11 < body["expiring"][0]["hours_left"] <= 12


@pytest.mark.parametrize("value", ["abc", "1e9", "nan", "-5"])
def test_apply_list_bad_mjd_named(cal_server, value):
    reply = get(cal_server, f"/api/v1/cal/applylist?mjd={value}")
    assert reply.status == 400
    body = reply.json()
    assert body["error"] and body["details"]["parameter"] == "mjd"
    assert get(cal_server, "/api/v1/cal/applylist").status == 200  # still serving


@pytest.mark.parametrize("path", ["/api/v1/cal/tables", "/api/v1/cal/applylist?mjd=60965"])
def test_head(cal_server, path):
    request = urllib.request.Request(cal_server.url + path, method="HEAD")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200 and response.read() == b""
        assert "application/json" in response.headers["Content-Type"]

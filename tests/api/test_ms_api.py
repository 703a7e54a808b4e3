"""The measurement-set endpoints on a real server (issue 14, decision 0051): the page with
its filters and total, one MS with subbands, images, jobs and neighbours, the calibration
applied to it, HEAD, 404 for unregistered paths (never a file look-up) and 400s that name
the parameter."""

from __future__ import annotations

import time
import urllib.parse

import pytest
from dbsupport import settings_for
from factories import MJD0, insert
from server import start_server
from test_head import request

from api_dataset import make_dataset
from dsa110_dashboard.db.engine import Database

A = "/data/ms/2025-10-17T00:00:00.ms"
B = "/data/ms/2025-10-17T00:05:00.ms"
C = "/data/ms/2025-10-17T00:10:00.ms"


def q(path: str) -> str:
    return urllib.parse.quote(path, safe="")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    ds = make_dataset(tmp_path_factory.mktemp("ms"))
    db = Database(settings_for(str(ds.db_path)))
    now = time.time()
    with db.transaction() as conn:
        insert(conn, "ms_index", path=A, mid_mjd=MJD0, stage="photometry_complete",
               status="completed", stage_updated_at=now - 86400, group_id="2025-10-17T00:00:00")
        insert(conn, "ms_index", path=B, mid_mjd=MJD0 + 0.003, stage="converted",
               status="pending", stage_updated_at=now - 20 * 3600)
        insert(conn, "ms_index", path=C, mid_mjd=MJD0 + 0.007, stage="calibrated",
               status="failed", stage_updated_at=now - 60)
        for sb in range(15):  # one subband missing
            insert(conn, "hdf5_files", path=f"/in/{sb}.hdf5", filename=f"{sb}.hdf5",
                   group_id="2025-10-17T00:00:00", subband_code=f"sb{sb:02d}", indexed_at=now)
        image = insert(conn, "images", path="/img/a.fits", ms_path=A)
        job = insert(conn, "jobs", type="imaging", status="completed", ms_path=A,
                     created_at=now)
        table = insert(conn, "caltables", set_name="s1", path="/cal/s1.K", table_type="K",
                       order_index=0, created_at=now, valid_start_mjd=MJD0 - 1,
                       valid_end_mjd=MJD0 + 1, status="active",
                       quality_metrics='{"snr": 42.0}')
        insert(conn, "calibration_applied", ms_path=A, caltable_path="/cal/s1.K",
               applied_at=now, quality=0.93, success=1)
        insert(conn, "calibration_applied", ms_path=C, caltable_path="/cal/gone.B",
               applied_at=now, success=0, error_message="table missing")
        insert(conn, "calibration_qa", ms_path=A, job_id=job["id"], timestamp=now,
               overall_quality="good",
               per_spw_stats='[{"spw_id": 3, "fraction_flagged": 0.9}]')
    db.dispose()
    running = start_server(ds.env())
    yield running, {"image": image["id"], "job": job["id"], "table": table["id"]}
    running.stop()


def get(server, path):
    status, body = server.get(path)
    return status, body


def test_page_with_total_and_derived_columns(served):
    server, _ = served
    status, body = get(server, "/api/v1/ms?order=asc&funnel=1")
    assert status == 200
    assert body["total"] == 3 and [m["path"] for m in body["measurement_sets"]] == [A, B, C]
    first, second, third = body["measurement_sets"]
    assert first["calibration_applied"] is True and first["n_images"] == 1
    assert first["stuck"] is False and second["stuck"] is True and third["stuck"] is True
    assert third["calibration_applied"] is False
    assert first["url"] == f"/api/v1/ms/{q(A)}"
    funnel = {(f["stage"], f["status"]): (f["count"], f["stuck"]) for f in body["funnel"]}
    assert funnel[("converted", "pending")] == (1, 1)
    reasons = {s["path"]: s["reason"] for s in body["stuck"]}
    assert reasons == {B: None, C: "calibration failed: table missing"}
    assert body["stuck_hours"] == 6.0 and body["missing"] == []


@pytest.mark.parametrize("query, expected", [
    ("stage=converted,calibrated", [C, B]),
    ("status=completed", [A]),
    ("cal=yes", [A]),
    ("cal=no", [C, B]),
    ("stuck=1", [C, B]),
    ("stuck=1&stage=calibrated", [C]),
    ("q=00:05", [B]),
    (f"from={MJD0 + 0.001}&to={MJD0 + 0.005}", [B]),
    ("sort=path&order=desc&limit=1&offset=1", [B]),
])
def test_filters(served, query, expected):
    server, _ = served
    status, body = get(server, f"/api/v1/ms?{query}")
    assert status == 200, body
    assert [m["path"] for m in body["measurement_sets"]] == expected


@pytest.mark.parametrize("query, parameter", [
    ("sort=nope", "sort"), ("order=up", "order"), ("limit=0", "limit"),
    ("limit=100000", "limit"), ("offset=-1", "offset"), ("cal=maybe", "cal"),
    ("from=yesterday-ish", "from"), ("from=60970&to=60960", "from"), ("funnel=2", "funnel"),
    ("q=" + "x" * 201, "q"),
])
def test_bad_parameters_are_named(served, query, parameter):
    server, _ = served
    status, body = get(server, f"/api/v1/ms?{query}")
    assert status == 400, body
    assert body["error"] == "invalid_parameter" and body["details"]["parameter"] == parameter


def test_one_measurement_set(served):
    server, ids = served
    status, body = get(server, f"/api/v1/ms/{q(A)}")
    assert status == 200
    assert body["path"] == A and body["stage"] == "photometry_complete"
    assert body["calibration_applied"] is True
    assert body["subbands"]["missing"] == ["sb15"] and len(body["subbands"]["present"]) == 15
    assert [i["id"] for i in body["images"]] == [ids["image"]]
    assert body["images"][0]["page"] == f"/images/{ids['image']}"
    assert [j["page"] for j in body["jobs"]] == [f"/jobs/{ids['job']}"]
    assert body["previous"] is None and body["next"]["path"] == B
    status, middle = get(server, f"/api/v1/ms/{q(B)}")
    assert middle["previous"]["path"] == A and middle["next"]["path"] == C
    assert middle["subbands"] is None  # no group id: cannot say


def test_calibration_applied_with_quality(served):
    server, ids = served
    status, body = get(server, f"/api/v1/ms/{q(A)}/calibration")
    assert status == 200
    (applied,) = body["applied"]
    assert applied["quality"] == 0.93 and applied["success"] is True
    assert applied["table"]["id"] == ids["table"] and applied["table"]["table_type"] == "K"
    assert applied["table"]["quality_metrics"] == {"snr": 42.0}
    assert body["qa"][0]["problematic_spws"] == [3]
    status, failed = get(server, f"/api/v1/ms/{q(C)}/calibration")
    assert failed["applied"][0]["table"] is None  # not in the registry: shown as such
    assert failed["applied"][0]["error_message"] == "table missing"


@pytest.mark.parametrize("path", [
    "/api/v1/ms/" + q("/etc/passwd"),
    "/api/v1/ms/" + q("/etc/passwd") + "/calibration",
    "/api/v1/ms/" + q("../../pipeline.sqlite3"),
    "/api/v1/ms/nothing.ms",
])
def test_unregistered_paths_are_404_json(served, path):
    server, _ = served
    status, body = get(server, path)
    assert status == 404 and body["error"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/ms", f"/api/v1/ms/{q(A)}",
                                  f"/api/v1/ms/{q(A)}/calibration", "/api/v1/ms?sort=nope",
                                  "/api/v1/ms/nothing.ms"])
def test_head_is_get_without_the_body(served, path):
    server, _ = served
    get_status, get_headers, get_body = request(server.url, "GET", path)
    status, headers, body = request(server.url, "HEAD", path)
    assert status == get_status != 405 and body == b""
    assert headers["content-length"] == str(len(get_body))


def test_without_calibration_tables_the_endpoints_and_pages_answer(tmp_path):
    ds = make_dataset(tmp_path)
    db = Database(settings_for(str(ds.db_path)))
    with db.transaction() as conn:
        insert(conn, "ms_index", path=A, mid_mjd=MJD0, stage="calibrated", status="completed",
               cal_applied=1)
        for table in ("calibration_applied", "calibration_qa"):
            conn.exec_driver_sql(f"DROP TABLE {table}")
    db.dispose()
    server = start_server(ds.env())
    try:
        status, body = get(server, "/api/v1/ms?cal=yes")
        assert status == 200 and [m["path"] for m in body["measurement_sets"]] == [A]
        assert {"calibration_applied", "calibration_qa"} <= set(body["missing"])
        status, body = get(server, f"/api/v1/ms/{q(A)}/calibration")
        assert status == 200 and body["applied"] == [] and body["qa"] == []
        assert body["missing"] == ["calibration_applied", "calibration_qa"]
        for page in ("/ms", f"/ms/{q(A)}"):
            status, _headers, html = request(server.url, "GET", page)
            assert status == 200 and b"<html" in html.lower()
    finally:
        server.stop()

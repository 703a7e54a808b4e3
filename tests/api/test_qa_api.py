"""GET /api/v1/qa/trends on a real server over SQLite and over PostgreSQL: binned series
with nulls (not zeros) where nothing was measured, the declination strip, every bad
parameter a 400 naming it, HEAD."""

from __future__ import annotations

import pytest

from api_helpers import fetch
from dbsupport import settings_for
from dsa110_dashboard.db.engine import Database
from factories import MJD0, defaults, insert
from server import start_server


@pytest.fixture
def served(db_url, tmp_path):
    db = Database(settings_for(db_url))
    with db.transaction() as conn:
        for n in range(6):
            insert(conn, "ms_index", **defaults("ms_index", n))
            insert(conn, "images", **{**defaults("images", n),
                                      "dynamic_range": None if n == 5 else 500.0 + n,
                                      "center_dec_deg": 16.3 if n == 4 else 54.57})
        insert(conn, "image_qa", **{**defaults("image_qa", 0), "num_sources": 140,
                                    "overall_quality": "excellent"})
    db.dispose()
    running = start_server({"DSA110_DASH_DB": db_url, "DSA110_DASH_DATA_DIR": str(tmp_path)})
    yield running
    running.stop()


def test_trends_binned(served):
    reply = fetch(served.url, f"/api/v1/qa/trends?metric=dynamic_range&from={MJD0 - 0.01}"
                              f"&to={MJD0 + 0.04}&bins=5")
    assert reply.status == 200, reply.body
    body = reply.json()
    assert body["metric"] == "dynamic_range" and len(body["bins"]) == 5
    assert sum(b["n_images"] for b in body["bins"]) == 6
    assert sum(b["n_measured"] for b in body["bins"]) == 5  # image 5 has no DR: counted
    assert all(b["median"] is None for b in body["bins"] if b["n_measured"] == 0)
    grades: dict[str, int] = {}
    for b in body["bins"]:
        for grade, n in b["grades"].items():
            grades[grade] = grades.get(grade, 0) + n
    assert grades == {"excellent": 1, "good": 4, "unknown": 1}  # image 0's is measured
    strip = fetch(served.url, f"/api/v1/qa/trends?metric=noise&from={MJD0 - 0.01}"
                              f"&to={MJD0 + 0.04}&bins=1&dec_min=50&dec_max=60").json()
    assert strip["bins"][0]["n_images"] == 5
    by_date = fetch(served.url, "/api/v1/qa/trends?metric=num_sources"
                                "&from=2025-10-17&to=2025-10-17T03:00&bins=1").json()
    assert by_date["bins"][0]["n_measured"] == 1 and by_date["bins"][0]["median"] == 140
    unmeasured = fetch(served.url, f"/api/v1/qa/trends?metric=flux_scale_ratio"
                                   f"&from={MJD0}&to={MJD0 + 1}&bins=2").json()
    assert unmeasured["measured"] is False
    assert all(b["median"] is None for b in unmeasured["bins"])
    for query, parameter in [
            ("metric=drop%20table", "metric"), ("", "metric"),
            ("metric=noise&from=yesterday", "from"), ("metric=noise&to=99999999", "to"),
            (f"metric=noise&from={MJD0 + 1}&to={MJD0}", "to"),
            ("metric=noise&bins=0", "bins"), ("metric=noise&bins=x", "bins"),
            ("metric=noise&bins=100000", "bins"), ("metric=noise&dec_min=91", "dec_min"),
            ("metric=noise&dec_min=nan", "dec_min"),
            ("metric=noise&dec_min=60&dec_max=50", "dec_max"),
            (f"metric=noise&from={MJD0 - 4000}&to={MJD0}", "to")]:
        reply = fetch(served.url, f"/api/v1/qa/trends?{query}")
        assert reply.status == 400, query
        assert reply.json()["details"]["parameter"] == parameter, query
    import urllib.request

    request = urllib.request.Request(served.url + "/api/v1/qa/trends?metric=noise",
                                     method="HEAD")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200 and response.read() == b""

"""The QA endpoints of an image and of a measurement set on a real server, on SQLite and
on PostgreSQL (issue 15, decision 0058): every image_qa row with who measured it and the
catalogue values, the grade and its kind (measured or derived), people's flags; the
calibration QA of an MS with its grade from the flagged fraction; 404 for an unknown image
or an unregistered path, 400 naming a bad parameter, HEAD."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from dbsupport import settings_for
from factories import MJD0, insert
from server import start_server
from test_head import request

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.flags import ImageFlags
from dsa110_dashboard.repositories.qa_catalogue import ImageQACatalogueRepository

MS = "/data/ms/2025-10-17T00:00:00.ms"
OTHER = "/data/ms/2025-10-17T00:05:00.ms"
NO_QA = "/data/ms/2025-10-17T00:10:00.ms"


def q(path: str) -> str:
    return urllib.parse.quote(path, safe="")


def seed(db: Database) -> dict[str, int]:
    now = time.time()
    with db.transaction() as conn:
        insert(conn, "ms_index", path=MS, mid_mjd=MJD0, stage="imaged", status="completed")
        insert(conn, "ms_index", path=OTHER, mid_mjd=MJD0 + 0.003, stage="imaged")
        insert(conn, "ms_index", path=NO_QA, mid_mjd=MJD0 + 0.007, stage="converted")
        assessed = insert(conn, "images", path="/img/a.fits", ms_path=MS, dynamic_range=5.0)
        never = insert(conn, "images", path="/img/b.fits", ms_path=MS, dynamic_range=250.0)
        insert(conn, "image_qa", ms_path=MS, job_id=7, image_path="/img/a.fits",
               rms_noise=4e-4, dynamic_range=90.0, overall_quality="marginal",
               timestamp=now - 3600)
        batch = insert(conn, "image_qa", ms_path=MS, job_id=0, image_path="/img/a.fits",
                       rms_noise=3e-4, peak_flux=0.6, dynamic_range=2000.0, num_sources=212,
                       beam_major=18.0, beam_minor=15.0, beam_pa=0.0,
                       overall_quality="excellent", timestamp=now)
        ImageQACatalogueRepository(db).write(
            conn, int(batch["id"]), "/img/a.fits",
            {"flux_scale_ratio": 0.97, "astrometry_offset_arcsec": 1.2, "n_catalogue": 180,
             "n_matched": 150}, now)
        insert(conn, "calibration_qa", ms_path=MS, job_id=3, timestamp=now - 60,
               overall_quality="good", flags_total=0.12,
               per_spw_stats=json.dumps([{"spw_id": 0, "fraction_flagged": 0.1},
                                         {"spw_id": 1, "fraction_flagged": 0.9,
                                          "is_problematic": True}]))
        insert(conn, "calibration_qa", ms_path=MS, job_id=4, timestamp=now,
               overall_quality="excellent", per_spw_stats="not json")
        insert(conn, "calibration_qa", ms_path=OTHER, job_id=5, timestamp=now,
               flags_total=1234.0,  # a count, not a fraction: the SPWs' mean is used
               per_spw_stats=json.dumps([{"spw_id": 0, "fraction_flagged": 0.2},
                                         {"spw_id": 1, "fraction_flagged": 0.8}]))
    flags = ImageFlags(db)
    flags.flag([int(assessed["id"])], "unsure", "stripes?", "alice", at=now - 10)
    flags.flag([int(assessed["id"])], "bad", "stripes across the field", "bob", at=now)
    return {"assessed": int(assessed["id"]), "never": int(never["id"])}


@pytest.fixture
def served(db_url):
    db = Database(settings_for(db_url))
    ids = seed(db)
    db.dispose()
    running = start_server({"DSA110_DASH_DB": db_url})
    yield running, ids
    running.stop()


def test_qa_endpoints(served):
    server, ids = served
    status, body = server.get(f"/api/v1/qa/image/{ids['assessed']}")
    assert status == 200
    assert body["grade"] == {"value": "excellent", "kind": "measured", "failed_qa": False,
                             "from": "overall_quality of the latest image_qa row"}
    assert body["total"] == 2 and [r["job_id"] for r in body["rows"]] == [0, 7]
    latest = body["latest"]
    assert latest == body["rows"][0] and latest["num_sources"] == 212
    assert latest["measured_by"] == "qa batch (from the pixels)"
    assert latest["catalogue"] == {"flux_scale_ratio": 0.97, "astrometry_offset_arcsec": 1.2,
                                   "n_catalogue": 180, "n_matched": 150}
    assert body["rows"][1]["measured_by"] == "pipeline job 7"
    assert body["rows"][1]["catalogue"] is None  # the pipeline keeps none: null, not 0
    assert body["flag"]["verdict"] == "bad" and body["flag"]["user"] == "bob"
    assert [f["verdict"] for f in body["flag_history"]] == ["bad", "unsure"]
    assert body["page"] == f"/images/{ids['assessed']}" and body["missing"] == []

    status, body = server.get(f"/api/v1/qa/image/{ids['assessed']}?limit=1")
    assert status == 200 and body["total"] == 2 and len(body["rows"]) == 1

    status, body = server.get(f"/api/v1/qa/image/{ids['never']}")
    assert status == 200 and body["rows"] == [] and body["latest"] is None
    assert body["grade"]["kind"] == "derived-from-dynamic-range"
    assert body["grade"]["value"] == "good" and body["flag"] is None

    status, body = server.get(f"/api/v1/qa/ms/{q(MS)}")
    assert status == 200 and body["total"] == 2
    newest, older = body["rows"]
    assert newest["job_id"] == 4 and newest["per_spw_stats"] is None
    assert (newest["flagged_fraction"], newest["grade_from_flagged"]) == (None, "unknown")
    assert older["problematic_spws"] == [1] and older["grade_from_flagged"] == "good"
    assert older["flagged_fraction_from"] == "flags_total"
    assert body["page"] == f"/ms/{q(MS)}"
    status, body = server.get(f"/api/v1/qa/ms/{q(OTHER)}")
    assert status == 200 and body["total"] == 1
    assert body["latest"]["flagged_fraction"] == pytest.approx(0.5)
    assert body["latest"]["flagged_fraction_from"] == "per_spw_stats"
    assert body["latest"]["grade_from_flagged"] == "poor"
    status, body = server.get(f"/api/v1/qa/ms/{q(NO_QA)}")  # registered, never assessed
    assert status == 200 and body["rows"] == [] and body["latest"] is None

    for path, code, parameter in [
            ("/api/v1/qa/image/999999", 404, None),
            ("/api/v1/qa/image/99999999999999999999999", 404, None),
            ("/api/v1/qa/image/abc", 400, "id"),
            ("/api/v1/qa/image/-1", 400, "id"),
            (f"/api/v1/qa/image/{ids['assessed']}?limit=0", 400, "limit"),
            (f"/api/v1/qa/image/{ids['assessed']}?limit=abc", 400, "limit"),
            (f"/api/v1/qa/image/{ids['assessed']}?limit=1001", 400, "limit"),
            (f"/api/v1/qa/ms/{q('/data/ms/nope.ms')}", 404, None),
            (f"/api/v1/qa/ms/{q('../../etc/passwd')}", 404, None),
            (f"/api/v1/qa/ms/{q(MS + chr(0))}", 404, None),
            (f"/api/v1/qa/ms/{q('x' * 5000)}", 404, None),
            (f"/api/v1/qa/ms/{q(MS)}?limit=-3", 400, "limit")]:
        status, body = server.get(path)
        assert status == code, path
        assert body["error"] == ("not_found" if code == 404 else "invalid_parameter")
        if parameter:
            assert body["details"]["parameter"] == parameter, path
        assert "Traceback" not in json.dumps(body)

    for path in (f"/api/v1/qa/image/{ids['assessed']}", f"/api/v1/qa/ms/{q(MS)}"):
        status, headers, raw = request(server.url, "HEAD", path)
        assert status == 200 and raw == b""
        assert headers["content-type"].startswith("application/json")
    status, _, raw = request(server.url, "HEAD", "/api/v1/qa/image/999999")
    assert status == 404 and raw == b""

"""GET /api/v1/health on real servers: what a monitor reads from it.

503 only when the database is unreachable (critical), 200 otherwise with ``degraded``
for a stale pipeline (the Overview's freshness light) or an unusable cache; a database
file deleted under the running server is never replaced by a new empty one.
"""

from __future__ import annotations

import logging
import shutil
import time

import pytest

from api_helpers import fetch, png_size
from api_dataset import make_dataset
from dbsupport import settings_for
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.status.lights import FRESHNESS_RULE
from factories import insert
from server import start_server

YEAR = 365 * 86400.0


def database_with_newest_image_at(path, created_at: float) -> None:
    db = Database(settings_for(str(path)))
    migrate.upgrade(db)
    with db.transaction() as conn:
        insert(conn, "images", path=str(path.parent / "old-image.fits"),
               created_at=created_at - 3600)
        insert(conn, "images", path=str(path.parent / "new-image.fits"), created_at=created_at)
    db.dispose()


@pytest.fixture
def serve(tmp_path):
    running = []

    def start(db_path, **env):
        server = start_server({"DSA110_DASH_DB": str(db_path),
                               "DSA110_DASH_DATA_DIR": str(db_path.parent),
                               "DSA110_DASH_CACHE_DIR": str(tmp_path / "cache"), **env})
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()


@pytest.mark.parametrize("age_s, state, status", [
    (YEAR, "bad", "degraded"), (30 * 60, "warn", "degraded"), (60, "ok", "ok")])
def test_health_carries_the_overviews_freshness(serve, tmp_path, age_s, state, status):
    db_path = tmp_path / "pipeline.sqlite3"
    newest = time.time() - age_s
    database_with_newest_image_at(db_path, newest)
    reply = fetch(serve(db_path).url, "/api/v1/health")
    assert reply.status == 200, "a stale pipeline is a warning, not an outage"
    body = reply.json()
    assert body["status"] == status
    assert body["database"]["ok"] is True and body["database"]["dialect"] == "sqlite"
    fresh = body["pipeline"]["freshness"]
    assert fresh["state"] == state and fresh["rule"] == FRESHNESS_RULE
    assert fresh["latest_image_at"] == pytest.approx(newest)
    assert fresh["seconds_since_latest_image"] == pytest.approx(age_s, abs=60)
    assert body["cache"] == {"ok": True}


def test_a_deleted_database_is_503_and_never_recreated(serve, tmp_path):
    db_path = tmp_path / "pipeline.sqlite3"
    database_with_newest_image_at(db_path, time.time())
    with Database(settings_for(str(db_path))).connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    backup = tmp_path / "backup.sqlite3"
    shutil.copy(db_path, backup)
    server = serve(db_path)
    assert fetch(server.url, "/api/v1/images/1/thumbnail.png").status == 200

    db_path.unlink()
    reply = fetch(server.url, "/api/v1/health")
    assert reply.status == 503
    body = reply.json()
    assert body["status"] == "unavailable" and body["database"]["ok"] is False
    assert "does not exist" in body["database"]["error"]
    assert str(tmp_path) not in reply.body.decode(), "no server path without sign-in"
    for path in ("/api/v1/images/1/thumbnail.png", "/api/v1/images/1/fits",
                 "/api/v1/images.csv"):
        answer = fetch(server.url, path)
        assert answer.status == 503, path
        assert answer.json()["error"] == "database_unavailable"
        assert answer.headers["Retry-After"] == "10", "a client is told when to try again"
    assert server.get("/")[0] == 200, "pages still load and say so in their banner"
    assert not db_path.exists(), "the server created no new, empty database"

    shutil.copy(backup, db_path)
    assert fetch(server.url, "/api/v1/health").status == 200
    assert fetch(server.url, "/api/v1/images/1/thumbnail.png").status == 200


def test_an_unusable_cache_serves_uncached_pngs_and_degrades_health(tmp_path, caplog):
    dataset = make_dataset(tmp_path / "api")
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where the cache directory's parent should be")
    server = start_server(dataset.env(DSA110_DASH_CACHE_DIR=str(blocker / "cache")))
    try:
        with caplog.at_level(logging.WARNING):
            for size in (40, 50, 60, 40):
                reply = fetch(server.url,
                              f"/api/v1/images/{dataset.ids['square']}/thumbnail.png"
                              f"?size={size}")
                assert reply.status == 200 and png_size(reply.body)[0] == size
                assert reply.headers["Cache-Control"] == "no-store"
                assert reply.headers["X-Thumbnail-Cache"] == "off"
        health = fetch(server.url, "/api/v1/health")
        assert health.status == 200
        body = health.json()
        assert body["status"] == "degraded" and body["database"]["ok"] is True
        assert body["cache"]["ok"] is False and body["cache"]["state"] == "degraded"
        assert "Not a directory" in body["cache"]["reason"]
        assert str(tmp_path) not in health.body.decode()
    finally:
        server.stop()
    warnings = [r for r in caplog.records if r.getMessage().startswith("Thumbnail cache")]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]

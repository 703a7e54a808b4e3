"""Clients that never read an export or download starve nothing else (issue #10, item 1).

A real server over a 40,000-image SQLite database (an export of ~13 MB, far more than
the socket buffers hold) and real files; raw sockets that send a request and never
read, with a small receive buffer. Bounded and local: 16 sockets, one server each.
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from api_helpers import WAIT, fetch, png_size, stall, status_of, wait_answered, wait_for
from api_dataset import CELL, DEC0, RA0
from dbsupport import settings_for
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.fits.synth import sky_image, write_dsa110_fits
from dsa110_dashboard.scale import fill_database
from factories import UNIX0, insert
from server import start_server

N_IMAGES = 40_000
STALLED = 16
ANSWER_BOUND = 2.0  # seconds: the bound for interactive answers under the load
BIG_FILE_BYTES = 24 * 1024 * 1024


@dataclass
class BigDataset:
    root: Path
    db_path: Path
    image_id: int  # a real small FITS image
    big_id: int  # a 24 MB file
    source_id: str

    def env(self, **extra: str) -> dict[str, str]:
        return {"DSA110_DASH_DB": str(self.db_path),
                "DSA110_DASH_DATA_DIR": str(self.root / "data"),
                "DSA110_DASH_CACHE_DIR": str(self.root / "cache"), **extra}


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> BigDataset:
    root = tmp_path_factory.mktemp("load")
    images = root / "data" / "images"
    images.mkdir(parents=True)
    small = images / "small-image.fits"
    write_dsa110_fits(small, sky_image((128, 128), [(64, 64, 0.5)], beam_fwhm_pix=3.0),
                      center_ra=RA0, center_dec=DEC0, cell_arcsec=CELL)
    large = images / "large-image.fits"
    with open(large, "wb") as out:  # a FITS header block, then bytes to stream
        out.write(b"SIMPLE  =                    T".ljust(2880, b" "))
        out.truncate(BIG_FILE_BYTES)
    db_path = root / "data" / "pipeline.sqlite3"
    db = Database(settings_for(str(db_path)))
    fill_database(db, images=N_IMAGES, sources=5, epochs=3, seed=5)
    with db.transaction() as conn:
        image_id = insert(conn, "images", path=str(small), created_at=UNIX0)["id"]
        big_id = insert(conn, "images", path=str(large), created_at=UNIX0 + 300)["id"]
        source_id = conn.execute(sa.text(
            "SELECT source_id FROM photometry ORDER BY id LIMIT 1")).scalar_one()
    db.dispose()
    return BigDataset(root, db_path, int(image_id), int(big_id), source_id)


@pytest.fixture(scope="module")
def loaded_server(big):
    running = start_server(big.env())  # the defaults: 2 stream slots
    yield running
    running.stop()


def test_stalled_export_readers_starve_nothing_else(loaded_server, big):
    url = loaded_server.url
    thumbnail = f"/api/v1/images/{big.image_id}/thumbnail.png"
    lightcurve = f"/api/v1/sources/{urllib.parse.quote(big.source_id)}/lightcurve"
    for path in ("/api/v1/health", thumbnail + "?size=64", lightcurve):  # warm up
        assert fetch(url, path).status == 200

    socks = stall(url, "/api/v1/images.csv", STALLED)
    try:
        wait_answered(socks)
        health = fetch(url, "/api/v1/health", timeout=ANSWER_BOUND)
        assert health.status == 200 and health.json()["database"]["ok"] is True
        fresh = fetch(url, thumbnail + "?size=96", timeout=ANSWER_BOUND)  # a new render
        assert fresh.status == 200 and png_size(fresh.body) == (96, 96)
        curve = fetch(url, lightcurve, timeout=ANSWER_BOUND)
        assert curve.status == 200 and curve.json()["data"]

        # Beyond the stream slots, exports and downloads are refused at once.
        for path in ("/api/v1/images.csv?type=pbcor", f"/api/v1/images/{big.image_id}/fits"):
            busy = fetch(url, path, timeout=ANSWER_BOUND)
            assert busy.status == 503 and busy.headers["Retry-After"] == "10"
            assert busy.json()["error"] == "server_busy"
            assert "DSA110_DASH_EXPORT_CONCURRENCY" in busy.json()["message"]

        statuses = sorted(status_of(s)[0] for s in socks)
        assert statuses == [200] * 2 + [503] * (STALLED - 2)
    finally:
        for sock in socks:
            sock.close()
    # Readers that went away give their slots back.
    wait_for(lambda: fetch(url, "/api/v1/images.csv?type=pbcor").status == 200,
             "an export once the stalled readers closed")


@pytest.fixture(scope="module")
def impatient_server(big):
    running = start_server(big.env(DSA110_DASH_TIMEOUT_SLOW_CLIENT="1",
                                   DSA110_DASH_EXPORT_CONCURRENCY="1"))
    yield running
    running.stop()


@pytest.mark.parametrize("what", ["export", "download"])
def test_a_client_that_stops_reading_is_dropped_and_its_slot_freed(
        impatient_server, big, caplog, what):
    caplog.set_level(logging.INFO, logger="dsa110_dashboard.api")
    url = impatient_server.url
    path = {"export": "/api/v1/images.csv",
            "download": f"/api/v1/images/{big.big_id}/fits"}[what]

    def dropped() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "dropped the connection" in r.getMessage()
                and path in r.getMessage()]

    (sock,) = stall(url, path, 1)
    try:
        status, _ = status_of(sock)  # headers and the first bytes; then no more reading
        assert status == 200
        wait_for(dropped, "the server dropping the reader that stopped")
        assert "DSA110_DASH_TIMEOUT_SLOW_CLIENT" in dropped()[0].getMessage()
        # The one slot is free again (once the handler has closed its cursor or file):
        # the same request is answered in full.
        replies = []
        wait_for(lambda: replies.append(fetch(url, path)) or replies[-1].status == 200,
                 "the freed slot answering the same request")
        reply = replies[-1]
        if what == "download":
            assert len(reply.body) == BIG_FILE_BYTES
        else:
            assert reply.body.count(b"\n") == N_IMAGES + 2 + 1  # header row + every image
    finally:
        sock.close()
    assert len(dropped()) == 1

"""GET /api/v1/images.csv: every filtered row, streamed, with the page's filter arguments."""

from __future__ import annotations

import csv
import io
import logging
import urllib.request

import pandas as pd
import pytest
import sqlalchemy as sa
from api_helpers import WAIT, stall, status_of, wait_for
from dbsupport import settings_for
from factories import MJD0, UNIX0, insert
from server import start_server

from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.scale import fill_database

N = 1234  # more than one export chunk and more than a page
PAGE_SIZE_MAX = 40


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "pipeline.sqlite3"
    db = Database(settings_for(str(path)))
    migrate.upgrade(db)
    with db.transaction() as conn:
        for n in range(N):
            ms = insert(conn, "ms_index", path=f"/data/ms/x{n:05d}.ms",
                        mid_mjd=MJD0 + n * 300 / 86400)
            row = insert(conn, "images", path=f"/data/images/x{n:05d}, \"odd\"-image.fits",
                         ms_path=ms["path"], created_at=UNIX0 + n * 300,
                         type="5min" if n % 4 else "pbcor", noise_jy=(1 + n % 10) * 1e-4,
                         center_dec_deg=None if n % 50 == 0 else 54.57)
            if n % 100 == 0:
                insert(conn, "image_qa", image_path=row["path"], ms_path=ms["path"],
                       overall_quality="poor")
    db.dispose()
    running = start_server({"DSA110_DASH_DB": str(path), "DSA110_DASH_EXPORT_MAX_ROWS": "1000",
                            "DSA110_DASH_PAGE_SIZE_MAX": str(PAGE_SIZE_MAX)})
    yield running
    running.stop()


def fetch(server, query: str):
    with urllib.request.urlopen(server.url + "/api/v1/images.csv" + query, timeout=30) as r:
        return r.status, dict(r.headers), r.read().decode("utf-8")


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(
        "".join(line for line in text.splitlines(True) if not line.startswith("#")))))


def test_filtered_export_has_every_matching_row(server):
    status, headers, text = fetch(server, "?type=pbcor&sort=noise_jy&order=asc&page=2&size=25")
    rows = rows_of(text)
    assert status == 200 and headers["Content-Type"].startswith("text/csv")
    assert "attachment" in headers["Content-Disposition"]
    assert len(text.splitlines()) == 1 + int(headers["X-Total-Rows"]) == 1 + N // 4 + 1
    assert len(rows) == int(headers["X-Export-Rows"]) and headers["X-Export-Truncated"] == "false"
    assert {r["type"] for r in rows} == {"pbcor"}
    noise = [float(r["noise_jy"]) for r in rows]
    assert noise == sorted(noise)  # the page's order, all pages
    assert rows[0]["obs_time_utc"].startswith("2025-10-")
    assert '"odd"' in rows[0]["path"]  # quoting survives the round trip


def test_grade_filter_and_whole_table_capped(server):
    _, headers, text = fetch(server, "?grade=poor")
    assert int(headers["X-Total-Rows"]) == len(rows_of(text)) == 13
    _, headers, text = fetch(server, "")
    assert headers["X-Total-Rows"] == str(N) and headers["X-Export-Truncated"] == "true"
    assert headers["X-Export-Max-Rows"] == "1000"
    assert len(rows_of(text)) == 1000
    assert headers["Content-Disposition"].endswith('-first1000of1234.csv"')
    assert "#" not in text  # no note inside: plain CSV


def test_pandas_reads_it_without_options_times_iso_utc_and_mjd(server):
    _, headers, text = fetch(server, "?sort=id&order=asc")
    frame = pd.read_csv(io.StringIO(text))
    assert len(frame) == 1000 and frame["id"].dtype == "int64"
    assert frame["mjd"].dtype == "float64" and frame["noise_jy"].dtype == "float64"
    assert "created_at" not in frame and "imsize_x_px" in frame and "imsize_y_px" in frame
    assert frame["obs_time_utc"].iloc[0].endswith("Z")
    obs = pd.to_datetime(frame["obs_time_utc"])
    assert str(obs.dt.tz) == "UTC"
    expected = pd.to_datetime((MJD0 - 40587.0) * 86400 + frame.index * 300, unit="s",
                              utc=True)
    assert (abs(obs - expected) < pd.Timedelta(milliseconds=1)).all()
    assert (abs((frame["mjd"] - 40587.0) * 86400 - (obs - pd.Timestamp(0, tz="UTC"))
                .dt.total_seconds()) < 1e-3).all()
    created = pd.to_datetime(frame["created_at_utc"])
    assert (created == pd.to_datetime(UNIX0 + frame.index * 300, unit="s", utc=True)).all()


def test_chunked_transfer(server):
    request = urllib.request.Request(server.url + "/api/v1/images.csv?type=5min")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.headers.get("Transfer-Encoding") == "chunked"
        assert response.headers.get("Content-Length") is None
        response.read()


def test_unknown_declination_left_out_unless_with_unknown(server):
    unknown = len(range(0, N, 50))
    _, headers, _ = fetch(server, "?dec_min=50")
    assert int(headers["X-Total-Rows"]) == N - unknown
    _, headers, text = fetch(server, "?dec_min=50&with_unknown=1&type=pbcor")
    rows = rows_of(text)
    assert int(headers["X-Total-Rows"]) == len(rows) == N // 4 + 1
    assert sum(1 for r in rows if r["center_dec_deg"] == "") == len(range(0, N, 100))


@pytest.mark.parametrize("query, parameter", [
    ("?dec_min=abc", "dec_min"), ("?grade=superb", "grade"), ("?sort=password", "sort"),
    ("?from=yesterday", "from"), ("?order=sideways", "order"), ("?size=0", "size"),
    ("?from=0001-01-01T00:00%2B14:00", "from"), ("?to=9999-12-31T23:59-14:00", "to"),
    ("?with_unknown=maybe", "with_unknown"),
])
def test_bad_parameter_is_a_400_naming_it(server, query, parameter):
    status, body = server.get("/api/v1/images.csv" + query)
    assert status == 400 and body["details"]["parameter"] == parameter and body["message"]


def test_the_page_size_is_limited_by_the_setting(server):
    status, _ = server.get(f"/api/v1/images.csv?size={PAGE_SIZE_MAX}")
    assert status == 200
    status, body = server.get(f"/api/v1/images.csv?size={PAGE_SIZE_MAX + 1}")
    assert status == 400 and body["details"]["parameter"] == "size"
    assert f"<= {PAGE_SIZE_MAX}" in body["message"]


def test_a_database_failure_mid_export_breaks_the_transfer(make_pg_database, caplog):
    """Rows already sent cannot be taken back: the body must not end cleanly, or the
    client would keep a truncated file as if it were whole."""
    caplog.set_level(logging.INFO, logger="dsa110_dashboard.api")
    url = make_pg_database()
    db = Database(settings_for(url))
    fill_database(db, images=20_000, sources=2, epochs=1, seed=2)  # ~7 MB of CSV
    db.dispose()
    running = start_server({"DSA110_DASH_DB": url})
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        (sock,) = stall(running.url, "/api/v1/images.csv", 1)
        status, head = status_of(sock)
        assert status == 200

        def kill_the_export_cursor() -> bool:  # its connection waits, in a transaction
            with admin.connect() as conn:
                return bool(conn.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                    "AND application_name = 'dsa110-dashboard' "
                    "AND state = 'idle in transaction'").fetchall())

        wait_for(kill_the_export_cursor, "the export's cursor waiting for the client")
        sock.settimeout(WAIT)
        received = head.encode("latin-1")
        while chunk := sock.recv(1 << 20):
            received += chunk
        sock.close()
    finally:
        admin.dispose()
        running.stop()
    body = received.split(b"\r\n\r\n", 1)[1]
    assert b"id,obs_time_utc" in body
    assert not body.endswith(b"0\r\n\r\n"), "the chunked body ended as if complete"
    assert body.count(b"\n") < 20_000
    failures = [r.getMessage() for r in caplog.records if "/api/v1/images.csv" in
                r.getMessage() and r.name.startswith("dsa110_dashboard.api")]
    assert len(failures) == 1, failures
    assert "broke off the response" in failures[0] and "database" in failures[0]

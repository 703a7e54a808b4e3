"""HEAD answers like GET without the body, on every endpoint and page (issue #10, item 9).

Monitors and link checkers use HEAD; Tornado and Bokeh answered it with 405.
"""

from __future__ import annotations

import http.client
import re
import urllib.parse

import pytest

from api_dataset import DEC0, RA0, make_dataset
from dbsupport import settings_for
from dsa110_dashboard.db.engine import Database
from factories import MJD0, insert
from hashes import quick_hash
from server import start_server

SOURCE = "NVSS J100000.0+543412"
#: Headers that may differ between two answers to the same request.
VOLATILE = {"date", "transfer-encoding", "x-thumbnail-cache", "etag"}
#: Bodies that change from one answer to the next (health: the time and the latency).
CHANGING = ("/api/v1/health",)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    ds = make_dataset(tmp_path_factory.mktemp("head"))
    db = Database(settings_for(str(ds.db_path)))
    with db.transaction() as conn:
        for i in range(3):
            insert(conn, "photometry", source_id=SOURCE, image_path=str(ds.paths["square"]),
                   ra_deg=RA0, dec_deg=DEC0, mjd=MJD0 + i, flux_jy=0.05, flux_err_jy=0.001)
    db.dispose()
    running = start_server(ds.env())
    yield running, ds.ids
    running.stop()


def request(url: str, method: str, path: str, **headers: str):
    """One request, redirects not followed: (status, {lower-case header: value}, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


def same_headers(get: dict, head: dict, ignore: tuple[str, ...] = ()) -> None:
    def comparable(headers: dict) -> dict:
        out = {k: v for k, v in headers.items() if k not in VOLATILE and k not in ignore}
        if "content-disposition" in out:  # the export's name carries the second
            out["content-disposition"] = re.sub(r"\d{8}T\d{6}Z", "<stamp>",
                                                out["content-disposition"])
        return out

    assert comparable(head) == comparable(get)


ENDPOINTS = [
    "/api/v1/health",
    "/api/v1/images/{square}/thumbnail.png?size=64",
    "/api/v1/images/{corrupt}/thumbnail.png",  # the placeholder
    "/api/v1/images/{square}/fits",
    "/api/v1/images/{square}/cutout.png?ra=150&dec=54.57&size=300",
    "/api/v1/images/{square}/cutout.fits?ra=150&dec=54.57&size=300",
    "/api/v1/sources/NVSS%20J100000.0%2B543412/lightcurve",
    "/api/v1/sources/NVSS%20J100000.0%2B543412/lightcurve?format=votable",
    # errors answer HEAD with their status too
    "/api/v1/images/{square}/thumbnail.png?size=abc",
    "/api/v1/images/{casa}/fits",
    "/api/v1/images/{outside}/fits",
    "/api/v1/images/999999/fits",
    "/api/v1/sources/nobody/lightcurve",
    "/api/v1/images.csv?from=0001-01-01T00:00%2B14:00",
]


@pytest.mark.parametrize("template", ENDPOINTS)
def test_head_is_get_without_the_body(served, template):
    server, ids = served
    path = template.format(**ids)
    get_status, get_headers, get_body = request(server.url, "GET", path)
    status, headers, body = request(server.url, "HEAD", path)
    assert status == get_status != 405
    assert body == b""
    if path in CHANGING:
        same_headers(get_headers, headers, ignore=("content-length",))
        assert int(headers["content-length"]) > 0
    else:
        same_headers(get_headers, headers)
        if "content-length" in headers:
            assert int(headers["content-length"]) == len(get_body)


def test_head_of_the_export_gives_the_counts_and_streams_nothing(served):
    server, _ = served
    status, get_headers, get_body = request(server.url, "GET", "/api/v1/images.csv")
    assert status == 200 and get_headers["transfer-encoding"] == "chunked"
    status, headers, body = request(server.url, "HEAD", "/api/v1/images.csv")
    assert status == 200 and body == b""
    rows = len(get_body.decode().splitlines()) - 1  # the header line
    assert headers["x-total-rows"] == get_headers["x-total-rows"] == str(rows)
    assert "content-length" not in headers  # not the length of an empty body
    same_headers(get_headers, headers)


def test_head_with_if_none_match_is_a_304_like_get(served):
    server, ids = served
    path = f"/api/v1/images/{ids['square']}/fits"
    _, headers, _ = request(server.url, "GET", path)
    status, _, body = request(server.url, "HEAD", path, **{"If-None-Match": headers["etag"]})
    assert status == 304 and body == b""


@pytest.mark.parametrize("page", ["/", "/images", "/images/1", "/sources",
                                  "/sources/NVSS%20J100000.0%2B543412"])
def test_pages_answer_head_without_a_session(served, page):
    server, _ = served
    status, headers, body = request(server.url, "HEAD", page)
    get_status, get_headers, _ = request(server.url, "GET", page)
    assert status == get_status == 200 and body == b""
    assert headers["content-type"] == get_headers["content-type"] == "text/html"
    assert headers["cache-control"] == get_headers["cache-control"] == "no-store"


def test_with_sign_in_head_redirects_like_get(tmp_path):
    ds = make_dataset(tmp_path)
    server = start_server(ds.env(DSA110_DASH_BASIC_AUTH=quick_hash("pulsar-42"),
                                 DSA110_DASH_COOKIE_SECRET="x" * 40))
    try:
        for path in ("/images", "/"):
            get = request(server.url, "GET", path)
            head = request(server.url, "HEAD", path)
            assert head[0] == get[0] and head[1].get("location") == get[1].get("location")
            assert head[2] == b""
        thumbnail = f"/api/v1/images/{ds.ids['square']}/thumbnail.png"
        assert request(server.url, "HEAD", thumbnail)[0] == 401
        assert request(server.url, "HEAD", "/api/v1/health")[0] == 200
    finally:
        server.stop()

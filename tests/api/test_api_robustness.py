"""Malformed requests never crash the server: after a burst of them, good ones work."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from api_helpers import fetch, png_size
from api_dataset import DEC0, RA0

BAD_PATHS = [
    "thumbnail.png?size=1e999",
    "thumbnail.png?size=" + "9" * 5000, "thumbnail.png?size=512&size=abc",
    "thumbnail.png?stretch=%ff%fe", "thumbnail.png?cmap=%0d%0aX-Evil:1",
    "thumbnail.png?size=%F0%9F%98%80", "thumbnail.png?size=0x20",
    "cutout.png?ra=%ff&dec=1", "cutout.png?ra=1e308&dec=1e308", "cutout.fits?ra=-inf&dec=0",
    "cutout.fits?ra=1&dec=1&size=1e-300", "cutout.png?ra=1&dec=1&px=1e3",
    "cutout.jpg?ra=1&dec=1", "thumbnail.png?size=%%%", "fits/", "thumbnail.png/..",
]
BAD_IDS = ["", "%00", "..", "-0", "1e3", "%F0%9F%98%80", "9" * 5000, "%201", "1%0a"]


def test_server_keeps_serving_after_a_burst_of_bad_requests(api):
    answers = []
    for path in BAD_PATHS:
        answers.append((path, api.get("square", path).status))
    for raw in BAD_IDS:
        for endpoint in ("thumbnail.png", "fits", f"cutout.png?ra={RA0}&dec={DEC0}"):
            url = f"/api/v1/images/{raw}/{endpoint}"
            answers.append((url, fetch(api.url, url).status))
    assert [a for a in answers if not 400 <= a[1] < 500] == []
    # Raw bytes no HTTP client library would send: control and non-UTF-8 bytes in the
    # query, then a request line that is not HTTP at all.
    parts = urlsplit(api.url)
    for request in (f"GET /api/v1/images/{api.ids['square']}/thumbnail.png?size=\x7f\xff"
                    " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    "NONSENSE\r\n\r\n"):
        with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
            sock.sendall(request.encode("latin-1"))
            answer = sock.recv(4096)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 4"), answer[:200]

    assert fetch(api.url, "/api/v1/health").status == 200
    good = api.get("square", "thumbnail.png?size=64")
    assert good.status == 200 and png_size(good.body) == (64, 64)
    assert api.get("square", "fits").status == 200
    assert api.get("square", f"cutout.fits?ra={RA0}&dec={DEC0}").status == 200


def test_bad_parameters_answer_json_with_no_store(api):
    reply = api.get("square", "thumbnail.png?size=abc")
    assert reply.status == 400
    assert reply.headers["Cache-Control"] == "no-store"
    assert reply.json() == {"error": "invalid_parameter",
                            "message": "invalid value 'abc' for size: not a whole number",
                            "details": {"title": "Invalid input", "parameter": "size"}}


def test_errors_tornado_raises_itself_come_in_the_same_envelope(api):
    # No route and a method nobody serves: the same keys as every other error.
    for path, method, status, code in (
            ("/api/v1/images/1/thumbnail.png", "POST", 405, "method_not_allowed"),
            ("/api/v1/images/1/fits", "DELETE", 405, "method_not_allowed")):
        request = urllib.request.Request(api.url + path, method=method, data=b"")
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(request, timeout=10)
        body = json.loads(caught.value.read())
        assert caught.value.code == status
        assert body == {"error": code, "message": body["message"],
                        "details": {"status": status}} and body["message"]


def test_an_empty_parameter_means_its_default(api):
    # ApiHandler.argument: empty is unset; Tornado strips control characters first.
    for query in ("?size=", "?size=%00", "?stretch=&cmap="):
        reply = api.get("square", f"thumbnail.png{query}")
        assert reply.status == 200 and png_size(reply.body) == (512, 512)

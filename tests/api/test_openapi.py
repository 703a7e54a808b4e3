"""The API is declared once (decision 0067): every route's handler declares what each of
its methods takes and answers, the OpenAPI document is built from those declarations,
and its browsable rendering is served from our own files."""

from __future__ import annotations

import json
import re

import pytest
from tornado.web import RequestHandler

from api_helpers import fetch
from dsa110_dashboard.api import routes
from dsa110_dashboard.api.base import ApiHandler
from dsa110_dashboard.api.docs import NoRouteHandler
from dsa110_dashboard.api.spec import Op, Query, Route, openapi, undeclared
from dsa110_dashboard.context import AppContext
from dsa110_dashboard.settings import Settings


def test_every_route_declares_every_method_it_answers():
    assert undeclared(routes.ROUTES) == []


def test_a_route_without_declarations_is_caught():
    class Sneaky(ApiHandler):
        async def get(self) -> None: ...

    class Half(ApiHandler):
        SUPPORTED_METHODS = ("GET", "POST")
        operations = {"get": Op("declared")}

        async def get(self) -> None: ...

        async def post(self) -> None: ...

    class Inherited(Half):  # a subclass on another path declares its own
        pass

    assert undeclared([Route("/api/v1/sneaky", Sneaky), Route("/api/v1/half", Half),
                       Route("/api/v1/inherited", Inherited)]) == [
        "GET /api/v1/sneaky", "POST /api/v1/half", "GET /api/v1/inherited",
        "POST /api/v1/inherited"]


def test_every_served_pattern_comes_from_the_route_table(tmp_path):
    """Nobody can add a tuple to the patterns beside the table and so skip declaring it."""
    settings = Settings.load(environ={"DSA110_DASH_DB": str(tmp_path / "none.sqlite3"),
                                      "DSA110_DASH_DATA_DIR": str(tmp_path)})
    ctx = AppContext.from_settings(settings)
    declared = {r.pattern for r in routes.ROUTES}
    extra = [p for p, handler, *_ in routes.api_patterns(ctx) if p not in declared]
    assert extra == [rf"{routes.DOCS_STATIC}/(.*)", r"/api/.*"]
    assert routes.api_patterns(ctx)[-1][1] is NoRouteHandler


def test_the_document_lists_every_route_with_its_parameters_and_envelope():
    doc = openapi(routes.ROUTES, title="t", version="1")
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {r.path for r in routes.ROUTES}
    images = doc["paths"]["/api/v1/images"]["get"]
    names = {p["name"] for p in images["parameters"]}
    assert {"from", "to", "type", "grade", "noise_min", "sort", "offset", "limit"} <= names
    sort = next(p for p in images["parameters"] if p["name"] == "sort")["schema"]
    assert "mjd" in json.dumps(sort)
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["responses"]["400"]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/ErrorEnvelope"}, (method, path)
    cutout = doc["paths"]["/api/v1/images/{id}/cutout.{format}"]["get"]
    assert "429" in cutout["responses"]
    fmt = next(p for p in cutout["parameters"] if p["name"] == "format")
    assert fmt["schema"]["enum"] == ["png", "fits"]
    assert doc["components"]["schemas"]["ErrorEnvelope"]["required"] == ["error", "message",
                                                                  "details"]


def test_a_query_model_rejects_a_bad_value_naming_it():
    from dsa110_dashboard.api.spec import parse_query
    from dsa110_dashboard.errors import InvalidInputError

    class Q(Query):
        n: int = 3
        kinds: list[str] | None = None

    assert parse_query(Q, {"n": [b"7"], "kinds": [b"a,b", b"c"]}).kinds == ["a", "b", "c"]
    assert parse_query(Q, {"n": [b""]}).n == 3, "an empty value is no value"
    with pytest.raises(InvalidInputError) as err:
        parse_query(Q, {"n": [b"seven"]})
    assert err.value.parameter == "n"
    assert err.value.user_message == "invalid value 'seven' for n: not a whole number"


# ------------------------------------------------------------------ on a real server
def test_the_document_and_the_docs_page_are_served_offline(server):
    doc = fetch(server.url, "/api/v1/openapi.json")
    assert doc.status == 200 and doc.json()["paths"]
    page = fetch(server.url, "/api/v1/docs")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    html = page.body.decode()
    assert "SwaggerUIBundle" in html
    refs = re.findall(r'(?:src|href|url)\s*[=:]\s*["\']([^"\']+)', html)
    assert refs and all(r.startswith("/") and not r.startswith("//") for r in refs), refs
    assert not re.search(r"https?://", html), "the page names no other host"
    for ref in refs:
        if ref.startswith("/api/v1/docs/static/"):
            asset = fetch(server.url, ref)
            assert asset.status == 200 and len(asset.body) > 500, ref


def test_the_docs_page_follows_the_dashboards_theme(server):
    """As the pages: ?theme= first (and remembered in their cookie), else the cookie."""
    from dsa110_dashboard.api.docs import dark_css

    def is_dark(reply):
        assert reply.status == 200, reply.body[:300]
        return dark_css() in reply.body.decode()

    assert not is_dark(fetch(server.url, "/api/v1/docs"))
    asked = fetch(server.url, "/api/v1/docs?theme=dark")
    assert is_dark(asked)
    cookie = asked.headers["Set-Cookie"]
    assert cookie.startswith("dsa_theme=dark;") and "Path=/" in cookie, cookie
    assert is_dark(fetch(server.url, "/api/v1/docs", {"Cookie": "dsa_theme=dark"}))
    assert not is_dark(fetch(server.url, "/api/v1/docs?theme=default",
                             {"Cookie": "dsa_theme=dark"}))
    wrong = fetch(server.url, "/api/v1/docs?theme=purple")
    assert wrong.status == 400 and wrong.json()["details"]["parameter"] == "theme"


def test_an_unknown_api_path_is_a_json_404(server):
    for path in ("/api/v1/nothing", "/api/v2/images", "/api/v1/images/1/nothing"):
        reply = fetch(server.url, path)
        assert reply.status == 404, path
        assert reply.json()["error"] == "not_found" and reply.json()["details"], path


def test_a_bad_parameter_is_named_in_the_envelope(server):
    reply = fetch(server.url, "/api/v1/jobs?limit=many")
    assert reply.status == 400
    body = reply.json()
    assert body["error"] == "invalid_parameter" and body["details"]["parameter"] == "limit"
    assert set(body) == {"error", "message", "details"}


def test_too_large_requests_are_413(server):
    import http.client
    import urllib.parse

    long_url = "/api/v1/jobs?q=" + "x" * 100_000  # beyond Tornado's default header limit
    host = urllib.parse.urlsplit(server.url)
    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=30)
    conn.request("GET", long_url)
    answer = conn.getresponse()
    body = json.loads(answer.read())
    assert answer.status == 413 and body["error"] == "request_too_large"
    assert body["details"]["parameter"] == "url"
    conn.request("POST", "/api/v1/batch", body=b"{" + b" " * 70_000 + b"}",
                 headers={"Content-Type": "application/json"})
    answer = conn.getresponse()
    body = json.loads(answer.read())
    assert answer.status == 413 and body["details"]["parameter"] == "body"
    conn.close()


def test_a_huge_body_is_refused_from_its_content_length_unread(server):
    """Tornado's own limit was 100 MB: a 50 MB upload was read in full before the 413.
    Now the server refuses it from the header alone, answering at once though only a
    few bytes were sent, and goes on serving."""
    import socket
    import urllib.parse

    host = urllib.parse.urlsplit(server.url)
    with socket.create_connection((host.hostname, host.port), timeout=30) as sock:
        sock.sendall(b"POST /api/v1/batch HTTP/1.1\r\nHost: x\r\n"
                     b"Content-Type: application/json\r\n"
                     b"Content-Length: 50000000\r\n\r\n{\"kind\": ")
        # A server waiting for the other 49,999,991 bytes would hit the 30 s timeout.
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]
    assert fetch(server.url, "/api/v1/health").status == 200

"""``GET|POST /api/v1/images/{id}/flags`` on real servers (issue 15, decision 0055): any
signed-in role may flag (a viewer too), XSRF for cookie sessions, Bearer tokens without,
401 without an identity (and for open access: a flag names its author), 404 for an
unknown image, 400 naming the bad field, 409 on a read-only database, history kept, and
HEAD like GET. The repository itself runs on SQLite and PostgreSQL in
tests/repositories/test_flags.py.
"""

from __future__ import annotations

import json
import urllib.parse

import pytest

from api_dataset import make_dataset
from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.auth.store import prepare_store, store_database
from dsa110_dashboard.auth.tokens import TokenStore
from dsa110_dashboard.settings import Settings
from hashes import quick_hash
from server import start_server
from test_jobs_api import Browser, bearer, call

SECRET = "f" * 40
USERS = {"vera": "viewer-pw", "otto": "operator-pw"}


class FlagWorld:
    def __init__(self, ds, signed, open_ro, open_rw, tokens):
        self.ds, self.signed, self.open_ro, self.open_rw = ds, signed, open_ro, open_rw
        self.tokens = tokens

    def browser(self, user: str) -> Browser:
        login = call(self.signed.url, "POST", "/login",
                     body=urllib.parse.urlencode({"username": user, "password": USERS[user],
                                                  "next": "/"}),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert login.status == 302, login
        cookies = login.cookies()
        got = call(self.signed.url, "GET", self.path("square"), cookies=cookies)
        assert got.status == 200, got.body
        cookies.update(got.cookies())
        assert "_xsrf" in cookies, "a GET of the flags endpoint hands out the XSRF cookie"
        return Browser(self.signed.url, cookies)

    def path(self, name: str | int) -> str:
        image_id = self.ds.ids[name] if isinstance(name, str) else name
        return f"/api/v1/images/{image_id}/flags"


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("flagsapi")
    ds = make_dataset(root)
    users = root / "users.json"
    users.write_text(json.dumps({u: quick_hash(p) for u, p in USERS.items()}))
    auth = {"DSA110_DASH_AUTH_DB": str(root / "auth.sqlite3")}
    signed = start_server(ds.env(**auth, DSA110_DASH_BASIC_AUTH=str(users),
                                 DSA110_DASH_COOKIE_SECRET=SECRET,
                                 DSA110_DASH_ROLES="otto=operator"))
    open_ro = start_server(ds.env(**auth, DSA110_DASH_READ_ONLY="true"))
    open_rw = start_server(ds.env(**auth, DSA110_DASH_OPEN_ACCESS_ROLE="operator"))
    store_db = store_database(Settings.load(environ=auth))
    prepare_store(store_db)
    yield FlagWorld(ds, signed, open_ro, open_rw, TokenStore(store_db))
    for server in (signed, open_ro, open_rw):
        server.stop()
    store_db.dispose()


def test_a_viewer_flags_and_a_later_flag_supersedes_keeping_the_history(world):
    vera, otto = world.browser("vera"), world.browser("otto")
    empty = vera.get(world.path("wide")).json()
    assert empty["current"] is None and empty["history"] == []
    assert empty["can_flag"] is True and empty["reason"] is None

    first = vera.post(world.path("wide"), {"verdict": "bad", "note": "stripes <b>"})
    assert first.status == 201, first.body
    body = first.json()
    assert body["current"]["verdict"] == "bad" and body["current"]["user"] == "vera"
    assert body["current"]["note"] == "stripes <b>"

    second = otto.post(world.path("wide"), {"verdict": "good"})
    assert second.status == 201
    history = second.json()["history"]
    assert [(h["verdict"], h["user"], h["current"]) for h in history] == [
        ("good", "otto", True), ("bad", "vera", False)]
    assert vera.get(world.path("wide")).json()["current"]["verdict"] == "good"


def test_the_history_is_paged_up_to_the_largest_page_setting(world):
    token = world.tokens.create("pager", Role.VIEWER, "test")
    for verdict in ("bad", "unsure", "good"):
        assert call(world.signed.url, "POST", world.path("missing"), body={"verdict": verdict},
                    headers=bearer(token)).status == 201
    page = call(world.signed.url, "GET", world.path("missing") + "?limit=2",
                headers=bearer(token)).json()
    assert (page["total"], page["offset"], page["limit"]) == (3, 0, 2)
    assert [h["verdict"] for h in page["history"]] == ["good", "unsure"]
    assert page["current"]["verdict"] == "good" and page["history"][0]["current"] is True
    rest = call(world.signed.url, "GET", world.path("missing") + "?limit=2&offset=2",
                headers=bearer(token)).json()
    assert [h["verdict"] for h in rest["history"]] == ["bad"]
    assert rest["current"]["verdict"] == "good", "the current flag is not only on page 1"
    largest = Settings.load(environ={}).page_size_max
    too_many = call(world.signed.url, "GET", world.path("missing") + f"?limit={largest + 1}",
                    headers=bearer(token))
    assert too_many.status == 400 and too_many.json()["details"]["parameter"] == "limit"


def test_a_token_flags_without_xsrf_under_its_name(world):
    token = world.tokens.create("qa-script", Role.VIEWER, "test")
    reply = call(world.signed.url, "POST", world.path("fine"),
                 body={"verdict": "unsure", "note": "check by eye"}, headers=bearer(token))
    assert reply.status == 201, reply.body
    assert reply.json()["current"]["user"] == "token:qa-script"


def test_without_identity_or_xsrf_nothing_is_stored(world):
    anonymous = call(world.signed.url, "POST", world.path("square"), body={"verdict": "bad"})
    assert anonymous.status == 401 and anonymous.json()["error"] == "not_authenticated"
    vera = world.browser("vera")
    missing = vera.post(world.path("square"), {"verdict": "bad"}, xsrf=None)
    assert missing.status == 403 and missing.json()["error"] == "xsrf_failed"
    forged = vera.post(world.path("square"), {"verdict": "bad"},
                       xsrf=world.browser("otto").cookies["_xsrf"])
    assert forged.status == 403
    # Open access (even with the operator role) names nobody: a flag needs a sign-in.
    got = call(world.open_rw.url, "GET", world.path("square"))
    assert got.status == 200 and got.json()["can_flag"] is False
    assert "Sign in" in got.json()["reason"]
    cookies = got.cookies()
    opened = call(world.open_rw.url, "POST", world.path("square"), body={"verdict": "bad"},
                  cookies=cookies, headers={"X-XSRFToken": cookies.get("_xsrf", "")})
    assert opened.status == 401
    assert vera.get(world.path("square")).json()["history"] == []


@pytest.mark.parametrize("body, parameter", [
    ({"verdict": "awful"}, "verdict"),
    ({"verdict": 1}, "verdict"),
    ({}, "verdict"),
    ({"verdict": "bad", "note": "x" * 2001}, "note"),
    ({"verdict": "bad", "note": ["a"]}, "note"),
    ({"verdict": "bad", "user": "mallory"}, "user"),
])
def test_bad_bodies_are_400_naming_the_field(world, body, parameter):
    token = world.tokens.create(f"bad-{abs(hash(json.dumps(body))) % 10**8}", Role.VIEWER,
                                "test")
    reply = call(world.signed.url, "POST", world.path("corrupt"), body=body,
                 headers=bearer(token))
    assert reply.status == 400, reply.body
    assert reply.json()["details"]["parameter"] == parameter
    assert call(world.signed.url, "GET", world.path("corrupt"),
                headers=bearer(token)).json()["history"] == []


def test_not_json_and_unknown_images(world):
    token = world.tokens.create("odd", Role.VIEWER, "test")
    plain = call(world.signed.url, "POST", world.path("square"), body="verdict=bad",
                 headers={**bearer(token), "Content-Type": "application/x-www-form-urlencoded"})
    assert plain.status == 400 and plain.json()["details"]["parameter"] == "Content-Type"
    for image in (999999, "12x", "-1", "99999999999999999999999"):
        reply = call(world.signed.url, "POST", f"/api/v1/images/{image}/flags",
                     body={"verdict": "bad"}, headers=bearer(token))
        assert reply.status in (400, 404), (image, reply.status)
        got = call(world.signed.url, "GET", f"/api/v1/images/{image}/flags",
                   headers=bearer(token))
        assert got.status == reply.status
    assert call(world.signed.url, "GET", "/api/v1/images/999999/flags",
                headers=bearer(token)).json()["error"] == "not_found"


def test_read_only_database_says_why_and_refuses_409(world):
    got = call(world.open_ro.url, "GET", world.path("wide"))
    assert got.status == 200
    body = got.json()
    assert body["can_flag"] is False and "read-only" in body["reason"]
    token = world.tokens.create("ro-script", Role.VIEWER, "test")
    reply = call(world.open_ro.url, "POST", world.path("wide"), body={"verdict": "bad"},
                 headers=bearer(token))
    assert reply.status == 409 and reply.json()["error"] == "read_only"


def test_head_is_get_without_a_body(world):
    token = world.tokens.create("head", Role.VIEWER, "test")
    head = call(world.signed.url, "HEAD", world.path("square"), headers=bearer(token))
    assert head.status == 200 and head.body == b""
    assert call(world.signed.url, "HEAD", "/api/v1/images/999999/flags",
                headers=bearer(token)).status == 404

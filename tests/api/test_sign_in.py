"""Sign-in sessions on real servers (decision 0025): one lifetime and one check for pages
and endpoints, sign-out ends the session on the server, failed sign-ins are limited per
address and per user name, cookies carry the right flags, frames are refused.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie

import pytest
from tornado.web import create_signed_value, decode_signed_value

from api_dataset import make_dataset
from hashes import quick_hash
from server import start_server

PASSWORD = "pulsar-42"
PASSWORD_HASH = quick_hash(PASSWORD)  # the setting holds the hash (decision 0045)
SECRET = "s" * 40


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def cookie(self, name: str = "dsa_session") -> tuple[str | None, str]:
        """(value, the whole Set-Cookie line) of cookie ``name``."""
        for line in self.headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie(line)
            if name in jar:
                return jar[name].value, line
        return None, ""


def request(url: str, method: str, path: str, *, body: dict | None = None,
            cookie: str | None = None, headers: dict | None = None) -> Answer:
    """One request, redirects not followed."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    sent = dict(headers or {})
    data = None
    if body is not None:
        data = urllib.parse.urlencode(body)
        sent["Content-Type"] = "application/x-www-form-urlencoded"
    if cookie:
        sent["Cookie"] = f"dsa_session={cookie}"
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


def sign_in(server, user="operator", password=PASSWORD, **kwargs) -> Answer:
    return request(server.url, "POST", "/login",
                   body={"username": user, "password": password, "next": "/images"}, **kwargs)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    return make_dataset(tmp_path_factory.mktemp("signin"))


def guarded_env(dataset, **extra) -> dict[str, str]:
    return dataset.env(**{"DSA110_DASH_BASIC_AUTH": PASSWORD_HASH,
                          "DSA110_DASH_COOKIE_SECRET": SECRET,
                          "DSA110_DASH_AUTH_DB": str(dataset.data_dir / "auth.sqlite3"),
                          "DSA110_DASH_SIGN_IN_WINDOW_SECONDS": "3600", **extra})


@pytest.fixture
def servers(dataset):
    running = []

    def start(**extra):
        server = start_server(guarded_env(dataset, **extra))
        running.append(server)
        return server

    yield start
    for server in running:
        server.stop()
    # Each test starts with no failed sign-ins recorded.
    import sqlite3
    with sqlite3.connect(dataset.data_dir / "auth.sqlite3") as conn:
        conn.execute("DELETE FROM dash_sign_in_failures")


def goes_to_login(answer: Answer) -> bool:
    """A page answered by sending the browser to the sign-in form."""
    location = urllib.parse.urlsplit(answer.headers.get("Location", "")).path
    return answer.status == 302 and location.endswith("/login")


def refused(answer: Answer) -> bool:
    """A wrong password: back to the form, which says so, and no cookie."""
    location = urllib.parse.urlsplit(answer.headers.get("Location", ""))
    return (answer.status == 303 and location.path == "/login"
            and "error=invalid" in location.query and answer.cookie()[0] is None)


def thumbnail(server, dataset, cookie=None) -> Answer:
    return request(server.url, "GET",
                   f"/api/v1/images/{dataset.ids['square']}/thumbnail.png?size=32",
                   cookie=cookie)


def test_the_cookie_is_httponly_samesite_lax_and_lasts_the_session_lifetime(servers):
    server = servers(DSA110_DASH_SESSION_HOURS="2")
    answer = sign_in(server)
    assert answer.status == 302 and answer.headers["Location"] == "/images"
    token, line = answer.cookie()
    assert token
    flags = [part.strip().lower() for part in line.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "secure" not in flags
    expires = SimpleCookie(line)["dsa_session"]["expires"]
    left = time.mktime(time.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT")) - time.mktime(
        time.gmtime())
    assert 1.9 * 3600 < left <= 2 * 3600 + 5
    assert answer.headers["Cache-Control"] == "no-store" or answer.status == 302


def test_one_session_opens_pages_and_endpoints_and_sign_out_ends_it_everywhere(
        servers, dataset):
    server = servers()
    assert thumbnail(server, dataset).status == 401
    assert goes_to_login(request(server.url, "GET", "/images"))
    token, _ = sign_in(server).cookie()
    assert thumbnail(server, dataset, token).status == 200
    assert request(server.url, "GET", "/images", cookie=token).status == 200

    out = request(server.url, "GET", "/logout", cookie=token)
    assert out.status == 200 and b"signed out" in out.body
    assert out.cookie()[0] == "", "the browser's cookie is cleared"
    # A copy of the cookie taken before signing out no longer opens anything.
    assert thumbnail(server, dataset, token).status == 401
    assert goes_to_login(request(server.url, "GET", "/images", cookie=token))


def test_sessions_hold_across_server_processes_and_restarts(servers, dataset):
    """Two servers on one sign-in store stand for two --num-procs processes, or a server
    before and after a restart."""
    first, second = servers(), servers()
    token, _ = sign_in(first).cookie()
    assert thumbnail(second, dataset, token).status == 200
    first.stop()
    third = servers()
    assert thumbnail(third, dataset, token).status == 200
    request(third.url, "GET", "/logout", cookie=token)
    assert thumbnail(second, dataset, token).status == 401


def test_a_cookie_older_than_the_lifetime_is_refused_by_pages_and_endpoints(servers, dataset):
    """One lifetime for both: the API used to accept a signed cookie for 31 days."""
    server = servers(DSA110_DASH_SESSION_HOURS="1")
    token, _ = sign_in(server).cookie()
    two_hours_ago = time.time() - 7200
    stale = create_signed_value(SECRET, "dsa_session", token,
                                clock=lambda: two_hours_ago).decode()
    assert thumbnail(server, dataset, stale).status == 401
    assert goes_to_login(request(server.url, "GET", "/images", cookie=stale))
    assert thumbnail(server, dataset, token).status == 200, "the fresh cookie still works"


@pytest.mark.parametrize("forge", [
    lambda token: token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB"),
    lambda token: create_signed_value("another secret" * 3, "dsa_session",
                                      decode_signed_value(SECRET, "dsa_session",
                                                          token)).decode(),
    lambda token: create_signed_value(SECRET, "dsa_session", "a-made-up-token").decode(),
    lambda token: "",
])
def test_forged_or_tampered_cookies_are_refused(servers, dataset, forge):
    server = servers()
    _, line = sign_in(server).cookie()
    signed = SimpleCookie(line)["dsa_session"].coded_value.strip('"')
    forged = forge(signed)
    assert thumbnail(server, dataset, forged).status == 401
    assert goes_to_login(request(server.url, "GET", "/images", cookie=forged))


def test_a_signed_user_name_cookie_of_the_old_sign_in_opens_nothing(servers, dataset):
    server = servers()
    old = create_signed_value(SECRET, "user", "operator").decode()
    answer = request(server.url, "GET",
                     f"/api/v1/images/{dataset.ids['square']}/thumbnail.png",
                     headers={"Cookie": f"user={old}"})
    assert answer.status == 401


def test_failed_sign_ins_are_limited_per_address(servers):
    server = servers(DSA110_DASH_SIGN_IN_MAX_FAILURES="3")
    for user in ("a", "b", "c"):
        assert refused(sign_in(server, user=user, password="wrong"))
    limited = sign_in(server, user="d", password=PASSWORD)
    assert limited.status == 429, "the right password too, once the address is limited"
    assert 3500 <= int(limited.headers["Retry-After"]) <= 3600
    assert b"Too many failed sign-ins" in limited.body
    assert limited.cookie()[0] is None


def test_failed_sign_ins_are_limited_per_user_name_across_addresses(servers):
    server = servers(DSA110_DASH_SIGN_IN_MAX_FAILURES="3",
                     DSA110_DASH_TRUST_PROXY_HEADERS="true")
    for n in range(3):
        assert refused(sign_in(server, user="operator", password="wrong",
                               headers={"X-Forwarded-For": f"10.0.0.{n + 1}"}))
    assert sign_in(server, user="operator",
                   headers={"X-Forwarded-For": "10.0.0.9"}).status == 429
    other = sign_in(server, user="astronomer", headers={"X-Forwarded-For": "10.0.0.9"})
    assert other.status == 302, "another user name from a clean address is not limited"


def test_the_cookie_is_secure_behind_a_trusted_https_proxy_only(servers):
    https = {"X-Forwarded-Proto": "https"}
    trusted = servers(DSA110_DASH_TRUST_PROXY_HEADERS="true")
    _, line = sign_in(trusted, headers=https).cookie()
    assert "secure" in [p.strip().lower() for p in line.split(";")]
    _, line = sign_in(trusted).cookie()
    assert "secure" not in [p.strip().lower() for p in line.split(";")]
    untrusted = servers()
    _, line = sign_in(untrusted, headers=https).cookie()
    assert "secure" not in [p.strip().lower() for p in line.split(";")], \
        "a client cannot claim HTTPS without a trusted proxy"


def test_the_form_says_why_in_fixed_words_only(servers):
    server = servers()
    form = request(server.url, "GET", "/login?error=invalid&next=/sources")
    assert b"Invalid username or password." in form.body
    assert b'name="next" type="hidden" value="/sources"' in form.body
    crafted = request(server.url, "GET", "/login?error=Call+555-0100+now")
    assert b"555" not in crafted.body


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/",
                                    "/\\evil.example", "javascript:alert(1)"])
def test_sign_in_never_redirects_to_another_site(servers, target):
    server = servers()
    answer = request(server.url, "POST", "/login",
                     body={"username": "operator", "password": PASSWORD, "next": target})
    assert answer.status == 302 and answer.headers["Location"] == "/"


@pytest.mark.parametrize("extra, csp, xfo", [
    ({}, "frame-ancestors 'none'", "DENY"),
    ({"DSA110_DASH_FRAME_ANCESTORS": "'self'"}, "frame-ancestors 'self'", "SAMEORIGIN"),
    ({"DSA110_DASH_FRAME_ANCESTORS": "'self' https://jupyter.example.org"},
     "frame-ancestors 'self' https://jupyter.example.org", None)])
def test_pages_and_endpoints_say_who_may_frame_them(servers, extra, csp, xfo):
    server = servers(**extra)
    token, _ = sign_in(server).cookie()
    for path in ("/", "/images", "/login", "/api/v1/health", "/assets/dashboard.css"):
        answer = request(server.url, "GET", path, cookie=token)
        assert answer.status == 200, path
        assert answer.headers["Content-Security-Policy"] == csp, path
        assert answer.headers.get("X-Frame-Options") == xfo, path


def test_health_is_public_and_shows_paths_to_signed_in_users_only(servers, dataset):
    server = servers()
    anonymous = request(server.url, "GET", "/api/v1/health")
    assert anonymous.status == 200
    assert json.loads(anonymous.body)["database"]["target"] == "pipeline.sqlite3"
    assert str(dataset.data_dir) not in anonymous.body.decode()
    token, _ = sign_in(server).cookie()
    signed_in = json.loads(request(server.url, "GET", "/api/v1/health", cookie=token).body)
    assert signed_in["database"]["target"] == str(dataset.db_path)


def test_error_bodies_name_server_paths_only_to_signed_in_users(servers, dataset):
    server = servers()
    token, _ = sign_in(server).cookie()
    missing = f"/api/v1/images/{dataset.ids['missing']}/fits"
    body = json.loads(request(server.url, "GET", missing, cookie=token).body)
    assert str(dataset.paths["missing"]) in body["message"]
    unauthenticated = request(server.url, "GET", missing)
    assert unauthenticated.status == 401
    assert str(dataset.data_dir) not in unauthenticated.body.decode()


def test_a_users_file_names_who_may_sign_in(tmp_path, dataset):
    users = tmp_path / "users.json"
    users.write_text(json.dumps({"ana": quick_hash("first-pw"),
                                 "ben": quick_hash("second-pw")}))
    server = start_server(guarded_env(dataset, DSA110_DASH_BASIC_AUTH=str(users)))
    try:
        assert sign_in(server, user="ana", password="first-pw").status == 302
        assert refused(sign_in(server, user="ana", password="second-pw"))
        assert refused(sign_in(server, user="carl", password="first-pw"))
        assert refused(sign_in(server, user="", password="first-pw"))
    finally:
        server.stop()

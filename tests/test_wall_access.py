"""Who sees /wall without sign-in (decision 0062): address ranges, the hashed token and
its cookie, on real Tornado requests; the settings refuse bad values by name."""

from __future__ import annotations

import hashlib
import types

import pytest
from tornado.httputil import HTTPHeaders, HTTPServerRequest, RequestStartLine
from tornado.web import Application, Finish, RequestHandler

from dsa110_dashboard.auth.wall import COOKIE, WallAccess
from dsa110_dashboard.errors import ConfigError
from dsa110_dashboard.settings import Settings

TOKEN = "a-long-wall-token-0123456789"
SECRET = "s" * 40


def settings(**env: str) -> Settings:
    return Settings.load(environ={"DSA110_DASH_COOKIE_SECRET": SECRET, **env})


def handler(uri: str, ip: str = "192.0.2.9", cookie: str | None = None) -> RequestHandler:
    headers = HTTPHeaders({"Host": "wall.example.org"})
    if cookie is not None:
        headers["Cookie"] = cookie
    # A request as Tornado's HTTP server makes it; the connection only takes the
    # handler's close callback.
    connection = types.SimpleNamespace(set_close_callback=lambda _callback: None,
                                       context=None)
    request = HTTPServerRequest(start_line=RequestStartLine("GET", uri, "HTTP/1.1"),
                                headers=headers, connection=connection)
    request.remote_ip = ip
    return RequestHandler(Application(cookie_secret=SECRET), request)


def set_cookie(h: RequestHandler) -> str | None:
    for value in h._new_cookie.values() if hasattr(h, "_new_cookie") else []:
        if value.key == COOKIE:
            return value.OutputString()
    return None


def test_nothing_configured_opens_nothing():
    wall = WallAccess(settings())
    assert not wall.configured and not wall.allows(handler("/wall", "127.0.0.1"))


def test_address_ranges():
    wall = WallAccess(settings(DSA110_DASH_WALL_NETWORKS="10.1.2.0/24, 2001:db8::/32"))
    assert wall.allows(handler("/wall", "10.1.2.77"))
    assert wall.allows(handler("/wall/ws", "2001:db8::5"))
    assert wall.allows(handler("/wall", "::ffff:10.1.2.3")), "IPv4 mapped into IPv6"
    assert not wall.allows(handler("/wall", "10.1.3.1"))
    assert not wall.allows(handler("/wall", "not-an-address"))
    by_address = handler("/wall", "10.1.2.77")
    assert wall.allows(by_address) and set_cookie(by_address) is None, "no cookie needed"


def test_the_wall_includes_the_dashboards_static_files_and_nothing_else():
    """The wall page loads /assets/ (its stylesheet and the tables' script); Panel serves
    them to a session only, so they belong to the wall like its websocket."""
    assert WallAccess.is_wall_request(handler("/assets/tabulator_redraw_once.js"))
    assert WallAccess.is_wall_request(handler("/assets/dashboard.css"))
    assert WallAccess.is_wall_request(handler("/wall/ws"))
    for other in ("/", "/jobs", "/api/v1/jobs", "/wallpaper", "/assetsx/a.js",
                  "/api/v1/images/1/fits"):
        assert not WallAccess.is_wall_request(handler(other)), other
    wall = WallAccess(settings(DSA110_DASH_WALL_NETWORKS="10.1.2.0/24"))
    assert wall.allows(handler("/assets/dashboard.css", "10.1.2.77"))


def test_token_once_then_the_cookie():
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    wall = WallAccess(settings(DSA110_DASH_WALL_TOKEN_SHA256=digest))
    assert not wall.allows(handler("/wall"))
    assert not wall.allows(handler("/wall?token=wrong"))
    assert not wall.allows(handler(f"/wall/ws?token={TOKEN}")), "the token opens the page only"
    first = handler(f"/wall?panels=qa,health&token={TOKEN}&rotate=5")
    with pytest.raises(Finish):  # Tornado ends the request with the redirect
        wall.allows(first)
    assert first.get_status() == 302
    # The token leaves the address (and history); the wall's own parameters stay.
    assert first._headers["Location"] == "wall?panels=qa%2Chealth&rotate=5"
    cookie = set_cookie(first)
    assert cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert TOKEN not in cookie and digest not in cookie
    pair = cookie.split(";", 1)[0]
    assert wall.allows(handler("/wall/ws", cookie=pair))
    assert wall.allows(handler("/api/v1/images/3/thumbnail.png", cookie=pair))
    # A new token voids the cookies of the old one.
    other = WallAccess(settings(DSA110_DASH_WALL_TOKEN_SHA256=hashlib.sha256(b"new").hexdigest()))
    assert not other.allows(handler("/wall", cookie=pair))


@pytest.mark.parametrize(("env", "value"), [
    ("DSA110_DASH_WALL_NETWORKS", "10.1.2.0/33"),
    ("DSA110_DASH_WALL_NETWORKS", "control-room"),
    ("DSA110_DASH_WALL_TOKEN_SHA256", "my-clear-token"),
    ("DSA110_DASH_WALL_ROTATE_SECONDS", "0"),
])
def test_bad_settings_are_named(env, value):
    with pytest.raises(ConfigError, match=env):
        Settings.load(environ={env: value})

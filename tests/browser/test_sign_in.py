"""Sign-in (DSA110_DASH_BASIC_AUTH): pages and endpoints need it; health does not."""

import pytest

from browser.conftest import demo_env
from browser.helpers import wait_idle
from dsa110_dashboard.errors import ConfigError
from dsa110_dashboard.settings import Settings
from hashes import quick_hash
from server import ROOT, start_server


@pytest.fixture
def guarded_server(demo_dataset, tmp_path):
    env = {**demo_env(demo_dataset, tmp_path / "cache"),
           "DSA110_DASH_BASIC_AUTH": quick_hash("pulsar-42"),
           "DSA110_DASH_COOKIE_SECRET": "x" * 40,
           "DSA110_DASH_AUTH_DB": str(tmp_path / "auth.sqlite3")}
    server = start_server(env)
    yield server
    server.stop()


def test_endpoints_need_sign_in_but_health_does_not(guarded_server):
    status, body = guarded_server.get("/api/v1/images/1/thumbnail.png")
    assert status == 401 and body["error"] == "not_authenticated"
    status, body = guarded_server.get("/api/v1/health")
    assert status == 200 and body["database"]["ok"] is True
    status, body = guarded_server.get("/")
    assert status == 200 and b"Sign in" in body, "pages redirect to the sign-in form"


def test_sign_in_in_the_browser(guarded_server, page):
    page.goto(guarded_server.url + "/images")
    page.wait_for_url("**/login**")
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    page.locator("text=Invalid username or password").wait_for()
    page.fill("input[name=username]", "operator")
    page.fill("input[name=password]", "pulsar-42")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(guarded_server.url + "/images")
    wait_idle(page)
    assert page.locator(".dsa-nav a.active").inner_text().strip() == "Images"
    response = page.request.get(guarded_server.url + "/api/v1/images/1/thumbnail.png")
    assert response.status == 200, "the sign-in cookie opens the endpoints too"
    page.click("text=Sign out")
    page.locator("text=You are signed out").wait_for()
    response = page.request.get(guarded_server.url + "/api/v1/images/1/thumbnail.png")
    assert response.status == 401, "signing out ends the session for the endpoints too"
    page.goto(guarded_server.url + "/images")
    page.wait_for_url("**/login**")


def test_sign_in_without_a_cookie_secret_is_a_configuration_error():
    from dsa110_dashboard.cli.serve_cmd import load_app

    app = load_app(ROOT / "app.py")
    with pytest.raises(ConfigError, match="DSA110_DASH_COOKIE_SECRET"):
        app.sign_in(Settings.load(environ={"DSA110_DASH_BASIC_AUTH": "pw"}))

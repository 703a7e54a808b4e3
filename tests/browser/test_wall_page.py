"""The wall display (/wall) in Chromium: full screen without scroll bars at 1920x1080
and 3840x2160, rotation, bad URL values named, the stale warning on an old database,
recovery after the server is stopped and started again on the same port, and the
sign-in exemption (an address range, a token) that opens /wall and nothing else.

Recovery time stated in the README: the page notices a lost server within the
watchdog's period (5 s) and reloads itself within 5 s of the server answering again;
the test allows 60 s for a server process that also needs to start.
"""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

import pytest

from browser.conftest import demo_env
from dbsupport import settings_for
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from factories import insert
from hashes import quick_hash
from server import free_port, serve_in_process, start_server, stop_process

SHOWN_JS = "() => window.dsaWall && window.dsaWall.shown"
NO_CONTROLS = "button, input, select, textarea, form, a[href*='rerun'], a[href='/logout']"


def open_wall(page, url: str, width: int = 1920, height: int = 1080) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(url)
    page.wait_for_function(SHOWN_JS)
    page.locator("[data-tile=throughput]").wait_for()


def scroll_extent(page) -> dict:
    return page.evaluate(
        "() => ({sw: document.documentElement.scrollWidth, sh: "
        "document.documentElement.scrollHeight, w: window.innerWidth, "
        "h: window.innerHeight, overflow: getComputedStyle(document.body).overflow})")


def wait_newest_image(page) -> dict:
    """Until the newest image has loaded; its box."""
    img = page.locator("img.wall-newest-img")
    img.wait_for()
    page.wait_for_function("e => e.complete && e.naturalWidth > 0", arg=img.element_handle())
    return img.bounding_box()


@pytest.mark.parametrize(("width", "height"), [(1920, 1080), (3840, 2160)])
def test_fills_the_screen_without_scroll_bars_or_controls(demo_server, page, tmp_path,
                                                          width, height):
    open_wall(page, demo_server.url + "/wall", width, height)
    extent = scroll_extent(page)
    assert extent["sw"] <= extent["w"] and extent["sh"] <= extent["h"], extent
    assert extent["overflow"] == "hidden"
    assert page.locator(".dsa-header").count() == 0, "no navigation chrome"
    assert page.locator(NO_CONTROLS).count() == 0, "no operator control, no input"
    wall = page.locator("[data-wall]")
    box = wall.bounding_box()
    assert box["width"] == width and box["height"] == height, "the wall fills the screen"
    assert page.locator("[data-kpi=health] .wall-light").inner_text() in (
        "OK", "WARNING", "PROBLEM")
    # The newest image is large: at least a third of the screen's width.
    assert wait_newest_image(page)["width"] >= width / 3
    base = page.locator("[data-wall]").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert base >= 20 * width / 1920, "type large enough to read across the room"
    shot = tmp_path / f"wall-{width}x{height}.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 20_000


def test_rotates_and_names_bad_url_values(demo_server, page):
    open_wall(page, demo_server.url + "/wall?rotate=1")
    seen = {page.evaluate(SHOWN_JS)}
    deadline = time.monotonic() + 15
    while len(seen) < 4 and time.monotonic() < deadline:
        page.wait_for_timeout(300)
        seen.add(page.evaluate(SHOWN_JS))
    assert seen == {"mosaic", "qa", "health", "funnel"}
    open_wall(page, demo_server.url + "/wall?panels=funnel,bogus&rotate=abc")
    notes = page.locator("[data-note]")
    notes.first.wait_for()
    text = " ".join(notes.all_inner_texts())
    assert "panels=funnel,bogus" in text and "unknown panel bogus" in text
    assert "rotate=abc" in text
    open_wall(page, demo_server.url + "/wall?panels=health,funnel&rotate=1")
    seen = set()
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        seen.add(page.evaluate(SHOWN_JS))
        page.wait_for_timeout(250)
    assert seen == {"health", "funnel"}
    assert page.locator("section.wall-panel").count() == 2


# ------------------------------------------------------------------ stale data
@pytest.fixture(scope="module")
def old_database(tmp_path_factory) -> Path:
    """A pipeline database whose newest image was made three days ago."""
    path = tmp_path_factory.mktemp("old") / "pipeline.sqlite3"
    db = Database(settings_for(str(path)))
    migrate.upgrade(db)
    newest = time.time() - 3 * 86400
    with db.transaction() as conn:
        for k in range(5):
            made = newest - k * 600
            ms = insert(conn, "ms_index", path=f"/ms/old{k}.ms", created_at=made - 300,
                        mid_mjd=(made - 300) / 86400 + 40587.0)
            insert(conn, "images", path=f"/img/old{k}.fits", ms_path=ms["path"],
                   created_at=made, dynamic_range=800.0, type="5min")
    db.dispose()
    return path


def test_stale_warning_on_an_old_database(old_database, tmp_path, page):
    server = start_server({"DSA110_DASH_DB": str(old_database),
                           "DSA110_DASH_DATA_DIR": str(old_database.parent),
                           "DSA110_DASH_CACHE_DIR": str(tmp_path / "cache")})
    try:
        open_wall(page, server.url + "/wall")
        stale = page.locator("[data-stale]")
        stale.wait_for()
        assert "STALE: no new image for" in stale.inner_text()
        assert "days ago" in stale.inner_text()
        assert page.locator("[data-kpi=health] .wall-light").inner_text() != "OK"
    finally:
        server.stop()


# -------------------------------------------------------------------- restart
def _serve(port: int, env: dict[str, str], log: Path) -> subprocess.Popen:
    return serve_in_process({**env, "DSA110_DASH_WALL_REFRESH_SECONDS": "2"}, port, log)


def test_recovers_by_itself_after_a_server_restart(demo_dataset, tmp_path, browser):
    port = free_port()
    env = demo_env(demo_dataset, tmp_path / "cache")
    log = tmp_path / "server.log"
    page = browser.new_page()
    errors: list[tuple[str, float]] = []
    page.on("pageerror", lambda exc: errors.append((f"pageerror: {exc}", time.monotonic())))
    page.on("console", lambda msg: errors.append((msg.text, time.monotonic()))
            if msg.type == "error" else None)
    process = _serve(port, env, log)
    try:
        open_wall(page, f"http://127.0.0.1:{port}/wall?rotate=2")
        first = page.evaluate("() => window.dsaWall")
        page.evaluate("() => { window.dsaWallOld = true; }")  # gone after a reload
        stop_process(process)
        lost = page.locator("[data-lost]")
        page.wait_for_function("() => window.dsaWall && window.dsaWall.lost_since",
                               timeout=20_000)
        assert "Reconnecting" in lost.inner_text()
        process = _serve(port, env, log)
        back_at = time.monotonic()
        page.wait_for_function("() => !window.dsaWallOld && window.dsaWall && "
                               "!window.dsaWall.lost_since", timeout=60_000)
        recovered_in = time.monotonic() - back_at
        page.locator("[data-tile=throughput]").wait_for()
        assert not lost.is_visible()
        assert first["shown"]
        assert recovered_in < 60, recovered_in
        after = [text for text, at in errors if at > back_at + recovered_in]
        assert not after, after
    finally:
        page.close()
        stop_process(process)


# ------------------------------------------------------------- sign-in exemption
TOKEN = "wall-display-token-for-tests"


def _guarded(demo_dataset, tmp_path, **wall) -> dict[str, str]:
    return {**demo_env(demo_dataset, tmp_path / "cache"),
            "DSA110_DASH_BASIC_AUTH": quick_hash("pulsar-42"),
            "DSA110_DASH_COOKIE_SECRET": "x" * 40,
            "DSA110_DASH_AUTH_DB": str(tmp_path / "auth.sqlite3"), **wall}


def test_wall_opens_to_its_address_range_and_nothing_else_does(demo_dataset, tmp_path,
                                                                page):
    server = start_server(_guarded(demo_dataset, tmp_path,
                                   DSA110_DASH_WALL_NETWORKS="127.0.0.0/8,10.0.0.0/8"))
    try:
        open_wall(page, server.url + "/wall")
        assert page.url.endswith("/wall")
        wait_newest_image(page)
        assert page.locator(NO_CONTROLS).count() == 0
        response = page.request.get(server.url + "/api/v1/images/1/thumbnail.png")
        assert response.status == 200, "the wall's thumbnails"
        assert page.request.get(server.url + "/api/v1/jobs").status == 401
        assert page.request.get(server.url + "/api/v1/images/1/fits").status == 401
        page.goto(server.url + "/")
        page.wait_for_url("**/login**")
        page.goto(server.url + "/jobs")
        page.wait_for_url("**/login**")
    finally:
        server.stop()


def test_wall_token_once_then_the_cookie(demo_dataset, tmp_path, page):
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    server = start_server(_guarded(demo_dataset, tmp_path,
                                   DSA110_DASH_WALL_TOKEN_SHA256=digest))
    try:
        page.goto(server.url + "/wall")
        page.wait_for_url("**/login**")
        page.goto(server.url + "/wall?token=not-the-token")
        page.wait_for_url("**/login**")
        # The server, not only the page's script, drops the token: a redirect that sets
        # the cookie, so the token never stays in the address bar or the history.
        reply = page.request.get(server.url + f"/wall?token={TOKEN}&rotate=3",
                                 max_redirects=0)
        assert reply.status == 302 and reply.headers["location"] == "wall?rotate=3"
        set_cookie = reply.headers["set-cookie"].lower()
        assert "dsa_wall=" in set_cookie and "httponly" in set_cookie
        assert "samesite=lax" in set_cookie
        page.context.clear_cookies()
        open_wall(page, server.url + f"/wall?token={TOKEN}&rotate=3")
        assert "token" not in page.url and "rotate=3" in page.url, page.url
        cookies = {c["name"]: c for c in page.context.cookies()}
        assert cookies["dsa_wall"]["httpOnly"] and TOKEN not in cookies["dsa_wall"]["value"]
        open_wall(page, server.url + "/wall")  # the cookie, no token
        assert page.request.get(server.url + "/api/v1/images/1/thumbnail.png").status == 200
        assert page.request.get(server.url + "/api/v1/queue").status == 401
        page.goto(server.url + "/images")
        page.wait_for_url("**/login**")
    finally:
        server.stop()

"""People's flags on /images/{id} in Chromium (issue 15): a signed-in user flags an image
bad with a note, the title and the images table show it, a later flag supersedes while
the older stays listed; with sign-in off the control is disabled and says why.

The server reads a copy of the demo database: flags written here must not change what
the other browser tests compute from the shared demo dataset.
"""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from browser.conftest import demo_env
from browser.helpers import wait_idle
from hashes import quick_hash
from server import start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def flag_db(demo_dataset, tmp_path_factory):
    copy = tmp_path_factory.mktemp("flags") / "pipeline.sqlite3"
    shutil.copy(demo_dataset / "pipeline.sqlite3", copy)
    return copy


@pytest.fixture(scope="module")
def signed_server(demo_dataset, flag_db, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("flags-signed")
    env = {**demo_env(demo_dataset, tmp / "cache"), "DSA110_DASH_DB": str(flag_db),
           "DSA110_DASH_BASIC_AUTH": quick_hash("pulsar-42"),
           "DSA110_DASH_COOKIE_SECRET": "y" * 40,
           "DSA110_DASH_AUTH_DB": str(tmp / "auth.sqlite3")}
    server = start_server(env)
    yield server
    server.stop()


def image_id_of(flag_db) -> int:
    with sqlite3.connect(flag_db) as conn:
        return int(conn.execute("SELECT min(id) FROM images").fetchone()[0])


def sign_in(page, server, user: str) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", "pulsar-42")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


#: The image page renders its image before the cards appear; a loaded machine needs time.
SLOW = 120_000


def flags_card(page):
    card = page.locator(".dsa-flags-card")
    card.wait_for(timeout=SLOW)
    return card


def test_flag_an_image_then_supersede_it(signed_server, flag_db, page):
    image_id = image_id_of(flag_db)
    sign_in(page, signed_server, "alice")
    page.goto(f"{signed_server.url}/images/{image_id}")
    wait_idle(page)
    card = flags_card(page)
    card.locator("text=Nobody has flagged this image").wait_for()
    card.locator(".dsa-flag-verdict button:has-text('bad')").click()
    card.locator(".dsa-flag-note input").fill("sidelobes from Cas A")
    card.locator(".dsa-flag-save button").click()
    card.locator("text=Flagged bad.").wait_for(timeout=SLOW)
    card.locator("text=/Current flag: .*bad.* by alice/").wait_for()
    page.locator(".dsa-image-title .dsa-flag-bad").wait_for()
    with sqlite3.connect(flag_db) as conn:
        rows = conn.execute("SELECT verdict, note, user FROM dash_image_flags "
                            "WHERE image_id = ?", (image_id,)).fetchall()
    assert rows == [("bad", "sidelobes from Cas A", "alice")]

    # The images table marks it too.
    page.goto(f"{signed_server.url}/images?sort=id&order=asc")
    wait_idle(page)
    page.locator(".tabulator-row .dsa-flag-bad").first.wait_for(timeout=SLOW)

    # A second person's later flag supersedes; the first stays in the history.
    sign_in(page, signed_server, "bob")
    page.goto(f"{signed_server.url}/images/{image_id}")
    wait_idle(page)
    card = flags_card(page)
    card.locator("text=/Current flag: .*bad.* by alice/").wait_for()
    card.locator(".dsa-flag-verdict button:has-text('good')").click()
    card.locator(".dsa-flag-save button").click()
    card.locator("text=/Current flag: .*good.* by bob/").wait_for(timeout=SLOW)
    history = card.locator("table.dsa-flag-history tr")
    assert history.count() == 3  # header, bob's (current), alice's (superseded)
    assert "superseded" in history.nth(2).inner_text()
    assert "sidelobes from Cas A" in history.nth(2).inner_text()
    assert page.locator(".dsa-image-title .dsa-flag-bad").count() == 0


def test_sign_in_off_disables_the_control_and_says_why(demo_server, demo_dataset, page):
    with sqlite3.connect(demo_dataset / "pipeline.sqlite3") as conn:
        image_id = int(conn.execute("SELECT max(id) FROM images").fetchone()[0])
    page.goto(f"{demo_server.url}/images/{image_id}")
    wait_idle(page)
    card = flags_card(page)
    card.locator("text=Sign-in is off on this server").wait_for()
    assert card.locator(".dsa-flag-save button").is_disabled()

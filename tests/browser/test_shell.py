"""The page shell: navigation, theme switch, and the database banner that clears itself."""

import logging
import shutil
import sqlite3
import urllib.parse

import pytest

from browser.conftest import demo_env
from browser.helpers import wait_idle
from server import start_server


def test_navigation_between_pages_and_theme_switch(demo_server, page):
    page.goto(demo_server.url + "/")
    wait_idle(page)
    nav = page.locator(".dsa-nav a")
    assert [t.strip() for t in nav.all_inner_texts()] == ["Overview", "Images", "Sources", "Jobs",
                                                         "Measurement sets", "Calibration",
                                                         "QA", "Health"]
    assert page.locator(".dsa-nav a.active").inner_text().strip() == "Overview"
    page.locator(".dsa-nav a", has_text="Images").click()
    page.wait_for_url("**/images")
    wait_idle(page)
    assert page.locator(".dsa-nav a.active").inner_text().strip() == "Images"
    page.locator(".dsa-theme-toggle").click()
    page.wait_for_url("**/images?theme=dark")
    wait_idle(page)
    assert page.locator(".dsa-theme-toggle").inner_text().strip() == "Light theme"
    assert page.locator("img[alt='DSA-110 logo']").count() == 1


def test_every_page_passes_bokehs_validation(demo_server, demo_dataset, page, caplog):
    """Bokeh validates a document and logs what it finds: a warning there (a widget in
    fixed sizing mode with no height, say) would be a mistake on every load. The server
    skips the checks (decision 0091); this test turns them on for its loads."""
    from bokeh.settings import settings as bokeh_settings
    from restore_settings import restored

    with sqlite3.connect(demo_dataset / "pipeline.sqlite3") as conn:
        image_id = conn.execute("SELECT min(id) FROM images").fetchone()[0]
        source_id = conn.execute("SELECT source_id FROM photometry "
                                 "WHERE source_id IS NOT NULL LIMIT 1").fetchone()[0]
    caplog.set_level(logging.WARNING, logger="bokeh.core.validation")
    with restored(bokeh_settings.perform_document_validation) as checks:
        checks.set_value(True)
        for path in ["/", "/images", f"/images/{image_id}", "/sources",
                     "/sources/" + urllib.parse.quote(source_id, safe=""), "/health",
                     "/jobs", "/ms", "/calibration", "/qa", "/wall"]:
            page.goto(demo_server.url + path)
            wait_idle(page)
    found = [r.getMessage() for r in caplog.records
             if r.name.startswith("bokeh.core.validation")]
    assert not found, "\n".join(found)


def test_the_chosen_theme_follows_the_user_to_other_pages(demo_server, page):
    page.goto(demo_server.url + "/images")
    wait_idle(page)
    page.locator(".dsa-theme-toggle").click()
    page.wait_for_url("**/images?theme=dark")
    wait_idle(page)
    page.locator(".dsa-nav a", has_text="Sources").click()  # a link without ?theme
    page.wait_for_url("**/sources")
    wait_idle(page)
    assert page.locator(".dsa-theme-toggle").inner_text().strip() == "Light theme"
    page.goto(demo_server.url + "/?theme=default")  # a shared light link still wins
    wait_idle(page)
    assert page.locator(".dsa-theme-toggle").inner_text().strip() == "Dark theme"


def test_a_theme_given_in_the_address_follows_the_user_too(demo_server, page):
    page.goto(demo_server.url + "/images?theme=dark")  # a shared link, no toggle
    wait_idle(page)
    assert page.locator(".dsa-theme-toggle").inner_text().strip() == "Light theme"
    page.wait_for_function("() => document.cookie.includes('dsa_theme=dark')")
    page.locator(".dsa-nav a", has_text="Sources").click()  # a link without ?theme
    page.wait_for_url("**/sources")
    wait_idle(page)
    assert page.locator(".dsa-theme-toggle").inner_text().strip() == "Light theme"
    page.goto(demo_server.url + "/sources?theme=default")
    wait_idle(page)
    page.wait_for_function("() => document.cookie.includes('dsa_theme=default')")
    page.locator(".dsa-nav a", has_text="Overview").click()
    page.wait_for_url(demo_server.url + "/")
    wait_idle(page)
    assert page.locator(".dsa-theme-toggle").inner_text().strip() == "Dark theme"


@pytest.fixture
def lockable_copy(demo_dataset, tmp_path):
    """A copy of the demo database in rollback-journal mode, as older pipelines write:
    a writer holding it exclusively then blocks readers too."""
    path = tmp_path / "pipeline.sqlite3"
    shutil.copy(demo_dataset / "pipeline.sqlite3", path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=DELETE")
    conn.close()
    return path


def test_locked_database_shows_a_banner_that_clears_by_itself(demo_dataset, lockable_copy,
                                                             tmp_path, page):
    env = {**demo_env(demo_dataset, tmp_path / "cache"),
           "DSA110_DASH_DB": str(lockable_copy), "DSA110_DASH_READ_ONLY": "true",
           "DSA110_DASH_TIMEOUT_DB_CONNECTION": "0.3",
           "DSA110_DASH_STATUS_CHECK_SECONDS": "0.5"}
    server = start_server(env)
    try:
        # The overview's cards (and the latest image's thumbnail) arrive after the
        # document is idle; lock only once they are all on screen.
        with page.expect_response(lambda r: "thumbnail.png" in r.url, timeout=20_000):
            page.goto(server.url + "/")
        wait_idle(page)
        banner = page.locator("text=Database unavailable")
        assert banner.count() == 0
        writer = sqlite3.connect(lockable_copy, isolation_level=None)
        writer.execute("BEGIN EXCLUSIVE")
        try:
            banner.wait_for(timeout=10_000)
            assert page.locator("text=busy").count() >= 1
            status, body = server.get("/api/v1/health")
            assert status == 503 and body["database"]["ok"] is False
            assert body["status"] == "unavailable"
        finally:
            writer.execute("ROLLBACK")
            writer.close()
        banner.wait_for(state="detached", timeout=10_000)
        status, body = server.get("/api/v1/health")
        assert body["database"]["ok"] is True
    finally:
        server.stop()

"""The Overview page on the demo dataset: the latest image and its thumbnail, counts that
match the database, the plots, freshness, QA grades, the link to the image page, and the
dark theme; any console error fails the test (see conftest)."""

from __future__ import annotations

import re
import sqlite3
import time

import pytest

from browser.helpers import wait_idle

pytestmark = pytest.mark.browser

FIND_THUMBNAIL = """() => {
  const find = (root) => {
    const img = root.querySelector && root.querySelector('img.ov-thumb');
    if (img) return img;
    for (const el of root.querySelectorAll('*')) {
      if (el.shadowRoot) { const f = find(el.shadowRoot); if (f) return f; }
    }
    return null;
  };
  const img = find(document);
  return img && img.complete ? img.naturalWidth : -1;
}"""


@pytest.fixture(scope="module")
def truth(demo_dataset):
    con = sqlite3.connect(demo_dataset / "pipeline.sqlite3")
    try:
        one = lambda sql: con.execute(sql).fetchone()[0]  # noqa: E731
        sources = one("SELECT count(*) FROM sources") or one(
            "SELECT count(*) FROM variability_stats")
        return {
            "latest_id": one("SELECT id FROM images ORDER BY created_at DESC, id DESC LIMIT 1"),
            "newest_created": one("SELECT max(created_at) FROM images"),
            "ms": one("SELECT count(*) FROM ms_index"),
            "images": one("SELECT count(*) FROM images"),
            "photometry": one("SELECT count(*) FROM photometry"),
            "jobs": one("SELECT count(*) FROM jobs"),
            "sources": sources,
        }
    finally:
        con.close()


def open_overview(page, url: str) -> None:
    page.goto(url)
    wait_idle(page)


def test_overview_shows_the_pipeline_state(demo_server, truth, page):
    latest = truth["latest_id"]
    thumb = re.compile(rf"/api/v1/images/{latest}/thumbnail\.png")
    with page.expect_response(lambda r: thumb.search(r.url), timeout=30_000) as response:
        open_overview(page, demo_server.url + "/")
        page.locator(f"text=Image {latest}").first.wait_for()
    assert response.value.status == 200
    assert response.value.headers["content-type"] == "image/png"
    page.wait_for_function(f"() => ({FIND_THUMBNAIL})() > 0", timeout=30_000)

    # Counts match the database (all exact on the small demo: no "estimated" marker).
    stats = [t.strip() for t in page.locator(".ov-stat").all_inner_texts()]
    expected = [f"{truth[k]:,}" for k in ("ms", "images", "sources", "photometry", "jobs")]
    assert stats == expected
    assert page.locator(".ov-est").count() == 0
    assert page.locator("text=All figures exact").count() == 1

    # Both plots are on the page (Bokeh canvases).
    assert page.locator(".bk-Canvas, canvas").count() >= 2
    # The demo ends when it is built: the rate plot covers the real last 24 hours (a
    # stalled database's window is tested in tests/viewmodels/test_overview.py).
    assert page.locator("text=No images in the real last 24 hours").count() == 0

    # Freshness: its newest image was minutes old when it was built (the demo tests
    # check that); the light follows its age now, as the session may be long.
    freshness = page.locator(".ov-freshness").inner_text()
    assert "ago" in freshness
    def light(age: float) -> str:
        return "ov-ok" if age < 15 * 60 else "ov-warn" if age < 60 * 60 else "ov-bad"

    now = time.time()  # the page was drawn less than a minute ago
    shown = {light(now - truth["newest_created"] - lag) for lag in (0, 60)}
    assert sum(page.locator(f".ov-freshness .{state}").count() for state in shown) == 1
    assert page.locator("text=green < 15 min, amber < 1 h").count() >= 1

    # QA: measured grades with their counts; the health light is shown.
    qa = page.locator("table.ov-qa")
    assert "Measured" in qa.inner_text()
    assert int(qa.locator('td[data-grade="excellent"]').inner_text().replace(",", "")) > 0
    assert page.locator(".ov-health .ov-light").count() == 1

    # The latest image links to its page (which another page module serves).
    page.route(f"{demo_server.url}/images/{latest}",
               lambda route: route.fulfill(status=200, content_type="text/html",
                                           body="<html><body>image page</body></html>"))
    page.locator("a.ov-link").first.click()
    page.wait_for_url(f"{demo_server.url}/images/{latest}")


def test_overview_renders_in_dark_theme(demo_server, truth, page):
    open_overview(page, demo_server.url + "/?theme=dark")
    page.locator(f"text=Image {truth['latest_id']}").first.wait_for()
    page.locator(".ov-health .ov-light").wait_for()
    assert page.locator("text=Light theme").count() == 1

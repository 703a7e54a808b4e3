"""/sources/{id} in a browser over the demo dataset: the lightcurve click-through to the
epoch's cutout and image, exclusions with live statistics, the URL state, downloads,
an unknown source."""

from __future__ import annotations

import re
import urllib.parse

import pytest

from browser.helpers import wait_idle
from browser.test_sources_page import click_data
from dbsupport import settings_for
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.viewmodels.source_detail import SourceDetailModel

pytestmark = pytest.mark.browser

@pytest.fixture(scope="module")
def source(demo_sky) -> str:
    """The demo's injected flare (with a QA-failed epoch): see conftest.demo_sky."""
    return demo_sky["flare"]


@pytest.fixture(scope="module")
def model(demo_dataset, source):
    db = Database(settings_for(str(demo_dataset / "pipeline.sqlite3")))
    m = SourceDetailModel(db, source)
    m.refresh()
    yield m
    db.dispose()


def path(source_id: str, query: str = "") -> str:
    return "/sources/" + urllib.parse.quote(source_id, safe="") + query


def open_source(page, server, source: str, query: str = "") -> None:
    page.goto(server.url + path(source, query))
    wait_idle(page)
    page.locator(f"h2:has-text('{source}')").wait_for()
    page.locator("text=Download the lightcurve").wait_for()
    wait_idle(page)


def select_epoch(page, row) -> None:
    """One click on the epoch's point; the server shows that epoch."""
    click_data(page, float(row["mjd"]), float(row["flux_jy"]) * 1000.0)
    page.locator(f"a.dsa-image-link[href='/images/{int(row['image_id'])}']").wait_for()


def test_click_an_epoch_shows_its_cutout_and_opens_its_image(demo_server, model, source,
                                                             page):
    lc = model.lightcurve
    good = lc[~lc["qa_failed"]]
    # The brightest included epoch: clear of the others on the plot.
    row = good.loc[good["flux_jy"].idxmax()]
    open_source(page, demo_server, source)
    assert page.locator(f"text={len(good)} of {len(lc)} epochs in the statistics").count()
    select_epoch(page, row)
    image_id = int(row["image_id"])
    link = page.locator(f"a.dsa-image-link[href='/images/{image_id}']")
    link.wait_for()
    img = page.locator("img.dsa-cutout")
    src = img.get_attribute("src")
    assert src.startswith(f"/api/v1/images/{image_id}/cutout.png?ra=")
    page.wait_for_function(
        "() => { const walk = (r) => { for (const e of r.querySelectorAll('*')) {"
        " if (e.tagName === 'IMG' && e.classList.contains('dsa-cutout')) return e;"
        " if (e.shadowRoot) { const f = walk(e.shadowRoot); if (f) return f; } } return null; };"
        " const i = walk(document); return i && i.complete && i.naturalWidth > 0; }")
    page.wait_for_function(
        f"() => window.location.search.includes('epoch={int(row['photometry_id'])}')")
    link.click()
    page.wait_for_url(re.compile(rf"/images/{image_id}$"))


def test_exclusions_recompute_statistics_and_the_link_reproduces_them(demo_server, model,
                                                                      source, page):
    lc = model.lightcurve
    n = len(lc)
    good = lc[~lc["qa_failed"]]
    assert len(good) < n, "the demo source has a QA-failed epoch"
    row = good.loc[good["flux_jy"].idxmax()]
    open_source(page, demo_server, source)
    select_epoch(page, row)
    page.get_by_role("button", name="Exclude this epoch").click()
    page.locator(f"text={len(good) - 1} of {n} epochs in the statistics; "
                 "1 excluded by hand").wait_for()
    pid = int(row["photometry_id"])
    page.wait_for_function(f"() => window.location.search.includes('excluded={pid}')")
    # Include QA-failed epochs too.
    qa_box = page.locator(".dsa-exclude-qa input[type=checkbox]")
    qa_box.uncheck()
    page.locator(f"text={n - 1} of {n} epochs in the statistics").wait_for()
    page.wait_for_function("() => window.location.search.includes('exclude_qa=false')")

    link = page.url
    page.goto(link)
    wait_idle(page)
    page.locator(f"text={n - 1} of {n} epochs in the statistics; 1 excluded by hand").wait_for()
    assert not page.locator(".dsa-exclude-qa input[type=checkbox]").is_checked()
    page.locator(f"a.dsa-image-link[href='/images/{int(row['image_id'])}']").wait_for()
    assert page.get_by_role("button", name="Include this epoch").count() == 1


def test_flux_and_time_axis_state_and_download_links(demo_server, source, page):
    open_source(page, demo_server, source, "?flux=raw&time=date")
    page.locator("text=Date (UTC)").first.wait_for()
    csv = page.locator("a.dsa-download", has_text="CSV (units")
    href = csv.get_attribute("href")
    quoted = urllib.parse.quote(source, safe="")
    assert href == f"/api/v1/sources/{quoted}/lightcurve?format=csv&flux=raw&exclude_qa=1"
    page.get_by_role("button", name="Normalised", exact=True).click()
    page.wait_for_function("() => window.location.search.includes('flux=normalized')")
    page.locator("a.dsa-download[href*='flux=normalized']").first.wait_for()
    page.get_by_role("button", name="Peak (Jy/beam)").click()
    page.locator("a.dsa-download[href*='flux=peak']").first.wait_for()
    wait_idle(page)
    page.wait_for_timeout(1000)  # an error notification would be showing by now
    assert page.locator("text=Something went wrong").count() == 0


def test_unknown_source_says_so(demo_server, page):
    page.goto(demo_server.url + path("NVSS J000000.0+000000"))
    wait_idle(page)
    page.locator("text=Source not found").wait_for()
    assert page.locator("a[href='/sources']").count() >= 1


def test_dark_theme_reaches_the_lightcurve_plot(demo_server, source, page):
    open_source(page, demo_server, source, "?theme=dark")
    colors = page.evaluate(
        "() => [...Bokeh.documents[0].all_models].filter(m => m.type === 'Figure')"
        ".map(m => m.background_fill_color)")
    assert colors and all(c not in ("#ffffff", "white") for c in colors), colors

"""/sources in a browser over the demo dataset: search (name, cone, filters, bad input),
the URL reproducing the view, and the eta-V click-through to a source page."""

from __future__ import annotations

import math
import re
import urllib.parse

import pytest

from browser.helpers import FIGURES_JS, wait_idle
from dsa110_dashboard.repositories.sources import SourceRepository
from dsa110_dashboard.viewmodels.eta_v import EtaVModel

pytestmark = pytest.mark.browser

#: Viewport position of data (x, y) in the n-th Bokeh figure, scrolled into view.
DATA_TO_SCREEN = """
([n, x, y]) => {
""" + FIGURES_JS + """
  const f = figures[n];
  if (!f) return null;
  f.el.scrollIntoView({block: 'center'});
  const r = f.el.getBoundingClientRect();
  return [r.left + f.frame.x_scale.compute(x), r.top + f.frame.y_scale.compute(y)];
}
"""


def click_data(page, x: float, y: float, figure: int = 0) -> None:
    page.wait_for_function(
        "() => Object.values(Bokeh.index).length > 0", timeout=20_000)
    pos = page.evaluate(DATA_TO_SCREEN, [figure, x, y])
    assert pos is not None, "no Bokeh figure on the page"
    page.mouse.move(pos[0] - 3, pos[1] - 3)
    page.mouse.move(pos[0], pos[1])
    page.mouse.click(pos[0], pos[1])


def visible_source_ids(page) -> list[str]:
    cells = page.locator(".dsa-search-table table.dsa-jobs a.dsa-source-link")
    return [c.inner_text().strip() for c in cells.all()]


def open_sources(page, server, query: str = "") -> None:
    page.goto(server.url + "/sources" + query)
    wait_idle(page)
    page.locator("text=/Sources \\d/").first.wait_for()


def test_name_search_filters_and_paging_in_the_url(demo_server, demo_db, demo_sky, page):
    prefix = demo_sky["prefix"]  # e.g. j0849: the demo's sky follows its build time
    open_sources(page, demo_server)
    total_text = page.locator("text=/Sources 1–50 of/").first.inner_text()
    assert "of" in total_text
    expected = SourceRepository(demo_db).search(name=prefix)
    box = page.get_by_placeholder("e.g. J0925 or NVSS J09")
    box.fill(prefix)
    box.press("Enter")
    page.locator(f"text=/ of {expected.total} .*page 1 of/").first.wait_for()
    page.wait_for_function(f"() => window.location.search.includes('q={prefix}')")
    wait_idle(page)
    ids = visible_source_ids(page)
    assert ids and all(i.startswith("NVSS " + prefix.upper()) for i in ids)
    assert len(ids) == min(50, expected.total)

    # A filter on eta: the total comes from SQL.
    page.locator("text=Filters on statistics").click()
    eta_min = page.get_by_label("η ≥")
    # At most the flare's own eta: at least the flare is left.
    bound = math.floor(SourceRepository(demo_db).get(demo_sky["flare"]).eta_metric * 10) / 10
    eta_min.fill(f"{bound:g}")
    eta_min.press("Enter")
    want = SourceRepository(demo_db).search(name=prefix, bounds={"eta_metric": (bound, None)})
    page.wait_for_function("() => window.location.search.includes('eta_min=')")
    page.locator(f"text=/ of {want.total} /").first.wait_for()
    assert sorted(visible_source_ids(page)) == sorted(want.rows["source_id"])

    # A copied link reproduces the view in a fresh session.
    link = page.url
    page.goto(link)
    wait_idle(page)
    page.locator(f"text=/ of {want.total} /").first.wait_for()
    assert sorted(visible_source_ids(page)) == sorted(want.rows["source_id"])
    assert page.get_by_placeholder("e.g. J0925 or NVSS J09").input_value() == prefix


def test_cone_search_sexagesimal_and_bad_radius(demo_server, demo_db, demo_sky, page):
    rec = SourceRepository(demo_db).get(demo_sky["flare"])
    from astropy.coordinates import SkyCoord
    import astropy.units as u
    text = SkyCoord(rec.ra_deg * u.deg, rec.dec_deg * u.deg).to_string(
        "hmsdms", sep=":", precision=2)
    open_sources(page, demo_server)
    page.get_by_placeholder('30 arcsec, 2 arcmin, 0.5 deg, 30"').fill("5'")
    pos = page.get_by_placeholder("12:34:56.7 +42:03:12 or 188.736 42.053")
    pos.fill(text)
    pos.press("Enter")
    page.locator("text=/within 5 arcmin/").first.wait_for()
    ids = visible_source_ids(page)
    assert ids[0] == demo_sky["flare"]  # nearest first
    want = SourceRepository(demo_db).search(cone=(rec.ra_deg, rec.dec_deg, 5 / 60))
    assert ids == list(want.rows["source_id"])

    radius = page.get_by_placeholder('30 arcsec, 2 arcmin, 0.5 deg, 30"')
    radius.fill("5 parsec")
    radius.press("Enter")
    page.locator("text=/cannot read '5 parsec'/").first.wait_for()
    assert page.locator("text=radius:").count() >= 1


def test_eta_v_click_on_a_candidate_opens_its_page(demo_server, demo_db, page):
    model = EtaVModel(demo_db)
    model.refresh()
    cands = model.candidates.sort_values("log_eta", ascending=False)
    target = cands.iloc[0]  # the largest eta: far right, alone
    open_sources(page, demo_server)
    page.locator("text=/\\d+ candidates/").first.wait_for()
    wait_idle(page)
    click_data(page, float(target["log_eta"]), float(target["log_v"]))
    quoted = urllib.parse.quote(target["source_id"], safe="")
    page.wait_for_url(re.compile(re.escape(f"/sources/{quoted}")))
    wait_idle(page)
    page.locator(f"h2:has-text('{target['source_id']}')").wait_for()


def test_eta_v_thresholds_typed_and_preset_are_in_the_url(demo_server, demo_db, page):
    model = EtaVModel(demo_db)
    model.refresh()
    open_sources(page, demo_server, "?eta_thr=3&v_thr=0.2")
    model.param.update(eta_threshold=3.0, v_threshold=0.2)
    n = int(model.candidate_mask().sum())
    page.locator(f"text={n} candidates").first.wait_for()
    page.get_by_role("button", name="Set to mean + kσ").click()
    model.apply_sigma_preset()
    page.wait_for_function(
        f"() => window.location.search.includes('eta_thr={model.eta_threshold:g}')")
    page.locator(f"text={int(model.candidate_mask().sum())} candidates").first.wait_for()
    # A click on a bulk (non-candidate) point selects it and shows a link.
    bulk = model.bulk
    lone = bulk.iloc[(bulk["log_eta"] - bulk["log_eta"].median()).abs().argsort().iloc[0]]
    assert math.isfinite(lone["log_eta"])


def test_the_descending_box_shows_and_sets_the_order_of_the_default_sort(demo_server,
                                                                         demo_db, demo_sky,
                                                                         page):
    from dsa110_dashboard.repositories.paging import PageRequest

    prefix = demo_sky["prefix3"]
    open_sources(page, demo_server, f"?q={prefix}")
    wait_idle(page)
    box = page.locator(".dsa-descending input[type=checkbox]")
    assert not box.is_checked()  # a name search: A to Z, and the box says so
    names = visible_source_ids(page)
    assert names == sorted(names)
    last_first = SourceRepository(demo_db).search(
        name=prefix, request=PageRequest(sort="name", descending=True)).rows["source_id"]
    box.check()
    page.wait_for_function("() => window.location.search.includes('desc=true')")
    first = page.locator(".dsa-search-table table.dsa-jobs a.dsa-source-link").first
    first.filter(has_text=last_first.iloc[0]).wait_for()
    shown = visible_source_ids(page)
    assert shown == list(last_first[:len(shown)]) and shown == sorted(shown, reverse=True)

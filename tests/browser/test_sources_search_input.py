"""/sources in a browser over the demo dataset, given bad or stale input: URL values
that cannot be used, a page past the end, a failed cone after a good one, names that
match nothing; and how the table reads (MJDs, links in both themes)."""

from __future__ import annotations

import math
import re

import pytest

from browser.helpers import text_of, through_history, wait_idle
from dsa110_dashboard.repositories.sources import SourceRepository
from dsa110_dashboard.viewmodels.sources import PAGE_SIZE

pytestmark = pytest.mark.browser

NAME_BOX = "e.g. J0925 or NVSS J09"
ROWS = ".dsa-search-table table.dsa-jobs tr:has(td)"
CENTRE_BOX = "12:34:56.7 +42:03:12 or 188.736 42.053"
RADIUS_BOX = '30 arcsec, 2 arcmin, 0.5 deg, 30"'


def open_sources(page, server, query: str = "") -> None:
    page.goto(server.url + "/sources" + query)
    wait_idle(page)


def wait_status(page, pattern: str) -> str:
    """The status line (its paragraph) once it matches ``pattern`` (a regex)."""
    line = page.locator(".dsa-search-status p", has_text=re.compile(pattern)).first
    line.wait_for()
    return line.inner_text().strip()


def pages_of(total: int) -> int:
    return max(1, math.ceil(total / PAGE_SIZE))


def test_a_page_past_the_end_shows_the_last_page(demo_server, demo_db, page):
    total = SourceRepository(demo_db).search().total
    last = pages_of(total)
    open_sources(page, demo_server, "?page=999")
    text = wait_status(page, f"page {last} of {last}")
    first = (last - 1) * PAGE_SIZE + 1
    assert f"Sources {first:,}–{total:,} of {total:,}" in text
    page.wait_for_function(f"() => window.location.search === '?page={last}'")
    assert page.locator(ROWS).count() == total - first + 1
    page.locator(".dsa-search-notes", has_text="Page 999 is past the end").wait_for()

    # A shared filtered link whose page no longer exists.
    want = SourceRepository(demo_db).search(bounds={"eta_metric": (2.0, None),
                                                    "v": (0.1, None)})
    last = pages_of(want.total)
    open_sources(page, demo_server, f"?eta_min=2&v_min=0.1&page={last + 1}")
    text = wait_status(page, f"page {last} of {last}")
    assert f"of {want.total:,}" in text
    page.wait_for_function(f"() => window.location.search.includes('page={last}')"
                           f" && !window.location.search.includes('page={last + 1}')")


def test_bad_url_values_are_named_and_leave_the_address(demo_server, demo_db, demo_sky,
                                                        page):
    prefix = demo_sky["prefix3"]  # e.g. j08: the demo's sky follows its build time
    want = SourceRepository(demo_db).search(name=prefix)
    open_sources(page, demo_server, f"?q={prefix}&eta_min=abc&sort=bogus&desc=maybe"
                                    "&eta_thr=abc&k=50&ese=bogus")
    wait_status(page, f"of {want.total:,}")  # the good value is used, the bad ones not
    notes = page.locator(".dsa-search-notes")
    notes.wait_for()
    text = text_of(notes)
    assert "Ignored eta_min=abc: not a number" in text
    assert "Ignored sort=bogus: not one of" in text
    assert "Ignored desc=maybe: not true or false" in text
    page.locator(".dsa-ese-notes", has_text="Ignored ese=bogus").wait_for()
    eta_v_notes = page.locator(".dsa-eta-v-notes")
    eta_v_notes.wait_for()
    assert "Ignored eta_thr=abc: not a number" in text_of(eta_v_notes)
    assert "Ignored k=50: must be between 0 and 10" in text_of(eta_v_notes)
    page.wait_for_function(f"() => window.location.search === '?q={prefix}'")
    # The notes are about the link: gone once the user changes the search.
    box = page.get_by_placeholder(NAME_BOX)
    box.fill("j09")
    box.press("Enter")
    notes.wait_for(state="hidden")


def test_a_bound_error_names_the_filter_once(demo_server, page):
    open_sources(page, demo_server, "?eta_min=5&eta_max=1")
    alert = page.locator(".dsa-search-error")
    alert.wait_for()
    assert text_of(alert) == "η filter: the minimum 5 is above the maximum 1"


@pytest.mark.parametrize("typed, shown", [("☃💥", "'☃💥'"), ("%", "'%'"),
                                          ("A" * 5000, "(5,000 characters)")])
def test_a_name_matching_nothing_says_so(demo_server, page, typed, shown):
    open_sources(page, demo_server)
    wait_status(page, "Sources 1–")
    box = page.get_by_placeholder(NAME_BOX)
    box.fill(typed)
    box.press("Enter")
    text = wait_status(page, "No source matches")
    assert text.startswith("No source matches name starting with ")
    assert shown in text and len(text) < 200
    assert "0–0" not in text


def test_a_failed_cone_leaves_no_stale_status(demo_server, demo_sky, page):
    ra, dec = demo_sky["ra"], demo_sky["dec"]
    open_sources(page, demo_server)
    page.get_by_placeholder(RADIUS_BOX).fill("30 arcmin")
    centre = page.get_by_placeholder(CENTRE_BOX)
    centre.fill(f"{ra} {dec}")
    centre.press("Enter")
    wait_status(page, f"within 30 arcmin of RA {ra:.5f}°, Dec \\+{dec:.5f}°")
    # A cone adds the separation column.
    page.locator(".dsa-search-table th", has_text="Sep (arcsec)").wait_for()
    centre.fill("garbage text")
    centre.press("Enter")
    alert = page.locator(".dsa-search-error")
    alert.wait_for()
    message = text_of(alert)
    assert message.startswith("Cone centre: cannot read 'garbage text'")
    assert message.count("Cone centre") == 1 and "position" not in message
    assert "could not convert" not in message
    text = wait_status(page, "Search not run")
    assert "within" not in text and "arcsec" not in text
    assert page.locator(ROWS).count() == 0


def test_mjds_have_no_thousands_separator(demo_server, page):
    open_sources(page, demo_server)
    page.locator(ROWS).first.wait_for()
    wait_idle(page)
    values = page.locator(".dsa-search-table table.dsa-jobs").evaluate("""(t) => {
      const at = [...t.rows[0].cells].findIndex((th) => th.textContent === 'Last MJD');
      return [...t.rows].slice(1).map((r) => r.cells[at].textContent); }""")
    assert values and all(re.fullmatch(r"\d{5}\.\d{3}", v) for v in values), values[:5]


#: For each link: its colour, the background its row paints and their WCAG contrast
#: ratio; null while a link is not in the page (its table was replaced by a newer one).
CONTRASTS = """
(links) => links.map((a) => {
  if (!a.isConnected) return null;
  const rgb = (s) => (s.match(/\\d+(\\.\\d+)?/g) || []).slice(0, 3).map(Number);
  const lum = (c) => {
    const [r, g, b] = c.map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  // The backgrounds behind the link, nearest first, down to the first opaque one; a
  // translucent one (a table's row stripe) is blended over what lies under it.
  const layers = [];
  let el = a;
  while (el) {
    const c = getComputedStyle(el).backgroundColor;
    if (c && !/rgba\\(0, 0, 0, 0\\)|transparent/.test(c)) {
      const alpha = /rgba/.test(c) ? Number(c.match(/[\\d.]+(?=\\))/)[0]) : 1;
      layers.push([rgb(c), alpha]);
      if (alpha >= 1) break;
    }
    el = el.parentElement || (el.getRootNode() && el.getRootNode().host);
  }
  let under = [255, 255, 255];
  for (const [colour, alpha] of layers.reverse()) {
    under = under.map((u, i) => colour[i] * alpha + u * (1 - alpha));
  }
  const bg = `rgb(${under.map(Math.round).join(', ')})`;
  const fg = getComputedStyle(a).color;
  const [l1, l2] = [lum(rgb(fg)), lum(rgb(bg))].sort((x, y) => y - x);
  return {fg, bg, ratio: (l1 + 0.05) / (l2 + 0.05)};
})
"""


#: Each table's source links (both plain HTML tables).
SOURCE_LINKS = {".dsa-search-table": "table.dsa-jobs a.dsa-source-link",
                ".dsa-ese-table": "table.dsa-jobs a.dsa-source-link"}


def link_contrasts(page, table: str) -> list[dict]:
    """CONTRASTS of the first rows' source links in ``table`` (both row colours)."""
    links = page.locator(f"{table} {SOURCE_LINKS[table]}")
    links.first.wait_for()
    for _attempt in range(20):
        seen = links.evaluate_all(CONTRASTS)[:4]
        if seen and None not in seen:
            return seen
        page.wait_for_timeout(250)
    raise AssertionError(f"{table}: its links kept being replaced")


@pytest.mark.parametrize("theme", ["default", "dark"])
def test_source_links_are_readable_in_both_themes(demo_server, page, theme):
    open_sources(page, demo_server, f"?theme={theme}")
    for table in (".dsa-search-table", ".dsa-ese-table"):
        seen = link_contrasts(page, table)
        for i, colours in enumerate(seen):
            assert colours["fg"] != "rgb(0, 0, 238)", f"{table}: the browser's default blue"
            assert colours["ratio"] >= 3.0, f"{table} row {i} in {theme}: {colours}"
        if theme == "default":
            assert seen[0]["fg"] == "rgb(47, 128, 237)", "the source page's link colour"


def test_back_returns_to_the_previous_search(demo_server, demo_db, demo_sky, page):
    """The sources page on the one URL-state mechanism (decision 0043): each search is a
    history entry; Back shows the one before, from the address."""
    first, second = demo_sky["prefix3"], demo_sky["prefix3"][:2]
    totals = {p: SourceRepository(demo_db).search(name=p).total for p in (first, second)}
    open_sources(page, demo_server)
    box = page.get_by_placeholder(NAME_BOX)
    for prefix in (first, second):
        box.fill(prefix)
        box.press("Enter")
        page.wait_for_function(f"() => window.location.search === '?q={prefix}'")
        wait_status(page, f"of {totals[prefix]:,}")
    through_history(page, page.go_back)
    assert page.evaluate("() => window.location.search") == f"?q={first}"
    wait_status(page, f"of {totals[first]:,}")
    assert page.get_by_placeholder(NAME_BOX).input_value() == first

"""/images against the real server over the demo dataset (93 images, 3 poor, 3 pbcor)."""

from __future__ import annotations

import json
import re

import pytest

from browser.helpers import text_of, through_history, wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def truth(demo_dataset):
    return json.loads((demo_dataset / "demo_truth.json").read_text())


def open_images(page, server, query: str = ""):
    page.goto(server.url + "/images" + query)
    wait_idle(page)
    page.locator("text=/Rows \\d|No images match/").first.wait_for()


def range_text(page) -> str:
    return page.locator("text=/^Rows [0-9,]+–[0-9,]+ of [0-9,]+$/").first.inner_text()


def first_ids(page, n: int = 3) -> list[str]:
    cells = page.locator('.tabulator-row .tabulator-cell[tabulator-field="ID"]')
    return [cells.nth(i).inner_text().strip() for i in range(min(n, cells.count()))]


def column(page, field: str) -> list[str]:
    cells = page.locator(f'.tabulator-row .tabulator-cell[tabulator-field="{field}"]')
    return [c.strip() for c in cells.all_inner_texts()]


def wait_range(page, pattern: str) -> None:
    page.locator(f"text=/{pattern}/").first.wait_for()


def test_loads_with_total_and_one_page_of_rows(demo_server, page):
    open_images(page, demo_server)
    assert range_text(page) == "Rows 1–50 of 93"
    assert page.locator(".tabulator-row").count() == 50
    assert page.locator("text=Export CSV (93 rows)").count() == 1
    ids = [int(i) for i in column(page, "ID")]
    assert ids == sorted(ids, reverse=True)  # newest observation first


def test_text_filter_changes_rows_and_total_and_url(demo_server, page):
    open_images(page, demo_server)
    box = page.get_by_placeholder("e.g. pbcor or 2025-10-14")
    box.fill("pbcor")
    box.press("Enter")
    wait_range(page, "^Rows 1–3 of 3$")
    assert set(column(page, "Type")) == {"pbcor"}
    page.wait_for_function("() => window.location.search.includes('q=pbcor')")


def test_grade_filter_from_the_multichoice(demo_server, page):
    open_images(page, demo_server)
    choice = page.locator(".choices").nth(1)  # Type, then QA grade
    choice.click()
    page.locator(".choices__item--choice", has_text="poor").first.click()
    wait_range(page, "^Rows 1–3 of 3$")
    assert set(column(page, "QA grade")) == {"poor"}
    page.wait_for_function("() => window.location.search.includes('grade=poor')")


def test_header_click_sorts_in_sql(demo_server, page):
    open_images(page, demo_server)
    before = first_ids(page)
    page.locator('.tabulator-col[tabulator-field="Noise (mJy/beam)"] .tabulator-col-title').click()
    page.wait_for_function("() => window.location.search.includes('sort=noise_jy')")
    wait_idle(page)
    page.wait_for_timeout(300)
    noise = [float(v) for v in column(page, "Noise (mJy/beam)") if v != "—"]
    assert noise == sorted(noise, reverse=True)  # numbers start largest first
    assert first_ids(page) != before
    # The same header again flips the order.
    page.locator('.tabulator-col[tabulator-field="Noise (mJy/beam)"] .tabulator-col-title').click()
    page.wait_for_function("() => window.location.search.includes('order=asc')")
    wait_idle(page)
    page.wait_for_timeout(300)
    noise = [float(v) for v in column(page, "Noise (mJy/beam)") if v != "—"]
    assert noise == sorted(noise)


def test_next_page(demo_server, page):
    open_images(page, demo_server)
    before = set(column(page, "ID"))
    page.get_by_role("button", name="Next ›").click()
    wait_range(page, "^Rows 51–93 of 93$")
    after = set(column(page, "ID"))
    assert len(after) == 43 and before.isdisjoint(after)
    page.wait_for_function("() => window.location.search.includes('page=2')")


def test_url_reproduces_the_view(demo_server, page, truth):
    open_images(page, demo_server, "?grade=poor&sort=noise_jy&order=asc&size=25")
    wait_range(page, "^Rows 1–3 of 3$")
    assert set(column(page, "QA grade")) == {"poor"}
    assert len(truth["bad_image_grades"]) == 3
    noise = [float(v) for v in column(page, "Noise (mJy/beam)") if v != "—"]
    assert noise == sorted(noise)
    assert page.locator(".choices__item--selectable", has_text="poor").count() >= 1
    open_images(page, demo_server, "?page=2&size=25&type=5min")
    wait_range(page, "^Rows 26–50 of 90$")


def test_invalid_url_value_is_explained(demo_server, page):
    open_images(page, demo_server, "?dec_min=north")
    page.locator("text=Invalid filter").wait_for()
    assert page.locator("text=dec_min: 'north' is not a number").count() == 1
    alert = page.locator("p", has_text="Invalid filter")
    assert alert.inner_text().count("dec_min") == 1, alert.inner_text()  # named once


def test_date_past_the_calendar_is_explained(demo_server, page):
    open_images(page, demo_server, "?from=0001-01-01T00:00%2B14:00")
    page.locator("text=Invalid filter").wait_for()
    assert page.locator("text=outside the dates searched").count() == 1
    assert page.locator("text=Something went wrong").count() == 0


def test_grid_mode_shows_lazy_thumbnails(demo_server, page):
    open_images(page, demo_server, "?size=25")
    page.get_by_role("button", name="Grid").click()
    page.wait_for_function("() => window.location.search.includes('view=grid')")
    images = page.locator("img[src*='/thumbnail.png']")
    images.first.wait_for()
    assert images.count() == 25
    assert images.first.get_attribute("loading") == "lazy"
    src = images.first.get_attribute("src")
    assert re.fullmatch(r"/api/v1/images/\d+/thumbnail\.png", src)
    page.wait_for_function(
        "(img) => img.complete && img.naturalWidth > 0", arg=images.first.element_handle())
    tile = page.locator("a.dsa-tile").first
    assert re.fullmatch(r"/images/\d+", tile.get_attribute("href"))


def test_row_link_opens_the_detail_page(demo_server, page):
    open_images(page, demo_server)
    first = first_ids(page, 1)[0]
    page.locator('.tabulator-row .tabulator-cell[tabulator-field="ID"] a').first.click()
    page.wait_for_url(re.compile(rf"/images/{first}$"))
    wait_idle(page)
    page.locator(f"text=Image {first}").first.wait_for()


@pytest.mark.parametrize("start", ["", "?page=2"])
def test_a_page_past_the_end_shows_the_last_page_in_the_box_too(demo_server, page, start):
    open_images(page, demo_server, start)
    box = page.locator(".dsa-page-input input")
    box.fill("9")
    box.press("Enter")
    wait_range(page, "^Rows 51–93 of 93$")
    page.wait_for_function("() => window.location.search.includes('page=2')")
    page.wait_for_function("(el) => el.value === '2'", arg=box.element_handle())
    assert page.locator("text=of 2").count() >= 1


def test_a_link_past_the_end_is_corrected_in_place(demo_server, page):
    """The page's own correction replaces the history entry: Back leaves the page
    instead of reopening the link, which would correct itself again (decision 0043)."""
    open_images(page, demo_server, "?page=9&size=25")
    wait_range(page, "^Rows 76–93 of 93$")
    page.wait_for_function("() => window.location.search === '?page=4&size=25'")
    page.go_back()
    assert page.url == "about:blank"


def header_titles(page) -> dict[str, str]:
    cols = page.locator(".tabulator-col[tabulator-field]")
    return {c.get_attribute("tabulator-field"): c.locator(".tabulator-col-title").inner_text()
            .replace("\n", " ").strip() for c in cols.all()
            if c.get_attribute("tabulator-field") != "_index"}


def test_the_sorted_column_shows_its_direction(demo_server, page):
    open_images(page, demo_server)
    titles = header_titles(page)
    assert titles["Observed (UTC)"].endswith("↓") and titles["MJD"].endswith("↓")
    assert not any(t.endswith(("↓", "↑")) for f, t in titles.items()
                   if f not in ("Observed (UTC)", "MJD"))
    page.locator('.tabulator-col[tabulator-field="DR"] .tabulator-col-title').click()
    page.wait_for_function("() => window.location.search.includes('sort=dynamic_range')")
    dr = '.tabulator-col[tabulator-field="DR"] .tabulator-col-title'
    page.locator(dr, has_text="↓").wait_for()
    assert not header_titles(page)["MJD"].endswith("↓")
    page.locator('.tabulator-col[tabulator-field="DR"] .tabulator-col-title').click()
    page.wait_for_function("() => window.location.search.includes('order=asc')")
    page.locator(dr, has_text="↑").wait_for()


@pytest.mark.parametrize("theme", ["", "&theme=dark"])
def test_the_table_and_its_pager_fit_at_1280_by_800(demo_server, page, theme):
    page.set_viewport_size({"width": 1280, "height": 800})
    open_images(page, demo_server, "?size=25" + theme)
    holder = page.locator(".tabulator-tableholder").first
    scroll, client = holder.evaluate("e => [e.scrollWidth, e.clientWidth]")
    assert scroll <= client  # nothing of the table hidden to the right
    right = max(c.evaluate("e => e.getBoundingClientRect().right")
                for c in page.locator(".tabulator-col[tabulator-field]").all())
    assert right <= 1280
    path = page.locator('.tabulator-col[tabulator-field="Path"]').first
    assert path.evaluate("e => e.offsetWidth") >= 50  # the last column is there
    tops = {round(page.get_by_role("button", name=name).bounding_box()["y"])
            for name in ("« First", "‹ Previous", "Next ›", "Last »")}
    tops.add(round(page.locator(".dsa-page-input input").bounding_box()["y"]) - 0)
    assert max(tops) - min(tops) < 20  # one line


def test_filter_and_sort_round_trip_through_the_url_back_and_reload(demo_server, page):
    """The URL state mechanism (decision 0043): each change is a history entry, Back
    shows the state before it, Forward and reload the state in the address."""
    open_images(page, demo_server)
    choice = page.locator(".choices").nth(1)  # Type, then QA grade
    choice.click()
    page.locator(".choices__item--choice", has_text="poor").first.click()
    wait_range(page, "^Rows 1–3 of 3$")
    page.wait_for_function("() => window.location.search === '?grade=poor'")
    by_time = first_ids(page)
    page.locator('.tabulator-col[tabulator-field="Path"] .tabulator-col-title').click()
    page.wait_for_function(
        "() => window.location.search === '?grade=poor&sort=path&order=asc'")
    wait_idle(page)
    page.wait_for_timeout(300)
    by_path = first_ids(page)
    paths = column(page, "Path")
    assert paths == sorted(paths) and by_path != by_time

    through_history(page, page.go_back)  # before the sort: by time, the filter kept
    assert page.evaluate("() => window.location.search") == "?grade=poor"
    wait_range(page, "^Rows 1–3 of 3$")
    assert first_ids(page) == by_time
    assert page.locator(".choices__item--selectable", has_text="poor").count() >= 1

    through_history(page, page.go_back)  # before the filter
    assert page.evaluate("() => window.location.search") == ""
    wait_range(page, "^Rows 1–50 of 93$")

    through_history(page, page.go_forward)
    wait_range(page, "^Rows 1–3 of 3$")
    through_history(page, page.go_forward)  # the sort again
    assert page.evaluate("() => window.location.search") == "?grade=poor&sort=path&order=asc"
    wait_range(page, "^Rows 1–3 of 3$")
    assert first_ids(page) == by_path

    page.reload()
    wait_idle(page)
    wait_range(page, "^Rows 1–3 of 3$")
    assert first_ids(page) == by_path


def test_bad_url_values_are_named_and_leave_the_address(demo_server, page):
    open_images(page, demo_server, "?page=x&dec_min=abc&type=5min&grade=awful")
    wait_range(page, "^Rows 1–50 of 90$")  # the good value is used, the bad ones not
    notes = page.locator(".dsa-images-notes")
    notes.wait_for()
    text = text_of(notes)
    assert "Invalid filter values in the link were ignored" in text
    assert "Ignored page=x: not a whole number" in text
    assert "Ignored dec_min: 'abc' is not a number" in text
    assert "Ignored grade=awful: unknown QA grade 'awful'" in text
    page.wait_for_function("() => window.location.search === '?type=5min'")
    # The notes are about the link: gone once the user changes the search.
    page.get_by_role("button", name="Next ›").click()
    wait_range(page, "^Rows 51–90 of 90$")
    notes.wait_for(state="hidden")
    page.wait_for_function("() => window.location.search === '?type=5min&page=2'")
    # Leaving the address added no history entry: Back leads to the cleaned link (not
    # to the bad values again), and Back once more leaves the page.
    through_history(page, page.go_back)
    wait_range(page, "^Rows 1–50 of 90$")
    assert page.evaluate("() => window.location.search") == "?type=5min"
    assert page.locator(".dsa-images-notes").is_hidden()
    page.go_back()
    assert page.url == "about:blank"


def test_images_of_unknown_declination_are_counted_and_can_be_included(demo_server, page,
                                                                        truth):
    unknown = len(truth["null_metadata_images"])
    assert unknown > 0
    open_images(page, demo_server, "?dec_min=-90")
    note = page.locator(f"text={unknown} images with unknown declination left out by the "
                        "filters.")
    note.wait_for()
    assert range_text(page) == f"Rows 1–50 of {93 - unknown}"
    # The only checkbox of the page (its label text sits in Bokeh's shadow DOM).
    box = page.locator("input[type=checkbox]")
    assert box.count() == 1 and page.locator("text=Include images with unknown values").count()
    box.click()
    wait_range(page, "^Rows 1–50 of 93$")
    page.locator(f"text=Including {unknown} images with unknown declination.").wait_for()
    page.wait_for_function("() => window.location.search.includes('with_unknown=1')")
    # The URL reproduces it.
    open_images(page, demo_server, "?dec_min=-90&with_unknown=1")
    assert range_text(page) == "Rows 1–50 of 93"

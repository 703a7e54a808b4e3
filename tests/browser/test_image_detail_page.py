"""/images/{id} against the real server over the demo dataset."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3

import pytest

from browser.helpers import wait_idle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_ids(demo_dataset):
    with sqlite3.connect(demo_dataset / "pipeline.sqlite3") as conn:
        rows = conn.execute(
            "SELECT i.id, i.path, i.ms_path FROM images i JOIN ms_index m "
            "ON m.path = i.ms_path ORDER BY m.mid_mjd, i.id").fetchall()
    return rows


@pytest.fixture(scope="module")
def truth(demo_dataset):
    return json.loads((demo_dataset / "demo_truth.json").read_text())


def open_detail(page, server, image_id, query: str = ""):
    page.goto(f"{server.url}/images/{image_id}{query}")
    wait_idle(page)


def test_detail_shows_header_provenance_qa_beam_and_plot(demo_server, page, demo_ids):
    image_id, path, ms_path = demo_ids[5]
    open_detail(page, demo_server, image_id)
    page.locator(f"text=Image {image_id}").first.wait_for()
    page.locator("text=TELESCOP").first.wait_for()
    assert page.locator("text=/TELESCOP\\s*=\\s*'DSA-110/").count() == 1
    assert page.get_by_text(ms_path).count() >= 1  # provenance: the MS
    assert page.locator("text=QA grade").count() >= 1
    assert page.locator("text=/\\d+\\.\\d″ × \\d+\\.\\d″, PA/").count() == 1  # beam
    assert page.locator("text=Calibration tables active at its MJD").count() == 1
    assert page.locator("text=Jobs that processed the MS").count() == 1
    page.locator("canvas").first.wait_for()
    assert page.locator(f"a[href='/api/v1/images/{image_id}/fits']").count() == 1
    assert page.locator("a[href*='/cutout.png?ra=']").count() >= 1
    assert page.locator("text=/Catalogue sources measured in this image \\(\\d+\\)/").count() == 1


def test_pointer_shows_ra_dec_and_value(demo_server, page, demo_ids):
    open_detail(page, demo_server, demo_ids[5][0])
    canvas = page.locator(".bk-Canvas, canvas").first
    canvas.wait_for()
    box = page.locator("canvas").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.move(box["x"] + box["width"] / 2 + 5, box["y"] + box["height"] / 2 + 5)
    page.locator("text=/RA \\d\\dh\\d\\dm/").first.wait_for()
    assert page.locator("text=/value .*mJy\\/beam|value blank/").count() >= 1


def test_stretch_change_rerenders_and_goes_to_the_url(demo_server, page, demo_ids):
    open_detail(page, demo_server, demo_ids[5][0])
    stretch = page.locator("select").filter(has=page.locator("option[value='zscale_asinh']"))
    stretch.first.select_option("log")
    page.wait_for_function("() => window.location.search.includes('stretch=log')")
    wait_idle(page)
    page.locator("canvas").first.wait_for()
    cmap = page.locator("select").filter(has=page.locator("option[value='viridis']"))
    cmap.first.select_option("viridis")
    page.wait_for_function("() => window.location.search.includes('cmap=viridis')")
    wait_idle(page)
    # The URL reproduces the view, and the neighbours' links keep the look.
    open_detail(page, demo_server, demo_ids[5][0], "?stretch=log&cmap=viridis")
    page.locator("text=Next in time →").wait_for()
    href = page.locator("a", has_text="Next in time →").get_attribute("href")
    assert href == f"/images/{demo_ids[6][0]}?stretch=log&cmap=viridis"
    assert stretch.first.input_value() == "log"


def test_previous_and_next_links(demo_server, page, demo_ids):
    open_detail(page, demo_server, demo_ids[5][0])
    page.locator("a", has_text="Next in time →").click()
    page.wait_for_url(re.compile(rf"/images/{demo_ids[6][0]}$"))
    wait_idle(page)
    page.locator("a", has_text="← Previous in time").click()
    page.wait_for_url(re.compile(rf"/images/{demo_ids[5][0]}$"))
    wait_idle(page)
    open_detail(page, demo_server, demo_ids[0][0])
    page.locator("text=← Previous in time (none)").wait_for()


def test_null_metadata_says_where_values_come_from(demo_server, page, demo_ids, truth):
    path = truth["null_metadata_images"][0]
    image_id = next(i for i, p, _ in demo_ids if p == path)
    open_detail(page, demo_server, image_id)
    page.locator("text=from FITS header").first.wait_for()
    assert page.locator("text=computed from pixels").count() >= 1


def test_unknown_and_malformed_ids(demo_server, page):
    open_detail(page, demo_server, 999999)
    page.locator("text=No image with id 999999").wait_for()
    open_detail(page, demo_server, "abc")
    page.locator("text=Image ids are whole numbers").wait_for()


def test_missing_file_shows_row_and_message(demo_server, page, demo_ids, tmp_path):
    image_id, path, ms_path = demo_ids[7]
    moved = tmp_path / "moved.fits"
    shutil.move(path, moved)
    try:
        open_detail(page, demo_server, image_id)
        page.locator("text=The image file cannot be shown").wait_for()
        assert page.get_by_text(ms_path).count() >= 1
        assert page.locator("text=Calibration tables active at its MJD").count() == 1
    finally:
        shutil.move(moved, path)

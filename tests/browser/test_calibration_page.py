"""The Calibration page in Chromium over the demo dataset: the apply-list moves with the
chosen time (and the address keeps it), the demo's still-active-but-expired set reads
expired, the timeline and the QA heat map are drawn, a bad time is named. Screenshots of
both themes at two sizes are saved under /tmp/calibration-*.png for a person to look at."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from browser.helpers import wait_idle
from dsa110_dashboard.science.times import format_mjd

SHOTS = "/tmp/calibration-{}.png"


@pytest.fixture(scope="module")
def truth(demo_dataset) -> dict:
    return json.loads((demo_dataset / "demo_truth.json").read_text())


def apply_sets(page) -> set[str]:
    cells = page.locator("table.dsa-cal-apply tr td:nth-child(3)").all_inner_texts()
    return {c.strip() for c in cells}


def test_move_the_time_and_the_apply_list_changes(demo_server, page, truth):
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(demo_server.url + "/calibration")
    wait_idle(page)
    page.locator("table.dsa-cal-apply td").first.wait_for()
    now_sets = apply_sets(page)
    assert now_sets, "tables are valid now in the demo"
    page.locator(".dsa-cal-timeline .bk-Figure, .dsa-cal-timeline canvas").first.wait_for()
    page.screenshot(path=SHOTS.format("1280-light"), full_page=True)
    # Half a day before the expired flux set ends: it is applied then.
    chosen = truth["expired_calset"]["valid_end_mjd"] - 0.5
    field = page.locator(".dsa-cal-at input")
    field.fill(format_mjd(chosen, seconds=False).replace(" ", "T"))
    field.press("Enter")
    page.wait_for_url(re.compile(r"[?&]at=2026"))
    expect(page.locator("table.dsa-cal-apply")).to_contain_text(
        truth["expired_calset"]["set_name"], timeout=20_000)
    deadline_sets = apply_sets(page)
    assert deadline_sets and deadline_sets != now_sets
    # The same address in a new page shows the same time.
    page.goto(page.url)
    wait_idle(page)
    page.locator("table.dsa-cal-apply td").first.wait_for()
    assert apply_sets(page) == deadline_sets


def test_expired_set_and_bad_time(demo_server, page, truth):
    page.set_viewport_size({"width": 1920, "height": 1080})
    page.goto(demo_server.url + "/calibration?state=expired&theme=dark&at=sometime")
    wait_idle(page)
    page.locator(".dsa-cal-warnings").get_by_text("at:").wait_for()
    page.locator("table.dsa-cal-registry td").first.wait_for()
    sets = {s.strip() for s in page.locator(
        "table.dsa-cal-registry tr td:nth-child(1)").all_inner_texts()}
    assert truth["expired_calset"]["set_name"] in sets
    states = {s.strip() for s in page.locator(
        "table.dsa-cal-registry .dsa-badge[class*='dsa-state-']").all_inner_texts()}
    assert states == {"expired"}
    page.locator(".dsa-cal-qa .bk-Figure, .dsa-cal-qa canvas").first.wait_for()
    page.screenshot(path=SHOTS.format("1920-dark"), full_page=True)

"""The QA page in Chromium over the demo dataset: changing the range (typed, and by a
button) changes what is shown and the address keeps it, a bad time is named, a click on
a point opens that image, and a signed-in user flags the images in a drawn box."""

from __future__ import annotations

import math
import re
import shutil
import urllib.parse

import numpy as np
import pytest

from browser.conftest import demo_env
from browser.helpers import wait_idle
from browser.test_sources_page import DATA_TO_SCREEN, click_data
from dsa110_dashboard.repositories.flags import ImageFlags
from dsa110_dashboard.science.times import mjd_to_unix_ms
from dsa110_dashboard.viewmodels.qa import QAModel
from dsa110_dashboard.views.qa import PICK_TOLERANCE
from hashes import quick_hash
from server import start_server

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def qa_model(demo_db) -> QAModel:
    """The page's default range (the last 7 days: the whole demo) read directly."""
    model = QAModel(demo_db)
    model.refresh()
    assert model.error is None and len(model.points) > 20
    return model


def open_qa(page, server, query: str = "") -> None:
    # Four figures on a loaded two-core machine: allow the page its time.
    page.goto(server.url + "/qa" + query, wait_until="domcontentloaded", timeout=90_000)
    page.locator(".dsa-qa-summary >> text=/\\d+ images/").wait_for(timeout=90_000)
    wait_idle(page, 60_000)


#: Figures of the beam section in the page (its three trend plots, by their tags).
BEAM_FIGURES = """() => [...Bokeh.documents[0].all_models].filter((m) => m.type === 'Figure'
  && m.tags.some((t) => String(t).startsWith('dsa-qa-plot-beam'))).length"""


def summary_count(page) -> int:
    text = page.locator(".dsa-qa-summary >> text=/\\d+ images/").inner_text()
    return int(re.search(r"([\d,]+) images", text).group(1).replace(",", ""))


def test_changing_the_range(demo_server, page, qa_model):
    open_qa(page, demo_server)
    assert summary_count(page) == len(qa_model.points)
    # Nobody is signed in (open access): flagging is off and says why.
    page.locator(".dsa-qa-flag-blocked >> text=/sign/i").wait_for()
    assert page.locator(".dsa-qa-flag button").is_disabled()
    assert page.locator(".dsa-qa-nights tr").count() >= 3  # a header and the nights
    assert page.locator(".dsa-qa-worst a").count() > 0
    # The beam's plots are built when their tab is opened, and the address keeps it.
    assert page.evaluate(BEAM_FIGURES) == 0
    page.locator(".bk-tab", has_text="Beam and sources").click()
    page.wait_for_function("() => window.location.search.includes('plots=beam')")
    page.wait_for_function(f"() => ({BEAM_FIGURES})() === 3", timeout=60_000)
    # The last day only: typed, then Enter; the address keeps it.
    last = float(qa_model.points["mjd"].max())
    start = f"{last - 1:.4f}"
    box = page.locator(".dsa-qa-from input")
    box.fill(start)
    box.press("Enter")
    page.wait_for_function(f"() => window.location.search.includes('from={start}')")
    expected = int((qa_model.points["mjd"] >= last - 1).sum())
    page.locator(f".dsa-qa-summary >> text='{expected:,} images'").wait_for(timeout=60_000)
    assert "plots=beam" in page.url
    # A link with the range opens the same view; a time that cannot be read is named.
    open_qa(page, demo_server, f"?from={start}")
    assert summary_count(page) == expected
    page.goto(demo_server.url + "/qa?from=yesterday-ish", wait_until="domcontentloaded",
              timeout=90_000)
    wait_idle(page, 60_000)
    page.locator(".dsa-qa-notes >> text=/from/").wait_for()
    assert "from=" not in page.url


def lone_point(model: QAModel) -> dict:
    """The measured noise point farthest from any other (in the default view's units):
    a click on it can only mean it."""
    measured, _ = model.series("noise")
    x = measured["mjd"].to_numpy(float) / 7.0
    y = np.log10(measured["noise"].to_numpy(float))
    y = y / max(float(np.ptp(y)), 1e-9)
    d2 = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
    np.fill_diagonal(d2, np.inf)
    i = int(np.argmax(d2.min(axis=1)))
    assert math.sqrt(d2[i].min()) > PICK_TOLERANCE
    return measured.iloc[i].to_dict()


def test_a_click_on_a_point_opens_its_image(demo_server, page, qa_model):
    target = lone_point(qa_model)
    open_qa(page, demo_server)
    x = float(mjd_to_unix_ms(np.array([target["mjd"]]))[0])
    click_data(page, x, math.log10(target["noise"]), figure=0)
    page.wait_for_url(re.compile(rf"/images/{int(target['image_id'])}$"))


@pytest.fixture
def signed_in_server(demo_dataset, tmp_path):
    """Sign-in on, over a copy of the demo database (flags are written to it)."""
    db = tmp_path / "pipeline.sqlite3"
    shutil.copy(demo_dataset / "pipeline.sqlite3", db)
    env = {**demo_env(demo_dataset, tmp_path / "cache"), "DSA110_DASH_DB": str(db),
           "DSA110_DASH_BASIC_AUTH": quick_hash("pulsar-42"),
           "DSA110_DASH_COOKIE_SECRET": "x" * 40,
           "DSA110_DASH_AUTH_DB": str(tmp_path / "auth.sqlite3")}
    server = start_server(env)
    yield server, db
    server.stop()


def test_flag_a_drawn_box_of_points(signed_in_server, page):
    server, db_path = signed_in_server
    page.goto(server.url + "/qa", wait_until="domcontentloaded", timeout=90_000)
    page.wait_for_url("**/login**")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "pulsar-42")
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    open_qa(page, server)
    page.locator(".dsa-qa-selection >> text=/Drag a box/").wait_for()
    # A box over the last half of the noise plot (the demo's days are the last three of
    # the default week), above the "no value" row, drawn from its lower right corner.
    frame = page.evaluate(DATA_TO_SCREEN.replace(
        "return [r.left + f.frame.x_scale.compute(x), r.top + f.frame.y_scale.compute(y)];",
        "const b = f.frame.bbox; return [r.left + b.left, r.top + b.top, "
        "r.left + b.right, r.top + b.bottom];"), [0, 0, 0])
    left, top, right, bottom = frame
    page.mouse.move(right - 4, bottom - (bottom - top) * 0.2)
    page.mouse.down()
    page.mouse.move(left + (right - left) / 2, top + 4, steps=8)
    page.mouse.up()
    page.locator(".dsa-qa-selection >> text=/\\d+ image\\(s\\) selected/").wait_for()
    selected = int(re.search(r"([\d,]+) image", page.locator(
        ".dsa-qa-selection >> text=/selected/").inner_text()).group(1).replace(",", ""))
    assert selected > 0
    page.locator(".dsa-qa-note input").fill("striping")
    page.locator(".dsa-qa-flag button").click()
    page.locator(f".dsa-qa-flag-message >> text=Flagged {selected:,} image(s) bad.").wait_for()

    from dbsupport import settings_for
    from dsa110_dashboard.db.engine import Database

    db = Database(settings_for(str(db_path)))
    try:
        bad = ImageFlags(db).bad_image_ids()
        assert len(bad) == selected
        current = ImageFlags(db).current(sorted(bad))
        assert {f["user"] for f in current.values()} == {"alice"}
        assert {f["note"] for f in current.values()} == {"striping"}
    finally:
        db.dispose()
    # The nights' table counts the flags.
    page.locator(".dsa-qa-nights >> text=/bad \\d+/").first.wait_for()
    assert urllib.parse.urlparse(page.url).path == "/qa"

"""ImageFlagsModel (the image page's flag control) and the places a flagged-bad image is
shown (images page rows, Overview's latest image, lightcurve rows), on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest

from dbsupport import settings_for
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.flags import ImageFlags
from dsa110_dashboard.repositories.lightcurves import LightcurveRepository
from dsa110_dashboard.viewmodels.image_browser import ImageBrowserModel
from dsa110_dashboard.viewmodels.image_flags import SIGN_IN_OFF, SIGNED_OUT, ImageFlagsModel
from dsa110_dashboard.viewmodels.overview import OverviewModel
from dsa110_dashboard.views.image_grid import grid_html
from dsa110_dashboard.views.image_table import display_frame
from factories import MJD0, UNIX0, insert


@pytest.fixture
def images(db):
    with db.transaction() as conn:
        ids = [insert(conn, "images", path=f"/data/images/f{n}-image.fits",
                      created_at=UNIX0 + n * 300)["id"] for n in range(3)]
        for n, image_id in enumerate(ids):
            insert(conn, "photometry", source_id="NVSS J000000.0+540000",
                   image_path=f"/data/images/f{n}-image.fits", mjd=MJD0 + n,
                   ra_deg=0.0, dec_deg=54.0)
    return ids


def model(db, image_id, user):
    m = ImageFlagsModel(db, identify=lambda: user, image_id=image_id)
    m.load()
    return m


def test_signed_in_user_flags_and_a_later_flag_supersedes(db, images):
    m = model(db, images[0], "alice")
    assert m.blocked is None and m.current is None and m.history.empty
    m.param.update(verdict="bad", note="RFI")
    assert m.submit() is True
    assert m.current["verdict"] == "bad" and m.current["user"] == "alice"
    assert m.note == "" and m.message == "Flagged bad." and m.message_ok
    other = model(db, images[0], "bob")
    assert other.current["verdict"] == "bad"
    other.verdict = "unsure"
    assert other.submit()
    assert list(other.history["verdict"]) == ["unsure", "bad"]
    assert list(other.history["current"]) == [True, False]


@pytest.mark.parametrize("user, reason", [(None, SIGN_IN_OFF), ("", SIGNED_OUT)])
def test_nobody_signed_in_is_blocked_with_the_reason(db, images, user, reason):
    m = model(db, images[0], user)
    assert m.blocked == reason
    assert m.submit() is False and m.message == reason
    assert ImageFlags(db).current(images) == {}


def test_read_only_database_blocks_with_the_reason(db_url, images):
    ro = Database(settings_for(db_url, DSA110_DASH_READ_ONLY="true"))
    try:
        m = model(ro, images[0], "alice")
        assert "read-only" in m.blocked
    finally:
        ro.dispose()


def test_flagged_bad_is_shown_in_the_table_grid_overview_and_lightcurve(db, images):
    ImageFlags(db).flag([images[2]], "bad", "ghosts", "alice")
    ImageFlags(db).flag([images[1]], "good", "", "alice")
    browser = ImageBrowserModel(db)
    browser.apply(browser.fetch())
    rows = browser.rows.set_index("id")
    assert rows.loc[images[2], "flag_verdict"] == "bad" and rows.loc[images[2], "flagged_bad"]
    assert rows.loc[images[1], "flag_verdict"] == "good"
    assert rows.loc[images[0], "flag_verdict"] is None
    table = display_frame(browser.rows)
    flags = dict(zip(browser.rows["id"], table["QA grade"]))
    assert "dsa-flag-bad" in flags[images[2]] and "ghosts" in flags[images[2]]
    assert "dsa-flag" not in flags[images[0]]
    assert grid_html(browser.rows).count("dsa-tile-bad") == 1

    overview = OverviewModel(db)
    snapshot = overview.fetch()
    assert snapshot.latest.id == images[2]
    assert snapshot.latest_flag["verdict"] == "bad"

    lc = LightcurveRepository(db).lightcurve("NVSS J000000.0+540000")
    assert list(lc["flagged_bad"]) == [False, False, True]
    assert list(lc["flag_verdict"]) == [None, "good", "bad"]

"""ImageBrowserModel on SQLite and PostgreSQL: filters -> SQL page -> rows and total."""

from __future__ import annotations

import pytest
from factories import MJD0, UNIX0, insert

from dsa110_dashboard.viewmodels.image_browser import (
    BrowserFailure,
    BrowserResult,
    ImageBrowserModel,
)
from dsa110_dashboard.queries.image_query import ImageQuery


@pytest.fixture
def images(db):
    """30 images, one per 5 minutes: types alternate, noise grows, grades vary."""
    ids = []
    with db.transaction() as conn:
        for n in range(30):
            ms = insert(conn, "ms_index", path=f"/data/ms/obs{n:03d}.ms",
                        mid_mjd=MJD0 + n * 300 / 86400)
            row = insert(conn, "images", path=f"/data/images/obs{n:03d}-image.fits",
                         ms_path=ms["path"], created_at=UNIX0 + n * 300,
                         type="5min" if n % 3 else "pbcor", noise_jy=(n + 1) * 1e-4,
                         dynamic_range=50.0 * (n + 1), center_dec_deg=54.57 if n < 20 else 16.3)
            ids.append(row["id"])
            if n % 5 == 0:
                insert(conn, "image_qa", image_path=row["path"], ms_path=ms["path"],
                       overall_quality="poor" if n % 10 == 0 else "good")
    return ids


def test_first_page_and_total(db, images):
    model = ImageBrowserModel(db, size=25)
    model.refresh()
    assert model.total == 30 and len(model.rows) == 25
    assert model.rows["id"].tolist()[0] == images[-1]  # newest observation first
    assert model.range_text == "Rows 1–25 of 30"
    assert model.type_options == ["5min", "pbcor"]
    assert model.page_count == 2


def test_next_page_changes_rows(db, images):
    model = ImageBrowserModel(db, size=25)
    model.refresh()
    first = set(model.rows["id"])
    model.next_page()
    model.refresh()
    assert model.page == 2 and len(model.rows) == 5
    assert first.isdisjoint(model.rows["id"])
    assert model.range_text == "Rows 26–30 of 30"


def test_filters_narrow_rows_and_total(db, images):
    model = ImageBrowserModel(db)
    model.types = ["pbcor"]
    model.refresh()
    assert model.total == 10 and set(model.rows["type"]) == {"pbcor"}
    model.param.update(types=[], grades=["poor"])
    model.refresh()
    assert model.total == 3 and set(model.rows["qa_grade"]) == {"poor"}
    model.param.update(grades=["unknown"])
    model.refresh()
    assert model.total == 24
    model.param.update(grades=[], noise_min="1", noise_max="1.5")  # mJy/beam
    model.refresh()
    assert model.total == 6
    model.param.update(noise_min="", noise_max="", dec_max="20")
    model.refresh()
    assert model.total == 10
    model.param.update(dec_max="", time_from=f"{MJD0 + 10 * 300 / 86400 - 1e-6:.7f}",
                       time_to=f"{MJD0 + 14 * 300 / 86400 + 1e-6:.7f}")
    model.refresh()
    assert model.total == 5
    model.param.update(time_from="", time_to="", search="obs02")
    model.refresh()
    assert model.total == 10


def test_sorting_in_sql(db, images):
    model = ImageBrowserModel(db, sort="noise_jy", order="asc", size=5)
    model.refresh()
    noise = model.rows["noise_jy"].tolist()
    assert noise == sorted(noise) and noise[0] == pytest.approx(1e-4)
    model.sort_by("noise_jy")  # the same column flips the order
    model.refresh()
    assert model.order == "desc" and model.rows["noise_jy"].iloc[0] == pytest.approx(3e-3)
    model.sort_by("type")  # a text column starts ascending
    assert model.order == "asc"


def test_filter_change_goes_back_to_page_one(db, images):
    model = ImageBrowserModel(db, size=10)
    model.refresh()
    model.page = 3
    model.types = ["5min"]
    assert model.page == 1


def test_invalid_filter_is_reported_with_its_parameter(db, images):
    model = ImageBrowserModel(db)
    model.dec_min = "north"
    model.refresh()
    assert model.error_parameter == "dec_min" and "number" in model.error
    assert model.total == 0 and model.rows.empty
    model.dec_min = "50"
    model.refresh()
    assert model.error is None and model.total == 20


@pytest.mark.parametrize("name, key, text", [
    ("time_from", "from", "0001-01-01T00:00+14:00"),
    ("time_to", "to", "9999-12-31T23:59-14:00"),
])
def test_date_past_the_calendar_is_an_input_message(db, images, name, key, text):
    model = ImageBrowserModel(db)
    setattr(model, name, text)
    model.refresh()
    assert model.error_parameter == key and "outside the dates searched" in model.error
    assert model.total == 0


def test_page_beyond_the_end_is_clamped(db, images):
    model = ImageBrowserModel(db, size=25)
    model.set_query(ImageQuery(page=9, size=25))
    model.refresh()
    assert model.page == 2 and len(model.rows) == 5


def test_url_round_trip(db, images):
    model = ImageBrowserModel(db)
    model.param.update(types=["5min"], grades=["good"], dr_min="100", sort="dynamic_range",
                       order="asc", view="grid")
    model.page = 2
    args = model.query_args()
    assert args == {"type": "5min", "grade": "good", "dr_min": "100",
                    "sort": "dynamic_range", "order": "asc", "page": "2", "view": "grid"}
    other = ImageBrowserModel(db)
    other.set_query(ImageQuery.from_args(args))
    assert other.query == model.query
    assert model.url_search().startswith("?type=5min")
    # The export link carries the filters and order, not the page or the view.
    assert model.export_url == ("/api/v1/images.csv?type=5min&dr_min=100&grade=good"
                                "&sort=dynamic_range&order=asc")


def test_a_stale_answer_is_not_shown(db, images):
    model = ImageBrowserModel(db)
    stale = model.fetch()
    model.types = ["pbcor"]
    assert isinstance(stale, BrowserResult)
    assert model.apply(stale) is False and model.total is None
    assert model.apply(model.fetch()) is True and model.total == 10


def test_database_down_is_an_expected_failure(tmp_path):
    from dbsupport import settings_for
    from dsa110_dashboard.db.engine import Database

    missing = Database(settings_for(str(tmp_path / "nowhere" / "pipeline.sqlite3")))
    model = ImageBrowserModel(missing)
    result = model.fetch()
    assert isinstance(result, BrowserFailure)
    model.apply(result)
    assert model.error


def test_a_page_size_from_a_url_is_held_to_the_setting(db_url):
    from dbsupport import settings_for
    from dsa110_dashboard.db.engine import Database

    small = Database(settings_for(db_url, DSA110_DASH_PAGE_SIZE_MAX="30"))
    try:
        model = ImageBrowserModel(small)
        model.set_query(ImageQuery.from_args({"size": "100000"}))
        assert model.size == 30
    finally:
        small.dispose()


def test_images_of_unknown_value_are_counted_and_can_be_included(db, images):
    with db.transaction() as conn:
        extra = [insert(conn, "images", path=f"/data/images/bare{n}.fits",
                        created_at=UNIX0 + 9000 + n, center_dec_deg=None,
                        noise_jy=None)["id"] for n in range(3)]
    model = ImageBrowserModel(db)
    model.dec_min = "50"
    model.refresh()
    assert model.total == 20
    assert model.unknown_counts == {"any": 3, "dec": 3}
    assert model.unknown_text == "3 images with unknown declination left out by the filters."
    assert model.summary_available and model.summary_note == ""
    model.with_unknown = True
    assert model.page == 1 and model.query_args()["with_unknown"] == "1"
    model.refresh()
    assert model.total == 23 and set(extra) <= set(model.rows["id"])
    assert model.unknown_text == "Including 3 images with unknown declination."
    model.noise_max = "0.5"  # mJy/beam
    model.refresh()
    assert model.unknown_text == ("Including 3 images with unknown declination or noise.")

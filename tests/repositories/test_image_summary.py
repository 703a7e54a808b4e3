"""Our image summary on SQLite and PostgreSQL: images whose centre, noise or dynamic range
are NULL in the pipeline's table reach the filters once `image-summary` measured them
from their (real) FITS files; what stays unknown is counted and can be let through; the
QA-grade filter answers from the summary and still sees the pipeline's later QA rows."""

from __future__ import annotations

import sqlite3

import pytest
import sqlalchemy as sa
from dbsupport import settings_for
from factories import UNIX0, insert

from dsa110_dashboard.cli.main import main as cli_main
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.fits.synth import sky_image, write_dsa110_fits
from dsa110_dashboard.jobs.image_summary import fill_image_summary
from dsa110_dashboard.repositories.image_summary import ImageSummaryRepository
from dsa110_dashboard.repositories.images import ImageFilter, ImageRepository
from dsa110_dashboard.repositories.paging import PageRequest

NOISE = 2e-3  # Jy/beam of the written pixels
PEAK = 1.0


def fits_image(path, dec: float) -> str:
    data = sky_image((128, 128), [(64, 64, PEAK)], noise=NOISE, seed=int(dec * 10) % 97)
    write_dsa110_fits(path, data, center_ra=120.0, center_dec=dec, cell_arcsec=6.0)
    return str(path)


@pytest.fixture
def images(db, tmp_path):
    """Four images: 'full' with every value, 'bare' and 'bare2' with real files but NULL
    centre/noise/dynamic range, 'lost' NULL too and its file missing."""
    paths = {"full": fits_image(tmp_path / "full.fits", 30.0),
             "bare": fits_image(tmp_path / "bare.fits", 50.0),
             "bare2": fits_image(tmp_path / "bare2.fits", 10.0),
             "lost": str(tmp_path / "lost.fits")}
    null = dict(center_ra_deg=None, center_dec_deg=None, noise_jy=None, dynamic_range=None)
    with db.transaction() as conn:
        ids = {
            "full": insert(conn, "images", path=paths["full"], created_at=UNIX0 + 1,
                           center_ra_deg=120.0, center_dec_deg=30.0, noise_jy=1e-3,
                           dynamic_range=900.0)["id"],
            "bare": insert(conn, "images", path=paths["bare"], created_at=UNIX0 + 2,
                           **null)["id"],
            "bare2": insert(conn, "images", path=paths["bare2"], created_at=UNIX0 + 3,
                            **null)["id"],
            "lost": insert(conn, "images", path=paths["lost"], created_at=UNIX0 + 4,
                           **null)["id"],
        }
        insert(conn, "image_qa", image_path=paths["full"], overall_quality="good",
               timestamp=UNIX0 + 10)
        insert(conn, "image_qa", image_path=paths["bare"], overall_quality="poor",
               timestamp=UNIX0 + 10)
    return ids


def target(db) -> str:
    return (str(db.target.url.database) if db.dialect == "sqlite"
            else db.target.url.render_as_string(hide_password=False))


def settings(db, tmp_path):
    return settings_for(target(db), DSA110_DASH_DATA_ROOTS=str(tmp_path),
                        DSA110_DASH_CACHE_DIR=str(tmp_path / "cache"))


def ids_of(db, **filters) -> set[int]:
    page = ImageRepository(db).page(ImageFilter(**filters), PageRequest(limit=100))
    assert page.total == len(page.rows)
    return set(page.rows["id"].astype(int))


def test_filters_see_measured_values_after_image_summary(db, images, tmp_path):
    repo = ImageRepository(db)
    assert ids_of(db, dec_min=40.0) == set()
    assert repo.unknown_counts(ImageFilter(dec_min=40.0)) == {"any": 3, "dec": 3}

    run = fill_image_summary(db, settings(db, tmp_path), workers=1)
    assert run.measured == 2
    assert [p for p, _ in run.failed] == [str(tmp_path / "lost.fits")]

    assert ids_of(db, dec_min=40.0) == {images["bare"]}
    assert ids_of(db, dec_min=5.0, dec_max=35.0) == {images["full"], images["bare2"]}
    # Noise measured from the pixels: 2 mJy/beam written, the pipeline's 1 mJy kept.
    assert ids_of(db, noise_min=1.5e-3, noise_max=2.5e-3) == {images["bare"], images["bare2"]}
    assert ids_of(db, noise_max=1.2e-3) == {images["full"]}
    assert ids_of(db, dr_min=100.0) == {images["full"], images["bare"], images["bare2"]}
    # Only the missing file stays unknown; with_unknown lets it through.
    assert repo.unknown_counts(ImageFilter(dec_min=40.0)) == {"any": 1, "dec": 1}
    assert ids_of(db, dec_min=40.0, with_unknown=True) == {images["bare"], images["lost"]}
    assert repo.unknown_counts(ImageFilter(dec_min=40.0, noise_max=1.0)) == {
        "any": 1, "dec": 1, "noise": 1}

    # The table shows the measured values where the pipeline has none.
    rows = repo.page(ImageFilter(), PageRequest(sort="id", descending=False)).rows
    bare = rows.set_index("id").loc[images["bare"]]
    assert bare["center_dec_deg"] == pytest.approx(50.0, abs=0.01)
    assert bare["noise_jy"] == pytest.approx(NOISE, rel=0.1)
    # ... and the single image keeps the pipeline's own (NULL), for the detail page.
    assert repo.get(images["bare"]).center_dec_deg is None

    # A second run measures nothing again (the failure is recorded).
    again = fill_image_summary(db, settings(db, tmp_path), workers=1)
    assert (again.measured, again.failed) == (0, [])


def test_grade_filter_answers_from_the_summary_and_sees_later_qa_rows(db, images, tmp_path):
    fill_image_summary(db, settings(db, tmp_path), workers=1)
    marks = ImageSummaryRepository(db).marks()
    assert marks is not None and marks.images_through == images["lost"]
    assert ids_of(db, qa_grade=("good",)) == {images["full"]}
    assert ids_of(db, qa_grade=("unknown",)) == {images["bare2"], images["lost"]}
    # The pipeline grades and adds after the summary: counted at once, without a refresh.
    with db.transaction() as conn:
        insert(conn, "image_qa", image_path=str(tmp_path / "full.fits"),
               overall_quality="poor", timestamp=UNIX0 + 20)
        new = insert(conn, "images", path=str(tmp_path / "new.fits"),
                     created_at=UNIX0 + 5)["id"]
        insert(conn, "image_qa", image_path=str(tmp_path / "new.fits"),
               overall_quality="good", timestamp=UNIX0 + 20)
    assert ids_of(db, qa_grade=("good",)) == {new}
    assert ids_of(db, qa_grade=("poor",)) == {images["full"], images["bare"]}
    # An older row written later does not change the latest grade.
    with db.transaction() as conn:
        insert(conn, "image_qa", image_path=str(tmp_path / "bare.fits"),
               overall_quality="excellent", timestamp=UNIX0 + 1)
    assert ids_of(db, qa_grade=("poor",)) == {images["full"], images["bare"]}
    graded, _ = ImageSummaryRepository(db).refresh_grades()
    assert graded == 3  # full, bare (newer QA rows) and the new image
    assert ids_of(db, qa_grade=("poor",)) == {images["full"], images["bare"]}
    assert ids_of(db, qa_grade=("good", "excellent")) == {new}


def test_cli_image_summary(db, images, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DSA110_DASH_DATA_ROOTS", str(tmp_path))
    code = cli_main(["--db", target(db), "image-summary", "--workers", "1"])
    captured = capsys.readouterr()
    assert code == 1  # the missing file
    assert "2 images measured, 1 failed" in captured.out
    assert "lost.fits" in captured.err


def test_a_read_only_database_without_our_table_filters_on_pipeline_columns(tmp_path):
    path = tmp_path / "pipeline.sqlite3"
    db = Database(settings_for(str(path)))
    db.create_missing_file()
    migrate.upgrade(db, "0006_job_queue")
    with db.transaction() as conn:
        a = insert(conn, "images", path="/x/a.fits", center_dec_deg=50.0, created_at=UNIX0)
        insert(conn, "images", path="/x/b.fits", center_dec_deg=None, created_at=UNIX0 + 1)
        insert(conn, "image_qa", image_path="/x/a.fits", overall_quality="good",
               timestamp=UNIX0)
    db.dispose()
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    ro = Database(settings_for(str(path), DSA110_DASH_READ_ONLY="true"))
    try:
        repo = ImageRepository(ro)
        assert not repo.summary_available
        assert ids_of(ro, dec_min=40.0) == {a["id"]}
        assert repo.unknown_counts(ImageFilter(dec_min=40.0)) == {"any": 1, "dec": 1}
        assert len(ids_of(ro, dec_min=40.0, with_unknown=True)) == 2
        assert ids_of(ro, qa_grade=("good",)) == {a["id"]}
        frames = list(repo.iter_rows(ImageFilter(dec_min=40.0)))
        assert sum(len(f) for f in frames) == 1
        # The page says why measured values cannot help here.
        from dsa110_dashboard.viewmodels.image_browser import ImageBrowserModel

        model = ImageBrowserModel(ro)
        model.dec_min = "40"
        model.refresh()
        assert model.total == 1 and not model.summary_available
        assert "dsa110-dash image-summary" in model.summary_note
        assert model.unknown_text == "1 image with unknown declination left out by the filters."
    finally:
        ro.dispose()


def test_batch_qa_and_thumbnail_records_fill_the_summary(db, images, tmp_path):
    from dsa110_dashboard.jobs.batch_kinds import KINDS

    path = str(tmp_path / "bare.fits")
    kind = KINDS["qa"]
    result = kind.work({"settings": settings(db, tmp_path), "options": {}}, path)
    item = {"ms_path": "", "payload": path, "data_id": str(images["bare"])}
    with db.transaction() as conn:
        kind.record(conn, db, item, result)
    assert ids_of(db, dec_min=40.0) == {images["bare"]}
    s = db.catalog["dash_image_summary"]
    with db.connect() as conn:
        grade, noise = conn.execute(sa.select(s["qa_grade"], s["noise_jy"])
                                    .where(s["image_id"] == images["bare"])).one()
    assert grade == result["overall_quality"]
    assert noise == pytest.approx(NOISE, rel=0.1)

    thumbs = KINDS["thumbnails"]
    path2 = str(tmp_path / "bare2.fits")
    result2 = thumbs.work({"settings": settings(db, tmp_path), "options": {}}, path2)
    assert result2["outcome"] == "rendered"
    with db.transaction() as conn:
        thumbs.record(conn, db, {"ms_path": "", "payload": path2,
                                 "data_id": str(images["bare2"])}, result2)
    assert ids_of(db, dec_max=15.0) == {images["bare2"]}


@pytest.mark.parametrize("descending", [True, False])
def test_time_order_pages_are_the_same_whichever_plan(db, images, tmp_path, monkeypatch,
                                                      descending):
    """The page in observation-time order merges the images with an MS mid_mjd and those
    without; reading the indexes in order (many matches) or sorting the matching ids
    (few) must give the same pages."""
    import dsa110_dashboard.repositories.images as images_module
    from factories import MJD0

    fill_image_summary(db, settings(db, tmp_path), workers=1)
    with db.transaction() as conn:
        for n in range(12):  # MS times interleaved with created_at-only images
            ms = insert(conn, "ms_index", path=f"/ms/{n}.ms", mid_mjd=MJD0 + n * 0.01)
            insert(conn, "images", path=f"/i/{n}.fits", ms_path=ms["path"] if n % 3 else
                   "/ms/none.ms", created_at=UNIX0 + n * 0.01 * 86400 + 60)
        insert(conn, "image_qa", image_path="/i/4.fits", overall_quality="good",
               timestamp=UNIX0 + 20)
    repo = ImageRepository(db)
    for grades in [None, ("good",), ("unknown",), ("good", "unknown")]:
        for offset, limit in [(0, 3), (2, 5), (0, 50), (10, 4)]:
            request = PageRequest(offset=offset, limit=limit, sort="mjd",
                                  descending=descending)
            pages = []
            for factor in (10**9, 0):
                monkeypatch.setattr(images_module, "WALK_FACTOR", factor)
                page = repo.page(ImageFilter(qa_grade=grades), request)
                pages.append((page.total, page.rows["id"].tolist(), page.rows["mjd"].tolist()))
            assert pages[0] == pages[1], (grades, offset, limit)
            mjds = pages[0][2]
            assert mjds == sorted(mjds, reverse=descending)


def test_image_summary_refuses_read_only_and_names_the_missing_revision(tmp_path):
    from dsa110_dashboard.errors import FeatureUnavailableError, ReadOnlyError

    path = tmp_path / "pipeline.sqlite3"
    db = Database(settings_for(str(path)))
    db.create_missing_file()
    migrate.upgrade(db, "0006_job_queue")
    try:
        with pytest.raises(FeatureUnavailableError, match="dsa110-dash db upgrade"):
            fill_image_summary(db, settings_for(str(path)), workers=1)
    finally:
        db.dispose()
    ro = Database(settings_for(str(path), DSA110_DASH_READ_ONLY="true"))
    try:
        with pytest.raises(ReadOnlyError, match="DSA110_DASH_READ_ONLY=false"):
            fill_image_summary(ro, settings_for(str(path)), workers=1)
    finally:
        ro.dispose()

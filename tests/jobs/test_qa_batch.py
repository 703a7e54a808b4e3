"""The qa batch over real FITS files and real databases (SQLite and PostgreSQL): measured
rows in image_qa with the image's registered path, the catalogue comparison kept beside
them, progress, a selection by ids or by "never assessed", and a corrupt file reported on
its own item while the batch goes on."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import InvalidInputError, NotFoundError
from dsa110_dashboard.fits.reader import open_image
from dsa110_dashboard.fits.synth import sky_image, write_dsa110_fits
from dsa110_dashboard.jobs.batch import BatchService
from dsa110_dashboard.jobs.batch_kinds import Selection
from dsa110_dashboard.jobs.batch_runner import BatchRunner
from dsa110_dashboard.repositories.jobs import BatchJobRepository
from dsa110_dashboard.repositories.qa import QARepository
from dsa110_dashboard.repositories.qa_catalogue import ImageQACatalogueRepository
from dsa110_dashboard.repositories.qa_trends import QATrends
from factories import MJD0, insert

from .jobhelpers import ACTOR, settings_with

NOISE = 5e-4
SCALE = 0.9  # measured / NVSS of the injected sources
GRID = [(x, y) for y in range(30, 200, 45) for x in range(30, 200, 45)]  # 16 sources


def seed(db: Database, data_dir, n: int = 3) -> list[tuple[int, str]]:
    """``n`` images of 16 known sources each, with photometry rows at their catalogue
    positions (NVSS fluxes), and one corrupt FITS file: (id, path) of each."""
    images = data_dir / "images"
    images.mkdir(parents=True, exist_ok=True)
    out = []
    with db.transaction() as conn:
        for i in range(n):
            path = images / f"2025-10-17T0{i}:00:00-image.fits"
            write_dsa110_fits(path, np.zeros((220, 220), np.float32), 130.0 + i, 54.57, 3.0)
            wcs = open_image(path).wcs
            nvss = np.linspace(0.02, 0.4, len(GRID))
            pixels = sky_image((220, 220), [(x, y, SCALE * f) for (x, y), f in zip(GRID, nvss)],
                               noise=NOISE, beam_fwhm_pix=5.5, seed=i)
            write_dsa110_fits(path, pixels, 130.0 + i, 54.57, 3.0)
            row = insert(conn, "images", path=str(path), type="5min",
                         ms_path=f"/data/ms/2025-10-17T0{i}:00:00.ms")
            ra, dec = wcs.pixel_to_world_values([x for x, _ in GRID], [y for _, y in GRID])
            for k, (r, d, f) in enumerate(zip(ra, dec, nvss)):
                for epoch in range(2):  # a source measured twice counts once
                    insert(conn, "photometry", source_id=f"NVSS J{i}{k:03d}",
                           image_path=str(path), ra_deg=float(r), dec_deg=float(d),
                           nvss_flux_mjy=float(f) * 1000, flux_jy=float(f),
                           mjd=60000.0 + epoch)
            out.append((int(row["id"]), str(path)))
        broken = images / "broken-image.fits"
        broken.write_bytes(b"SIMPLE  = T" * 5)
        row = insert(conn, "images", path=str(broken), type="5min", ms_path="/data/ms/b.ms")
        out.append((int(row["id"]), str(broken)))
    return out


@pytest.fixture
def qa_db(db_url, tmp_path):
    settings = settings_with(db_url, tmp_path)
    db = Database(settings)
    images = seed(db, tmp_path / "data")
    yield db, settings, images
    db.dispose()


def run(db, settings, selection, progress=None):
    started = BatchService(db, settings).start(ACTOR, "qa", selection, runner="here")
    runner = BatchRunner(db, settings, "here", progress=progress)
    assert runner.claim(started.batch_id) == started.batch_id
    return runner.run(started.batch_id)


def test_the_batch_writes_measured_rows_and_reports_progress_and_the_corrupt_file(qa_db):
    db, settings, images = qa_db
    seen = []
    summary = run(db, settings, Selection(images="type=5min"),
                  progress=lambda done, total, what: seen.append((done, total, what)))
    assert (summary.status, summary.done, summary.failed) == ("failed", 3, 1)
    assert seen[0][:2] == (0, 4) and seen[-1][:2] == (4, 4) and seen[-1][2] == "qa"
    [failed] = [i for i in BatchJobRepository(db).get(summary.batch_id).items
                if i.status == "failed"]
    assert failed.data_id == str(images[-1][0]) and "FITS" in failed.error

    catalogue = ImageQACatalogueRepository(db)
    for image_id, path in images[:3]:
        [row] = QARepository(db).image_qa_for(path)  # the registered path, as images.path
        assert row.job_id == 0 and row.rms_noise == pytest.approx(NOISE, rel=0.05)
        assert row.num_sources == len(GRID)
        assert (row.beam_major, row.beam_minor) == pytest.approx((18.0, 15.0))
        assert row.overall_quality == "good"  # peak 0.36 Jy / 0.5 mJy: DR ~720
        extra = catalogue.for_image(path)[row.id]
        assert extra.n_matched == extra.n_catalogue == len(GRID)
        assert extra.flux_scale_ratio == pytest.approx(SCALE, rel=0.03)
        assert extra.astrometry_offset_arcsec < 0.6


def test_images_never_assessed_then_a_selection_by_id_again(qa_db):
    db, settings, images = qa_db
    first, second = images[0], images[1]
    assert run(db, settings, Selection(image_ids=(first[0],))).done == 1
    # grade=unknown: the images without QA (the corrupt one is tried and reported again).
    summary = run(db, settings, Selection(images="grade=unknown"))
    assert (summary.done, summary.failed) == (2, 1)
    assert len(QARepository(db).image_qa_for(first[1])) == 1
    again = run(db, settings, Selection(image_ids=(second[0], first[0])))
    assert again.done == 2
    assert len(QARepository(db).image_qa_for(first[1])) == 2
    assert len(ImageQACatalogueRepository(db).for_image(first[1])) == 2

    service = BatchService(db, settings)
    with pytest.raises(NotFoundError, match="no image with id 999999"):
        service.start(ACTOR, "qa", Selection(image_ids=(first[0], 999999)))
    with pytest.raises(InvalidInputError, match="not both"):
        service.start(ACTOR, "qa", Selection(images="type=5min", image_ids=(first[0],)))


def test_without_photometry_the_catalogue_values_are_null_not_zero(qa_db):
    db, settings, images = qa_db
    with db.transaction() as conn:
        conn.execute(sa.delete(db.catalog["photometry"].table))
    run(db, settings, Selection(image_ids=(images[0][0],)))
    [row] = QARepository(db).image_qa_for(images[0][1])
    extra = ImageQACatalogueRepository(db).for_image(images[0][1])[row.id]
    assert (extra.flux_scale_ratio, extra.astrometry_offset_arcsec, extra.n_matched) == (
        None, None, 0)


def test_an_image_without_photometry_of_its_own_uses_that_of_its_measurement_set(qa_db):
    import shutil

    db, settings, images = qa_db
    image_id, path = images[0]
    pbcor = path.replace("-image.fits", ".pbcor.fits")
    shutil.copy(path, pbcor)
    with db.transaction() as conn:
        row = insert(conn, "images", path=pbcor, type="pbcor",
                     ms_path="/data/ms/2025-10-17T00:00:00.ms")
    assert run(db, settings, Selection(image_ids=(int(row["id"]),))).done == 1
    [qa] = QARepository(db).image_qa_for(pbcor)
    extra = ImageQACatalogueRepository(db).for_image(pbcor)[qa.id]
    assert extra.n_matched == len(GRID)
    assert extra.flux_scale_ratio == pytest.approx(SCALE, rel=0.03)


def test_the_batch_s_catalogue_values_reach_the_qa_trends(qa_db):
    db, settings, images = qa_db
    run(db, settings, Selection(image_ids=(images[0][0], images[1][0])))
    points = QATrends(db).points(MJD0 - 1, MJD0 + 3000)
    by_path = points.set_index("path")
    assert "flux_scale_ratio" not in QATrends(db).unmeasured()
    for _, path in images[:2]:
        assert by_path.loc[path, "flux_scale_ratio"] == pytest.approx(SCALE, rel=0.03)
        assert by_path.loc[path, "astrometry_offset"] < 0.6
        assert by_path.loc[path, "grade_kind"] == "measured"
    # Not measured by the batch: missing, not 0.
    assert np.isnan(by_path.loc[images[2][1], "flux_scale_ratio"])

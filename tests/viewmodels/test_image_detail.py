"""ImageDetailModel and ImageRaster on a generated demo dataset (real FITS files)."""

from __future__ import annotations

import dataclasses
import json
import math
import shutil
import time

import numpy as np
import pytest
import sqlalchemy as sa

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.demo.build import build_demo
from dsa110_dashboard.fits import open_image
from dsa110_dashboard.fits.synth import sky_image, write_dsa110_fits
from dsa110_dashboard.settings import Settings
from dsa110_dashboard.viewmodels.image_detail import (
    ORIGIN_DB,
    ORIGIN_HEADER,
    ORIGIN_PIXELS,
    DetailData,
    DetailFailure,
    ImageDetailModel,
    catalogue_count_note,
)
from dsa110_dashboard.science.coordinates import format_dec, format_ra
from dsa110_dashboard.viewmodels.image_raster import ImageRaster


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    build_demo(out, days=1, size=256, seed=5)
    settings = Settings.load(environ={"DSA110_DASH_DB": str(out / "pipeline.sqlite3"),
                                      "DSA110_DASH_DATA_DIR": str(out)})
    db = Database(settings)
    yield out, settings, db
    db.dispose()


def ids_by_path(db) -> dict[str, int]:
    with db.connect() as conn:
        return dict(conn.execute(sa.text("SELECT path, id FROM images")).all())


def truth(out):
    return json.loads((out / "demo_truth.json").read_text())


def test_ordinary_image(demo):
    out, settings, db = demo
    ids = ids_by_path(db)
    null = set(truth(out)["null_metadata_images"])
    path = next(p for p in sorted(ids) if p not in null and p.endswith("-image.fits"))
    model = ImageDetailModel(db, settings)
    model.load(ids[path])
    data = model.data
    assert isinstance(data, DetailData) and model.failure is None
    assert data.file_error is None and data.raster is not None
    assert "TELESCOP" in data.header_text and "DSA-110" in data.header_text
    for key in ("noise", "dynamic_range", "beam", "centre", "size"):
        assert data.metadata[key].origin == ORIGIN_DB, key
    assert data.provenance.measurement_set.path == data.image.ms_path
    assert data.grade_kind in ("measured", "derived-from-dynamic-range")
    assert len(data.sources) > 10
    assert {"source_id", "ra_deg", "dec_deg", "flux_jy", "flux_err_jy", "snr"} <= set(
        data.sources.columns)
    assert model.fits_url == f"/api/v1/images/{data.image.id}/fits"


def test_neighbours_in_time(demo):
    _, settings, db = demo
    model = ImageDetailModel(db, settings)
    with db.connect() as conn:
        ordered = [r[0] for r in conn.execute(sa.text(
            "SELECT i.id FROM images i JOIN ms_index m ON m.path = i.ms_path "
            "ORDER BY m.mid_mjd, i.id"))]
    model.load(ordered[1])
    assert (model.data.previous_id, model.data.next_id) == (ordered[0], ordered[2])
    model.load(ordered[0])
    assert model.data.previous_id is None
    assert model.neighbour_url(ordered[1]) == f"/images/{ordered[1]}"
    model.stretch = "log"
    assert model.neighbour_url(ordered[1]) == f"/images/{ordered[1]}?stretch=log"


def test_null_metadata_falls_back_to_header_and_pixels(demo):
    out, settings, db = demo
    ids = ids_by_path(db)
    path = truth(out)["null_metadata_images"][0]
    model = ImageDetailModel(db, settings)
    model.load(ids[path])
    meta = model.data.metadata
    assert model.data.image.noise_jy is None and model.data.image.beam_major_arcsec is None
    assert meta["beam"].origin == ORIGIN_HEADER and meta["beam"].value[0] > 0
    assert meta["centre"].origin == ORIGIN_HEADER
    header = open_image(path).header
    assert meta["centre"].value[1] == pytest.approx(header["CRVAL2"], abs=0.05)
    assert meta["noise"].origin == ORIGIN_PIXELS
    assert 5e-5 < meta["noise"].value < 5e-3  # ~300 uJy/beam synthetic noise
    assert meta["dynamic_range"].origin in (ORIGIN_DB, ORIGIN_PIXELS)


def test_missing_file_keeps_the_row_and_provenance(demo, tmp_path):
    out, settings, db = demo
    ids = ids_by_path(db)
    path = sorted(ids)[3]
    moved = tmp_path / "moved.fits"
    shutil.move(path, moved)
    try:
        model = ImageDetailModel(db, settings)
        model.load(ids[path])
        data = model.data
        assert data.raster is None and data.header_text is None
        assert "missing" in data.file_error.lower() or "not exist" in data.file_error.lower()
        assert data.provenance.measurement_set is not None
        assert data.metadata["noise"].origin == ORIGIN_DB
    finally:
        shutil.move(moved, path)


def test_corrupt_file_is_an_expected_error(demo, tmp_path):
    out, settings, db = demo
    ids = ids_by_path(db)
    path = sorted(ids)[4]
    backup = tmp_path / "backup.fits"
    shutil.copy(path, backup)
    try:
        with open(path, "r+b") as fh:
            fh.truncate(5000)
        model = ImageDetailModel(db, settings)
        model.load(ids[path])
        assert model.data.raster is None and "Image unreadable" in model.data.file_error
    finally:
        shutil.copy(backup, path)


@pytest.mark.parametrize("raw, title, text", [
    ("999999", "Not found", "No image with id 999999"),
    ("abc", "Invalid image id", "whole number"),
    ("-3", "Invalid image id", "whole number"),
    ("99999999999999999999999", "Not found", "No image with id"),
])
def test_unknown_or_malformed_id(demo, raw, title, text):
    _, settings, db = demo
    model = ImageDetailModel(db, settings)
    model.load(raw)
    assert isinstance(model.failure, DetailFailure) and model.data is None
    assert model.failure.title == title and text in model.failure.message


# ------------------------------------------------------------------- raster
@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 2000 x 1500 big-endian image with a single bright source at (1500, 300)."""
    path = tmp_path_factory.mktemp("big") / "big-image.fits"
    data = sky_image((1500, 2000), [(1500, 300, 2.0)], beam_fwhm_pix=3.0, seed=2)
    write_dsa110_fits(path, data, center_ra=150.0, center_dec=54.57, cell_arcsec=2.0)
    return ImageRaster(open_image(path), target=800)


def test_whole_view_is_reduced_and_keeps_the_source(big):
    view = big.render()
    assert view.factor == 3 and view.rgba.shape == (500, 667, 4)
    assert view.bounds == (-0.5, -0.5, 1999.5, 1499.5)
    values, _, _ = big.values()
    # Max pooling keeps the source's peak; row 0 of values is the bottom (FITS order).
    assert np.nanmax(values) == pytest.approx(2.0, rel=0.05)
    y, x = np.unravel_index(np.nanargmax(values), values.shape)
    assert abs(x * 3 - 1500) <= 3 and abs(y * 3 - 300) <= 3
    # The rendered picture is flipped: the source is in the lower part of the RGBA.
    assert view.rgba.shape[0] - 1 - y > view.rgba.shape[0] / 2


def test_zoomed_view_is_full_resolution(big):
    view = big.render((1400.2, 1600.7), (250, 350), "linear", "grey")
    assert view.factor == 1
    assert view.bounds == (1399.5, 249.5, 1601.5, 350.5)
    assert view.rgba.shape == (101, 202, 4)
    # Colour limits are fixed per stretch, so a zoom does not change the scale.
    assert big.limits("linear") == big.limits("linear")


def test_render_is_fast_enough(big):
    big.render()
    start = time.perf_counter()
    big.render((0, 1999), (0, 1499), "zscale_asinh", "inferno")
    assert time.perf_counter() - start < 0.5


def test_readout_and_wcs(big):
    read = big.readout(1000.0, 750.0)
    world = big.plane.wcs.pixel_to_world_values(1000.0, 750.0)
    assert read.inside and read.value is not None
    assert read.ra_deg == pytest.approx(float(world[0]) % 360)
    assert read.dec_deg == pytest.approx(float(world[1]))
    assert not big.readout(-10, 5).inside
    assert format_ra(150.0) == "10h00m00.00s" and format_dec(-1.5) == "-01°30′00.0″"


def test_beam_and_sources_in_pixels(big):
    major, minor, angle = big.beam_pixels(20.0, 10.0, 0.0)
    assert major == pytest.approx(10.0, rel=1e-3) and minor == pytest.approx(5.0, rel=1e-3)
    assert angle == pytest.approx(math.pi / 2)  # PA 0: along north, i.e. +y
    import pandas as pd

    ra, dec = big.plane.wcs.pixel_to_world_values([1500.0, 5000.0], [300.0, 300.0])
    frame = big.source_positions(pd.DataFrame({"ra_deg": ra, "dec_deg": dec,
                                               "source_id": ["in", "off"]}))
    assert frame["source_id"].tolist() == ["in"]
    assert frame["x"].iloc[0] == pytest.approx(1500.0, abs=1e-6)


def test_robust_rms_matches_the_noise(big):
    assert big.robust_rms() == pytest.approx(3e-4, rel=0.1)


def test_catalogue_count_is_explained_against_the_qa_count(demo):
    _, settings, db = demo
    model = ImageDetailModel(db, settings)
    with db.connect() as conn:
        image_id = conn.execute(sa.text(
            "SELECT i.id FROM images i JOIN image_qa q ON q.image_path = i.path "
            "WHERE q.num_sources IS NOT NULL ORDER BY i.id LIMIT 1")).scalar_one()
    model.load(image_id)
    data = model.data
    rows = len(data.sources)
    detected = int((data.sources["snr"] >= 5).sum())
    assert data.qa_rows[0].num_sources == detected < rows  # the demo's QA counts SNR >= 5
    note = catalogue_count_note(data.sources, data.qa_rows)
    assert f"{rows:,} rows, {detected:,} of them at SNR ≥ 5" in note
    assert f"QA step's {detected:,} sources are those at SNR ≥ 5" in note
    other = [dataclasses.replace(data.qa_rows[0], num_sources=detected + 7)]
    assert f"QA step counted {detected + 7:,} sources by its own detection" in \
        catalogue_count_note(data.sources, other)
    assert "no source count" in catalogue_count_note(data.sources, [])


def test_provenance_links_to_the_job_that_made_the_image(demo):
    from dsa110_dashboard.views.image_sections import maker_job, provenance_html

    out, settings, db = demo
    ids = ids_by_path(db)
    path = next(p for p in sorted(ids) if p.endswith("-image.fits"))
    model = ImageDetailModel(db, settings)
    model.load(ids[path])
    data = model.data
    maker = maker_job(data)
    assert maker is not None and maker.artifacts["image"] == path
    assert f"href='/jobs/{maker.id}'" in provenance_html(data)
    # Without a job that names it, the jobs of its MS: /jobs?ms= filters by the MS.
    unknown = dataclasses.replace(data, qa_rows=[], provenance=dataclasses.replace(
        data.provenance, jobs=()))
    assert maker_job(unknown) is None
    assert "/jobs?ms=" in provenance_html(unknown)


# ------------------------------------------------------------------- the view's loads
def test_the_view_shows_only_the_newest_of_overlapping_loads(demo):
    """ImageDetailView loads through NewestOnly (views/background.py): a slow load of
    one image finishing after a quick load of another is dropped, not shown over it,
    and the spinner is off once the newest load is shown."""
    import threading

    from bokeh.document import Document
    from panel.io.state import set_curdoc

    from dsa110_dashboard.views.image_detail import ImageDetailView

    _, settings, db = demo
    older, newer = sorted(ids_by_path(db).values())[:2]
    model = ImageDetailModel(db, settings)
    started, gate = threading.Event(), threading.Event()
    fetch = model.fetch

    def slow_for_the_older(raw_id):
        if raw_id == str(older):
            started.set()
            assert gate.wait(60)
        return fetch(raw_id)

    model.fetch = slow_for_the_older
    with set_curdoc(Document()):  # outside a server, as in a notebook
        view = ImageDetailView(model=model, raw_id=str(older))
        slow = threading.Thread(target=view.load)
        slow.start()
        assert started.wait(60)
        view.raw_id = str(newer)
        view.load()
        shown = view._layout[0].object
        gate.set()
        slow.join(60)
    assert f"Image {newer} " in shown and view._layout[0].object == shown
    assert model.data.image.id == newer and not view._layout.loading

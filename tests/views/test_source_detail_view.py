"""The source page's view outside a server: nearby sources and the contributing images,
paged 50 at a time, as HTML tables with links."""

from __future__ import annotations

import pytest

from dsa110_dashboard.viewmodels.source_detail import SourceDetailModel
from dsa110_dashboard.views.source_detail import IMAGES_PAGE, SourceDetailView
from factories import MJD0, insert

SOURCE = "NVSS J123456.7+420312"
N = 120


@pytest.fixture
def view(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id=SOURCE, ra_deg=188.736, dec_deg=42.053)
        insert(conn, "variability_stats", source_id="NVSS J123500.0+420400", ra_deg=188.75,
               dec_deg=42.0667, nvss_flux_mjy=12.5, eta_metric=2.25)
        for i in range(N):
            img = insert(conn, "images", path=f"/data/images/p{i:03d}-image.fits")
            insert(conn, "photometry", source_id=SOURCE, image_path=img["path"],
                   ra_deg=188.736, dec_deg=42.053, mjd=MJD0 + i, flux_jy=0.05,
                   flux_err_jy=0.001, snr=50.0)
    v = SourceDetailView(model=SourceDetailModel(db, SOURCE))
    v.__panel__()  # outside a server: loads now
    return v


def test_contributing_images_are_paged(view):
    assert IMAGES_PAGE == 50
    assert view._images_label.object == "1–50 of 120"
    assert view._images_prev.disabled and not view._images_next.disabled
    page = view._images.object
    assert page.count("<tr>") == 51 and "p000-image.fits" in page and "p050" not in page
    first_id = int(view.model.images["image_id"].iat[0])
    assert f'<a href="/images/{first_id}">{first_id}</a>' in page
    view._images_next.clicks += 1
    assert view._images_label.object == "51–100 of 120" and "p050-image.fits" in view._images.object
    view._images_next.clicks += 1
    assert view._images_label.object == "101–120 of 120"
    assert view._images_next.disabled and not view._images_prev.disabled
    assert view._images.object.count("<tr>") == 21
    view._images_prev.clicks += 1
    assert view._images_label.object == "51–100 of 120"


def test_nearby_sources_link_to_their_pages(view):
    nearby = view._nearby.object
    assert 'href="/sources/NVSS%20J123500.0%2B420400"' in nearby
    assert "12.5" in nearby and "2.250" in nearby


def test_epoch_caption_and_statistics_carry_the_unit_of_the_flux_column(db):
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id=SOURCE, ra_deg=188.736, dec_deg=42.053,
               mean_flux_mjy=50.0)
        for i in range(3):
            img = insert(conn, "images", path=f"/data/images/q{i}-image.fits")
            insert(conn, "photometry", source_id=SOURCE, image_path=img["path"],
                   ra_deg=188.736, dec_deg=42.053, mjd=MJD0 + i, flux_jy=0.05,
                   flux_err_jy=0.001, peak_jyb=0.04, peak_err_jyb=0.001, snr=40.0)
    view = SourceDetailView(model=SourceDetailModel(db, SOURCE, flux="peak"))
    view.__panel__()
    m = view.model
    m.epoch = int(m.lightcurve["photometry_id"].iat[0])
    assert "40.000 ± 1.000 mJy/beam" in view._epoch.object
    stats = view._stats.object
    assert "40 mJy/beam" in stats  # the live mean, with its unit in its cell
    assert "50 mJy" not in stats  # the stored (best-flux) mean is left out beside peak
    assert "left out beside the peak flux" in stats
    m.flux = "raw"
    m.epoch = int(m.lightcurve["photometry_id"].iat[1])
    assert "50.000 ± 1.000 mJy ·" in view._epoch.object


def test_downloads_carry_the_exclusions_and_show_the_api_call(view):
    m = view.model
    first = int(m.lightcurve["photometry_id"].iat[0])
    m.toggle_epoch(first)
    downloads = view._downloads.object
    assert f"excluded={first}" in downloads and "format=ecsv" in downloads
    assert "marked in its <code>excluded</code> column" in downloads
    assert ("curl -o NVSS_J123456.7+420312_lightcurve.csv &#x27;/api/v1/sources/"
            "NVSS%20J123456.7%2B420312/lightcurve?format=csv&amp;flux=best&amp;excluded="
            f"{first}&amp;exclude_qa=1&#x27;") in downloads
    m.clear_exclusions()
    assert "excluded=" not in view._downloads.object


class CountingGets:
    """Wraps our SourceRepository instance's ``get``: counts the lookups, runs the real
    query on the real database."""

    def __init__(self, repo):
        self.calls, self._get = [], repo.get
        repo.get = self

    def __call__(self, source_id):
        self.calls.append(source_id)
        return self._get(source_id)


@pytest.mark.parametrize("photometry", [True, False], ids=["measured", "never-measured"])
def test_a_source_page_looks_its_source_up_once(db, photometry):
    """Issue 12: the page resolves its source once and hands the record to the
    lightcurve, nearby-source, contributing-image and statistics reads, also when
    the flux column changes and when the source has no photometry (empty reads used
    to look the source up again to tell 'unknown' from 'never measured')."""
    with db.transaction() as conn:
        insert(conn, "variability_stats", source_id=SOURCE, ra_deg=188.736, dec_deg=42.053)
        insert(conn, "variability_stats", source_id="NVSS J123500.0+420400", ra_deg=188.75,
               dec_deg=42.0667)
        for i in range(3 if photometry else 0):
            img = insert(conn, "images", path=f"/data/images/r{i}-image.fits")
            insert(conn, "photometry", source_id=SOURCE, image_path=img["path"],
                   ra_deg=188.736, dec_deg=42.053, mjd=MJD0 + i, flux_jy=0.05,
                   flux_err_jy=0.001, peak_jyb=0.04, peak_err_jyb=0.001, snr=40.0)
    model = SourceDetailModel(db, SOURCE)
    gets = CountingGets(model.repo)
    view = SourceDetailView(model=model)
    view.__panel__()  # outside a server: the whole load, now
    assert model.error is None and model.record.source_id == SOURCE
    assert list(model.nearby["source_id"]) == ["NVSS J123500.0+420400"]
    assert len(model.lightcurve) == len(model.images) == (3 if photometry else 0)
    model.flux = "peak"
    assert len(model.lightcurve) == (3 if photometry else 0)
    model.exclude_qa = False
    assert gets.calls == [SOURCE]


def test_an_unknown_source_is_looked_up_once_and_named(db):
    model = SourceDetailModel(db, "NVSS J999999.9+999999")
    gets = CountingGets(model.repo)
    SourceDetailView(model=model).__panel__()
    assert model.not_found and "NVSS J999999.9+999999" in model.error
    assert gets.calls == ["NVSS J999999.9+999999"]

"""GET /api/v1/images/{id}/cutout.png and cutout.fits around a sky position."""

from __future__ import annotations

import io

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from api_helpers import png_size
from api_dataset import CELL, DEC0, RA0

pytestmark = pytest.mark.filterwarnings("ignore::astropy.wcs.FITSFixedWarning")


def test_cutout_png_decodes_at_the_requested_pixels(api):
    reply = api.get("square", f"cutout.png?ra={RA0}&dec={DEC0}&size=300&px=100&cmap=grey")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "image/png"
    assert reply.headers["Cache-Control"] == "private, max-age=60"
    name = "2025-10-17T08:00:00-image_cutout_ra150.00000_dec+54.57000_300arcsec.png"
    assert reply.headers["Content-Disposition"].startswith(f'inline; filename="{name}"')
    assert png_size(reply.body) == (100, 100)
    again = api.get("square", f"cutout.png?ra={RA0}&dec={DEC0}&size=300&px=100&cmap=grey",
                    **{"If-None-Match": reply.headers["ETag"]})
    assert again.status == 304 and again.body == b""
    other = api.get("square", f"cutout.png?ra={RA0}&dec={DEC0}&size=300&px=100")
    assert other.headers["ETag"] != reply.headers["ETag"]


def test_cutout_png_defaults(api):
    reply = api.get("square", f"cutout.png?ra={RA0}&dec={DEC0}")
    assert reply.status == 200 and png_size(reply.body) == (256, 256)


@pytest.mark.parametrize("offset_pix", [(0, 0), (-25.3, 17.8)])
def test_cutout_fits_is_centred_on_the_position(api, dataset, offset_pix):
    with fits.open(dataset.paths["square"]) as hdul:
        parent = WCS(hdul[0].header).celestial
        parent_data = hdul[0].data[0, 0]
    cx, cy = 64 + offset_pix[0], 64 + offset_pix[1]
    ra, dec = (float(v) for v in parent.pixel_to_world_values(cx, cy))
    reply = api.get("square", f"cutout.fits?ra={ra}&dec={dec}&size=210")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/fits"
    disposition = reply.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="2025-10-17T08:00:00-image_cutout_ra')
    assert disposition.split(";")[1].strip().endswith('_210arcsec.fits"')
    with fits.open(io.BytesIO(reply.body)) as hdul:
        data = hdul[0].data
        header = hdul[0].header
        wcs = WCS(header)
    n = round(210 / CELL)
    assert data.shape == (n, n)
    assert header["BUNIT"] == "Jy/beam" and "BMAJ" in header
    x, y = wcs.world_to_pixel_values(ra, dec)
    assert abs(x - (n - 1) / 2) <= 1 and abs(y - (n - 1) / 2) <= 1
    # The pixels are the parent's: the cutout pixel at the position is the parent's pixel.
    assert data[int(round(float(y))), int(round(float(x)))] == pytest.approx(
        parent_data[int(round(cy)), int(round(cx))])


def test_cutout_partly_off_the_edge_keeps_the_centre_and_pads_with_nan(api, dataset):
    with fits.open(dataset.paths["square"]) as hdul:
        parent = WCS(hdul[0].header).celestial
    ra, dec = (float(v) for v in parent.pixel_to_world_values(2, 64))
    reply = api.get("square", f"cutout.fits?ra={ra}&dec={dec}&size=200")
    with fits.open(io.BytesIO(reply.body)) as hdul:
        assert np.isnan(hdul[0].data).any() and np.isfinite(hdul[0].data).any()


def test_position_outside_the_image_is_400(api):
    reply = api.get("square", f"cutout.png?ra={RA0 + 30}&dec={DEC0}")
    assert reply.status == 400
    body = reply.json()
    assert body["details"]["parameter"] == "position" and "outside the image" in body["message"]
    assert api.get("square", f"cutout.fits?ra={RA0}&dec={DEC0 - 20}").status == 400


@pytest.mark.parametrize("query, parameter", [
    (f"dec={DEC0}", "ra"), (f"ra=&dec={DEC0}", "ra"), (f"ra={RA0}", "dec"),
    (f"ra=abc&dec={DEC0}", "ra"), (f"ra=nan&dec={DEC0}", "ra"), (f"ra=inf&dec={DEC0}", "ra"),
    (f"ra={RA0}&dec=91", "dec"), (f"ra={RA0}&dec={DEC0}&size=0", "size"),
    (f"ra={RA0}&dec={DEC0}&size=3601", "size"), (f"ra={RA0}&dec={DEC0}&size=-5", "size"),
    (f"ra={RA0}&dec={DEC0}&stretch=x", "stretch"), (f"ra={RA0}&dec={DEC0}&px=9", "px"),
])
def test_bad_parameters_are_400_naming_the_parameter(api, query, parameter):
    for kind in ("png", "fits") if parameter not in ("stretch", "px") else ("png",):
        reply = api.get("square", f"cutout.{kind}?{query}")
        assert reply.status == 400, (kind, query)
        assert reply.json()["details"]["parameter"] == parameter


def test_largest_size_is_allowed_and_too_many_pixels_names_size(api):
    # 3600 arcsec at 10 arcsec/pixel is 360 pixels: allowed (and padded with NaN).
    assert api.get("square", f"cutout.fits?ra={RA0}&dec={DEC0}&size=3600").status == 200
    # At 0.5 arcsec/pixel it is 7200 pixels, more than the engine's 4096.
    reply = api.get("fine", f"cutout.fits?ra={RA0}&dec={DEC0}&size=3600")
    assert reply.status == 400
    body = reply.json()
    assert body["details"]["parameter"] == "size" and "4096" in body["message"]


def test_bad_files(api):
    assert api.get("missing", f"cutout.png?ra={RA0}&dec={DEC0}").status == 404
    assert api.get("outside", f"cutout.fits?ra={RA0}&dec={DEC0}").status == 403
    reply = api.get("corrupt", f"cutout.fits?ra={RA0}&dec={DEC0}")
    assert reply.status == 422
    assert reply.json()["error"] == "image_unreadable"
    assert api.get(424242, f"cutout.png?ra={RA0}&dec={DEC0}").status == 404

import io

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from fits_engine_helpers import CELL, decode_png, write_casa_image

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.fits import cutout, cutout_fits, cutout_png, open_image


def _world(plane, x, y):
    ra, dec = plane.wcs.pixel_to_world_values(x, y)
    return float(ra), float(dec)


@pytest.mark.parametrize("size_arcsec", [62.0, 60.0])  # odd and even widths
def test_cutout_fits_centre_pixel_is_the_requested_position(dsa_fits, size_arcsec):
    path, (x, y) = dsa_fits
    plane = open_image(path)
    ra, dec = _world(plane, x + 0.3, y - 0.2)  # between pixel centres on purpose
    with fits.open(io.BytesIO(cutout_fits(path, ra, dec, size_arcsec))) as hdul:
        data, header = hdul[0].data, hdul[0].header
    n = round(size_arcsec / CELL)
    assert data.shape == (n, n)
    wcs = WCS(header)
    centre = (n - 1) / 2.0
    cra, cdec = (float(v) for v in wcs.pixel_to_world_values(centre, centre))
    tolerance = CELL / 3600.0
    assert abs((cra - ra) * np.cos(np.radians(dec))) < tolerance and abs(cdec - dec) < tolerance
    # the requested position maps to the centre pixel of the cutout, within a pixel
    px, py = wcs.world_to_pixel_values(ra, dec)
    assert abs(px - centre) <= 1 and abs(py - centre) <= 1
    # the same sky pixel holds the same value: the WCS and the data agree
    iy, ix = np.unravel_index(np.nanargmax(data), data.shape)
    sra, sdec = (float(v) for v in wcs.pixel_to_world_values(ix, iy))
    assert (sra, sdec) == pytest.approx(_world(plane, x, y), abs=1e-9)
    assert header["BUNIT"] == "Jy/beam" and header["BMAJ"] == plane.header["BMAJ"]


def test_cutout_at_the_edge_is_padded_with_nan(dsa_fits):
    path, _ = dsa_fits
    plane = open_image(path)
    ra, dec = _world(plane, 2, 500)
    cut = cutout(plane, ra, dec, 20 * CELL)
    assert cut.data.shape == (20, 20)
    assert np.isnan(cut.data[:, :7]).all() and np.isfinite(cut.data[:, 9:]).all()


def test_cutout_outside_image_is_invalid_input(dsa_fits):
    path, _ = dsa_fits
    plane = open_image(path)
    ra, dec = _world(plane, -50, 500)
    with pytest.raises(InvalidInputError) as info:
        cutout(plane, ra, dec, 60)
    assert info.value.parameter == "position"
    with pytest.raises(InvalidInputError):
        cutout(plane, ra + 180.0, -dec, 60)  # the far side of the sky: no projection at all


@pytest.mark.parametrize("args, parameter", [
    ((10.0, 54.0, 0.0), "size_arcsec"),
    ((10.0, 54.0, -5.0), "size_arcsec"),
    ((10.0, 95.0, 30.0), "dec_deg"),
    (("x", 54.0, 30.0), "ra_deg"),
    ((10.0, 54.0, 1e9), "size_arcsec"),
])
def test_cutout_bad_parameters(dsa_fits, args, parameter):
    path, _ = dsa_fits
    plane = open_image(path)
    if parameter == "size_arcsec" and args[2] > 0:
        args = (*_world(plane, 500, 500), args[2])
    with pytest.raises(InvalidInputError) as info:
        cutout(plane, *args)
    assert info.value.parameter == parameter


def test_cutout_png_and_casa_source(tmp_path):
    data = np.zeros((64, 48), np.float32)
    data[10, 30] = 5.0
    path = write_casa_image(tmp_path / "c.image", data)
    plane = open_image(path)
    ra, dec = _world(plane, 30, 10)
    rgba = decode_png(cutout_png(path, ra, dec, 11 * CELL, size=55, cmap="grey", stretch="linear"))
    assert rgba.shape == (55, 55, 4)
    row, col = np.unravel_index(np.argmax(rgba[..., 0]), rgba.shape[:2])
    assert (row // 5, col // 5) == (5, 5)  # the source is in the central block

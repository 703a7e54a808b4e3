import numpy as np
import pytest
from astropy.io import fits
from fits_engine_helpers import CELL, DEC0, RA0, simple_header, write_casa_image

from dsa110_dashboard.fits import open_image, summarize
from dsa110_dashboard.fits.header import beam_axis_arcsec
from dsa110_dashboard.fits.synth import dsa110_header, write_dsa110_fits


def test_summary_of_a_pipeline_image(tmp_path):
    path = tmp_path / "img.fits"
    write_dsa110_fits(path, np.zeros((100, 120), np.float32), RA0, DEC0, CELL,
                      freq_hz=1.405e9, date_obs="2025-06-01T08:00:00.000",
                      beam=(18 / 3600, 15 / 3600, 33.0))
    s = summarize(open_image(path).header)
    # centre pixel (59.5, 49.5) is half a pixel from CRPIX (61, 51 in 1-based)
    assert s.ra_deg == pytest.approx(RA0, abs=2 * CELL / 3600 / np.cos(np.radians(DEC0)))
    assert s.dec_deg == pytest.approx(DEC0, abs=2 * CELL / 3600)
    assert s.pixel_scale_arcsec == pytest.approx(CELL)
    assert (s.width, s.height) == (120, 100)
    assert (s.bmaj_arcsec, s.bmin_arcsec, s.bpa_deg) == pytest.approx((18.0, 15.0, 33.0))
    assert s.freq_ghz == pytest.approx(1.405)
    assert s.date_obs == "2025-06-01T08:00:00.000"
    assert s.mjd_obs == pytest.approx(60827 + 8 / 24)
    assert s.bunit == "Jy/beam" and s.telescope == "DSA-110"


def test_missing_keys_are_none_not_zero():
    s = summarize(fits.Header({"NAXIS": 2, "NAXIS1": 10, "NAXIS2": 20}))
    assert (s.width, s.height) == (10, 20)
    for name in ("ra_deg", "dec_deg", "pixel_scale_arcsec", "bmaj_arcsec", "bmin_arcsec",
                 "bpa_deg", "freq_ghz", "date_obs", "mjd_obs", "bunit", "telescope"):
        assert getattr(s, name) is None, name


@pytest.mark.parametrize("value, comment, expected_arcsec", [
    (0.005, "", 18.0),                 # degrees, the FITS convention
    (15.0, "", 15.0),                  # > 0.5 "deg" is implausible: arcsec
    (0.4, "[arcsec] major axis", 0.4),  # the comment says arcsec
    (0.6, "[deg] major axis", 2160.0),  # the comment says degrees: believed
])
def test_beam_units_rule(value, comment, expected_arcsec):
    header = fits.Header()
    header["BMAJ"] = (value, comment)
    assert beam_axis_arcsec(header, "BMAJ") == pytest.approx(expected_arcsec)


def test_beam_in_arcsec_recognised_in_summary():
    header = simple_header((10, 10))
    header["BMAJ"], header["BMIN"], header["BPA"] = 16.0, 14.0, -20.0
    s = summarize(header)
    assert (s.bmaj_arcsec, s.bmin_arcsec, s.bpa_deg) == (16.0, 14.0, -20.0)


def test_frequency_units_and_restfrq_fallback():
    header = dsa110_header((10, 10), RA0, DEC0, CELL, freq_hz=1.4e9)
    header["CRVAL3"], header["CDELT3"], header["CUNIT3"] = 1400.0, 1.0, "MHz"
    assert summarize(header).freq_ghz == pytest.approx(1.4)
    plain = simple_header((10, 10))
    plain["RESTFRQ"] = 1.42040575e9
    assert summarize(plain).freq_ghz == pytest.approx(1.42040575)


def test_bad_date_gives_none_mjd():
    header = simple_header((10, 10))
    header["DATE-OBS"] = "yesterday"
    s = summarize(header)
    assert s.date_obs == "yesterday" and s.mjd_obs is None


def test_summary_of_casa_image(tmp_path):
    plane = open_image(write_casa_image(tmp_path / "c.image", np.zeros((32, 40), np.float32)))
    s = summarize(plane.header)
    assert (s.bmaj_arcsec, s.bmin_arcsec, s.bpa_deg) == pytest.approx((15.0, 12.0, 30.0))
    assert s.bunit == "Jy/beam" and s.telescope == "DSA-110"
    assert s.pixel_scale_arcsec == pytest.approx(CELL)
    assert s.freq_ghz is not None and s.freq_ghz > 0

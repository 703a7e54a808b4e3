import logging

import numpy as np
import pytest
from fits_engine_helpers import decode_png

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.fits import placeholder_png, render_png, render_png_or_placeholder


def test_placeholder_has_requested_size_and_some_text():
    rgba = decode_png(placeholder_png("File missing: /data/x.fits", size=200))
    assert rgba.shape == (200, 200, 4)
    centre = rgba[80:120, 20:180, :3].astype(int)
    assert centre.max() - centre.min() > 100  # light text on the dark background


@pytest.mark.parametrize("make, reason", [
    (lambda tmp: tmp / "missing.fits", "File missing"),
    ("corrupt", "Corrupt FITS"),
])
def test_bad_files_give_placeholder_and_warning(tmp_path, corrupt_fits, caplog, make, reason):
    path = corrupt_fits if make == "corrupt" else make(tmp_path)
    with caplog.at_level(logging.WARNING, logger="dsa110_dashboard.fits.placeholder"):
        png, ok, why = render_png_or_placeholder(path, size=96)
    assert not ok and why.startswith(reason)
    assert decode_png(png).shape == (96, 96, 4)
    assert any(reason in record.getMessage() for record in caplog.records)


def test_good_file_renders_normally(dsa_fits):
    path, _ = dsa_fits
    png, ok, why = render_png_or_placeholder(path, size=64)
    assert ok and why is None
    assert png == render_png(path, size=64)


def test_bad_parameters_still_raise(tmp_path):
    with pytest.raises(InvalidInputError) as info:
        render_png_or_placeholder(tmp_path / "missing.fits", stretch="wavy")
    assert info.value.parameter == "stretch"


def test_impossible_bitpix_becomes_placeholder(tmp_path, caplog):
    """BITPIX = 17 makes astropy fail with a bare KeyError; still a placeholder."""
    from astropy.io import fits

    path = tmp_path / "odd.fits"
    fits.writeto(path, np.zeros((10, 10), np.float32))
    raw = bytearray(path.read_bytes())
    raw[80:160] = b"BITPIX  =                   17".ljust(80)
    path.write_bytes(bytes(raw))
    with caplog.at_level(logging.WARNING):
        png, ok, why = render_png_or_placeholder(path, size=32)
    assert not ok and why.startswith("Corrupt FITS: KeyError")
    assert decode_png(png).shape == (32, 32, 4)

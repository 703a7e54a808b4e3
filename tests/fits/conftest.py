"""Fixtures: real image files for the FITS engine tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from fits_engine_helpers import CELL, DEC0, RA0

from dsa110_dashboard.fits.synth import sky_image, write_dsa110_fits


@pytest.fixture
def point_image():
    """(data, (x, y)): 1000 x 1000 noise with one bright pixel off the block grid centre."""
    x, y = 437, 611
    return sky_image((1000, 1000), [(x, y, 5.0)], noise=3e-4, seed=1), (x, y)


@pytest.fixture
def dsa_fits(tmp_path, point_image) -> tuple[Path, tuple[int, int]]:
    data, xy = point_image
    path = tmp_path / "obs-image.fits"
    write_dsa110_fits(path, data, RA0, DEC0, CELL)
    return path, xy


@pytest.fixture
def small_fits_factory(tmp_path):
    """make(name, seed) -> path of a 256 x 320 DSA-110-like FITS with two sources."""

    def make(name: str, seed: int = 0) -> Path:
        data = sky_image((256, 320), [(100, 80, 1.0), (200, 150, 0.5)], beam_fwhm_pix=5, seed=seed)
        path = tmp_path / name
        write_dsa110_fits(path, data, RA0, DEC0, CELL)
        return path

    return make


@pytest.fixture
def corrupt_fits(tmp_path) -> Path:
    path = tmp_path / "corrupt.fits"
    path.write_bytes(b"NOT A FITS FILE".ljust(2880, b" "))
    return path

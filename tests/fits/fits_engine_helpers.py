"""Helpers that write real image files for the FITS engine tests (CASA via python-casacore)."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from astropy.io import fits
from PIL import Image


RA0, DEC0, CELL = 128.7, 54.57, 2.0


def write_casa_image(path: Path, data2d: np.ndarray, *, ra=RA0, dec=DEC0, cell_arcsec=CELL,
                     bad_mask: np.ndarray | None = None, beam_arcsec=(15.0, 12.0, 30.0)) -> Path:
    """A CASA image directory (RA, Dec, Stokes, Freq) holding ``data2d`` (row 0 = south)."""
    import casacore.images as ci
    import casacore.tables as ct
    from casacore.images import coordinates as cc

    ny, nx = data2d.shape
    template = ci.image(str(path) + ".template", shape=[1, 1, ny, nx])
    coords = template.coordinates().dict()
    del template
    coords["direction0"]["crval"] = np.radians([ra, dec])
    coords["direction0"]["cdelt"] = np.radians([-cell_arcsec / 3600, cell_arcsec / 3600])
    coords["direction0"]["units"] = ["rad", "rad"]
    coords["direction0"]["crpix"] = np.array([nx / 2.0, ny / 2.0])
    coords["telescope"] = "DSA-110"
    image = ci.image(str(path), shape=[1, 1, ny, nx], coordsys=cc.coordinatesystem(coords))
    image.putdata(np.asarray(data2d, dtype=np.float32)[None, None])
    if bad_mask is not None:
        image.putmask(bad_mask[None, None])  # python-casacore: True = masked (bad)
    del image
    table = ct.table(str(path), readonly=False, ack=False)
    table.putkeyword("units", "Jy/beam")
    bmaj, bmin, bpa = beam_arcsec
    table.putkeyword("imageinfo", {
        "imagetype": "Intensity", "objectname": "",
        "restoringbeam": {"major": {"value": bmaj, "unit": "arcsec"},
                          "minor": {"value": bmin, "unit": "arcsec"},
                          "positionangle": {"value": bpa, "unit": "deg"}},
    })
    table.close()
    return path


def casa_world(path: Path, x: float, y: float) -> tuple[float, float]:
    """(RA, Dec) in degrees of pixel (x, y) according to casacore itself."""
    import casacore.images as ci

    image = ci.image(str(path))
    world = image.toworld([0, 0, y, x])  # numpy order: freq, stokes, dec, ra (radians)
    del image
    return float(np.degrees(world[3]) % 360), float(np.degrees(world[2]))


def decode_png(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def simple_header(shape, ra=RA0, dec=DEC0, cell_arcsec=CELL) -> fits.Header:
    ny, nx = shape
    h = fits.Header()
    for k, v in (("CTYPE1", "RA---SIN"), ("CRVAL1", ra), ("CRPIX1", nx / 2 + 1),
                 ("CDELT1", -cell_arcsec / 3600), ("CUNIT1", "deg"),
                 ("CTYPE2", "DEC--SIN"), ("CRVAL2", dec), ("CRPIX2", ny / 2 + 1),
                 ("CDELT2", cell_arcsec / 3600), ("CUNIT2", "deg")):
        h[k] = v
    return h

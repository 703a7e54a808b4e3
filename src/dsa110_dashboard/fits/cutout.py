"""Cutouts around a sky position, as FITS (with a correct 2-D WCS) or PNG.

Only the cutout's rectangle is read and converted from the file. Parts of the
square that fall off the image edge are NaN, so the requested position stays
at the centre pixel ((n - 1) / 2) of the cutout.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from dataclasses import dataclass

import numpy as np
from astropy.io import fits
from astropy.nddata.utils import NoOverlapError, overlap_slices
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_scales

from dsa110_dashboard.errors import InvalidInputError
from dsa110_dashboard.fits.plane import ImagePlane
from dsa110_dashboard.fits.render import as_plane, render_png
from dsa110_dashboard.fits.stretch import DEFAULT_STRETCH
from dsa110_dashboard.science.numbers import parse_number

MAX_CUTOUT_PIXELS = 4096
# Non-WCS keys worth carrying into a cutout's header.
_KEEP_KEYS = ("BUNIT", "BMAJ", "BMIN", "BPA", "TELESCOP", "INSTRUME", "OBJECT",
              "DATE-OBS", "MJD-OBS", "TIMESYS", "RESTFRQ", "BTYPE")


@dataclass(frozen=True)
class Cutout:
    data: np.ndarray  # float32, row 0 = bottom, NaN off the image
    wcs: WCS
    header: fits.Header  # the 2-D WCS plus the parent's beam, unit, time, telescope
    position_pixel: tuple[float, float]  # (x, y) of the requested position in the parent


def cutout(source: ImagePlane | str | os.PathLike[str], ra_deg: float, dec_deg: float,
           size_arcsec: float) -> Cutout:
    """A square ``size_arcsec`` wide centred on (ra, dec); InvalidInputError if off the image."""
    ra, dec, size_arcsec = _check_position(ra_deg, dec_deg, size_arcsec)
    plane = as_plane(source)
    if not plane.has_celestial:
        raise InvalidInputError("image has no celestial WCS; cannot cut out a sky position",
                                parameter="position")
    ny, nx = plane.shape
    x, y = (float(v) for v in plane.wcs.world_to_pixel_values(ra, dec))
    if not (math.isfinite(x) and math.isfinite(y) and -0.5 <= x < nx - 0.5 and -0.5 <= y < ny - 0.5):
        raise InvalidInputError(f"position RA {ra:.5f}, Dec {dec:.5f} is outside the image",
                                parameter="position")
    scale_arcsec = float(np.mean(proj_plane_pixel_scales(plane.wcs))) * 3600.0
    n = max(1, int(round(size_arcsec / scale_arcsec)))
    if n > MAX_CUTOUT_PIXELS:
        raise InvalidInputError(f"size_arcsec gives {n} pixels; at most {MAX_CUTOUT_PIXELS}",
                                parameter="size_arcsec")
    try:
        large, small = overlap_slices((ny, nx), (n, n), (y, x), mode="partial")
    except NoOverlapError as exc:  # already excluded above; kept for rounding corner cases
        raise InvalidInputError(str(exc), parameter="position") from exc
    data = np.full((n, n), np.nan, dtype=np.float32)
    data[small] = plane.region(*large)

    wcs = plane.wcs.deepcopy()
    # overlap_slices places (y, x) at the centre; shift the reference pixel by
    # where the cutout's pixel 0 sits in the parent.
    origin_y = large[0].start - small[0].start
    origin_x = large[1].start - small[1].start
    wcs.wcs.crpix = wcs.wcs.crpix - np.array([origin_x, origin_y])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstropyWarning)
        header = wcs.to_header()
    for key in _KEEP_KEYS:
        if key in plane.header:
            header[key] = (plane.header[key], plane.header.comments[key])
    return Cutout(data=data, wcs=wcs, header=header, position_pixel=(x, y))


def cutout_fits(source: ImagePlane | str | os.PathLike[str], ra_deg: float, dec_deg: float,
                size_arcsec: float) -> bytes:
    """The cutout as a FITS file (bytes), 2-D float32 with its WCS."""
    cut = cutout(source, ra_deg, dec_deg, size_arcsec)
    buffer = io.BytesIO()
    fits.PrimaryHDU(data=cut.data, header=cut.header).writeto(buffer)
    return buffer.getvalue()


def cutout_png(source: ImagePlane | str | os.PathLike[str], ra_deg: float, dec_deg: float,
               size_arcsec: float, size: int = 256, stretch: str = DEFAULT_STRETCH,
               cmap: str = "inferno", **render_kwargs) -> bytes:
    """The cutout rendered like a thumbnail (``size`` pixels on a side)."""
    cut = cutout(source, ra_deg, dec_deg, size_arcsec)
    plane = ImagePlane(raw=cut.data, wcs=cut.wcs, header=cut.header, has_celestial=True)
    return render_png(plane, size, stretch, cmap, **render_kwargs)


def _check_position(ra: object, dec: object, size_arcsec: object) -> tuple[float, float, float]:
    values = []
    for name, value in (("ra_deg", ra), ("dec_deg", dec), ("size_arcsec", size_arcsec)):
        values.append(parse_number(value, name, required=True))
    ra, dec, size = values
    if not -90.0 <= dec <= 90.0:
        raise InvalidInputError(f"dec_deg must be within [-90, 90]; got {dec}", parameter="dec_deg")
    if size <= 0:
        raise InvalidInputError(f"size_arcsec must be positive; got {size}", parameter="size_arcsec")
    return ra % 360.0, dec, size

"""Synthetic DSA-110-like images for tests, benchmarks and the demo data set.

The files look like the pipeline's: 4-D (RA---SIN, DEC--SIN, FREQ, STOKES) with
degenerate axes of length 1, float32, BUNIT Jy/beam, BMAJ/BMIN/BPA in degrees,
TELESCOP DSA-110, and NaN outside a circular primary-beam cut.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import numpy as np
from astropy.io import fits

DSA110_FREQ_HZ = 1.405e9
DEFAULT_BEAM_DEG = (18.0 / 3600, 15.0 / 3600, 0.0)


def sky_image(shape: tuple[int, int], sources: Iterable[tuple[float, float, float]] = (),
              *, noise: float = 3e-4, beam_fwhm_pix: float = 0.0,
              seed: int | None = 0) -> np.ndarray:
    """A float32 image with Gaussian noise plus point sources.

    ``sources`` are (x, y, peak) in 0-based pixels, x along RA (columns), y along
    Dec (rows). With ``beam_fwhm_pix`` > 0 each source is a circular Gaussian of
    that FWHM whose peak pixel is at (round(x), round(y)); else a single pixel.
    """
    ny, nx = shape
    rng = np.random.default_rng(seed)
    image = rng.normal(0.0, noise, size=shape).astype(np.float32) if noise else np.zeros(shape, np.float32)
    sigma = beam_fwhm_pix / 2.3548
    for x, y, peak in sources:
        xi, yi = int(round(x)), int(round(y))
        if sigma <= 0:
            image[yi, xi] += peak
            continue
        r = int(np.ceil(4 * sigma))
        y0, y1, x0, x1 = max(0, yi - r), min(ny, yi + r + 1), max(0, xi - r), min(nx, xi + r + 1)
        yy, xx = np.mgrid[y0:y1, x0:x1]
        image[y0:y1, x0:x1] += (peak * np.exp(-((xx - xi) ** 2 + (yy - yi) ** 2) / (2 * sigma**2))).astype(np.float32)
    return image


def radio_field(size: int, n_sources: int = 300, *, beam_fwhm_pix: float = 9.0,
                noise: float = 3e-4, seed: int = 0
                ) -> tuple[np.ndarray, list[tuple[float, float, float]]]:
    """(image, sources): a square DSA-110-like snapshot: Gaussian noise (300 uJy/beam by
    default), ``n_sources`` beam-shaped sources with the NVSS-like counts
    N(>S) ~ S^-0.9 from 5 mJy (capped at 1 Jy), NaN outside the primary-beam cut.
    ``sources`` are (x, y, peak Jy/beam), brightest first."""
    rng = np.random.default_rng(seed)
    margin = 4 * beam_fwhm_pix
    radius = size / 2 - margin
    r = radius * np.sqrt(rng.random(n_sources))
    phi = rng.uniform(0, 2 * np.pi, n_sources)
    xs, ys = (size - 1) / 2 + r * np.cos(phi), (size - 1) / 2 + r * np.sin(phi)
    peaks = np.minimum(5e-3 * (1 - rng.random(n_sources)) ** (-1 / 0.9), 1.0)
    order = np.argsort(-peaks)
    sources = [(float(xs[i]), float(ys[i]), float(peaks[i])) for i in order]
    image = sky_image((size, size), sources, noise=noise, beam_fwhm_pix=beam_fwhm_pix,
                      seed=seed)
    return primary_beam_cut(image), sources


def primary_beam_cut(image: np.ndarray, radius_pix: float | None = None) -> np.ndarray:
    """The image (modified in place) with NaN outside a centred circle."""
    ny, nx = image.shape
    radius = min(ny, nx) / 2.0 if radius_pix is None else radius_pix
    yy, xx = np.ogrid[:ny, :nx]
    image[(yy - (ny - 1) / 2.0) ** 2 + (xx - (nx - 1) / 2.0) ** 2 > radius**2] = np.nan
    return image


def dsa110_header(shape: tuple[int, int], center_ra: float, center_dec: float,
                  cell_arcsec: float, freq_hz: float = DSA110_FREQ_HZ,
                  date_obs: str = "2025-06-01T08:00:00.000",
                  beam: tuple[float, float, float] | None = DEFAULT_BEAM_DEG) -> fits.Header:
    ny, nx = shape
    header = fits.Header()
    cards = [
        ("CTYPE1", "RA---SIN"), ("CRVAL1", float(center_ra)), ("CRPIX1", nx / 2.0 + 1),
        ("CDELT1", -cell_arcsec / 3600.0), ("CUNIT1", "deg"),
        ("CTYPE2", "DEC--SIN"), ("CRVAL2", float(center_dec)), ("CRPIX2", ny / 2.0 + 1),
        ("CDELT2", cell_arcsec / 3600.0), ("CUNIT2", "deg"),
        ("CTYPE3", "FREQ"), ("CRVAL3", float(freq_hz)), ("CRPIX3", 1.0),
        ("CDELT3", 1.875e8), ("CUNIT3", "Hz"),
        ("CTYPE4", "STOKES"), ("CRVAL4", 1.0), ("CRPIX4", 1.0), ("CDELT4", 1.0), ("CUNIT4", ""),
        ("RADESYS", "ICRS"), ("EQUINOX", 2000.0), ("SPECSYS", "TOPOCENT"),
        ("BUNIT", "Jy/beam"), ("TELESCOP", "DSA-110"), ("INSTRUME", "DSA-110"),
        ("DATE-OBS", date_obs), ("TIMESYS", "UTC"),
    ]
    for key, value in cards:
        header[key] = value
    if beam is not None:
        header["BMAJ"] = (float(beam[0]), "[deg] restoring beam major axis")
        header["BMIN"] = (float(beam[1]), "[deg] restoring beam minor axis")
        header["BPA"] = (float(beam[2]), "[deg] restoring beam position angle")
    return header


def write_dsa110_fits(path: str | os.PathLike[str], data2d: np.ndarray, center_ra: float,
                      center_dec: float, cell_arcsec: float, freq_hz: float = DSA110_FREQ_HZ,
                      date_obs: str = "2025-06-01T08:00:00.000",
                      beam: tuple[float, float, float] | None = DEFAULT_BEAM_DEG,
                      *, extra_planes: Iterable[np.ndarray] = (), overwrite: bool = True) -> None:
    """Write ``data2d`` (row 0 = south) as a pipeline-style 4-D FITS image.

    ``extra_planes`` adds Stokes planes after I (Q, U, ...), making STOKES longer than 1.
    """
    planes = [np.asarray(data2d, dtype=np.float32), *(np.asarray(p, dtype=np.float32) for p in extra_planes)]
    cube = np.stack(planes)[:, None, :, :]  # (stokes, freq, dec, ra)
    header = dsa110_header(data2d.shape, center_ra, center_dec, cell_arcsec, freq_hz, date_obs, beam)
    fits.PrimaryHDU(data=cube, header=header).writeto(path, overwrite=overwrite)

"""Pixels of the demo images: geometry, rendering, injected defects, FITS, image QA.

An image is the sky of ``sky.Catalogue`` at its observation time, attenuated by a
Gaussian primary beam (FWHM 2.7 deg; science.md allows Airy or Gaussian and the Airy
pattern would need scipy, which is not a dependency), each source an elliptical Gaussian
of the restoring beam at its exact sub-pixel position, multiplied by a per-image
flux-scale error (which the photometry's ensemble normalisation removes), plus noise,
and NaN outside the primary-beam cut (a circle of radius 1.75 deg, as the pipeline's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS

from ..fits.synth import DSA110_FREQ_HZ, dsa110_header, primary_beam_cut

FIELD_DEG = 3.5
PB_FWHM_DEG = 2.7
BEAM_DEG = (18.0 / 3600, 15.0 / 3600, 0.0)  # BMAJ, BMIN, BPA (deg)
#: The thermal noise a 5-minute image should reach; QA compares against it.
EXPECTED_NOISE_JY = 3e-4
FULL_SIZE = 6300
BANDWIDTH_MHZ = 187.5
FWHM_TO_SIGMA = 1.0 / (2.0 * math.sqrt(2.0 * math.log(2.0)))

#: Defects injected into chosen images (see build.py for which).
DEFECTS = ("high_noise", "stripe", "blank")


@dataclass(frozen=True)
class Geometry:
    """Pixel grid shared by every image of a run."""

    size: int

    @property
    def cell_deg(self) -> float:
        return FIELD_DEG / self.size

    @property
    def cell_arcsec(self) -> float:
        return self.cell_deg * 3600.0

    @property
    def cut_radius_pix(self) -> float:
        return self.size / 2.0  # 1.75 deg: the radius primary_beam_cut uses by default

    @property
    def beam_deg(self) -> tuple[float, float, float]:
        """The restoring beam (BMAJ, BMIN, BPA in degrees): 18 x 15 arcsec, widened on
        grids coarser than ~12 arcsec so its FWHM spans at least 1.4 cells. A beam
        narrower than a pixel cannot be rendered or fitted; the header says what was
        used, as a tapered image would."""
        scale = max(1.0, 1.4 * self.cell_deg / BEAM_DEG[0])
        return (BEAM_DEG[0] * scale, BEAM_DEG[1] * scale, BEAM_DEG[2])

    def beam_sigma_pix(self) -> tuple[float, float, float]:
        """(sigma_major, sigma_minor) in pixels and the position angle in radians."""
        beam = self.beam_deg
        return (beam[0] / self.cell_deg * FWHM_TO_SIGMA,
                beam[1] / self.cell_deg * FWHM_TO_SIGMA, math.radians(beam[2]))

    @property
    def stamp_half(self) -> int:
        """Half-size of the box a source is rendered and fitted in (~1.5 beam FWHM)."""
        return max(2, math.ceil(1.5 * self.beam_deg[0] / self.cell_deg))


def header_for(geom: Geometry, center_ra: float, center_dec: float, date_obs: str,
               mjd_obs: float, date_written: str, name: str) -> fits.Header:
    header = dsa110_header((geom.size, geom.size), center_ra, center_dec,
                           geom.cell_arcsec, DSA110_FREQ_HZ, date_obs, geom.beam_deg)
    header["MJD-OBS"] = (float(mjd_obs), "[d] observation start (UTC)")
    header["OBSERVER"] = "DSA-110 continuum pipeline"
    header["OBJECT"] = name
    header["ORIGIN"] = "dsa110-dash demo (synthetic)"
    header["DATE"] = (date_written, "file written (UTC)")
    header["BTYPE"] = "Intensity"
    return header


def celestial_wcs(header: fits.Header) -> WCS:
    return WCS(header).celestial


def primary_beam(sep_deg: np.ndarray) -> np.ndarray:
    """Gaussian primary-beam response at ``sep_deg`` from the pointing centre."""
    return np.exp(-4.0 * math.log(2.0) * (np.asarray(sep_deg) / PB_FWHM_DEG) ** 2)


def beam_model(dx: np.ndarray, dy: np.ndarray, geom: Geometry) -> np.ndarray:
    """The restoring beam (peak 1) at pixel offsets (dx along RA axis, dy along Dec).

    BPA is east of north; east is towards -x on the sky (RA increases to the left).
    Rendering and forced photometry both use this, so a fit recovers the injected peak.
    """
    s_maj, s_min, pa = geom.beam_sigma_pix()
    u = -dx * math.sin(pa) + dy * math.cos(pa)   # along the major axis
    v = dx * math.cos(pa) + dy * math.sin(pa)    # along the minor axis
    return np.exp(-0.5 * ((u / s_maj) ** 2 + (v / s_min) ** 2))


def stamp_offsets(geom: Geometry) -> tuple[np.ndarray, np.ndarray]:
    h = geom.stamp_half
    oy, ox = np.mgrid[-h:h + 1, -h:h + 1]
    return ox.ravel(), oy.ravel()


def render(geom: Geometry, x: np.ndarray, y: np.ndarray, peak_jyb: np.ndarray,
           noise_jy: float, rng: np.random.Generator) -> np.ndarray:
    """Noise plus beams of ``peak_jyb`` at pixel positions (x, y), NaN outside the cut."""
    n = geom.size
    image = rng.standard_normal((n, n), dtype=np.float32)
    image *= np.float32(noise_jy)
    s_maj, _, _ = geom.beam_sigma_pix()
    if s_maj > 1.0:
        # Real image noise is correlated on the beam scale; white noise is only right
        # when the beam is about a pixel (the default 1024-px images).
        image = _beam_correlated(image, geom, noise_jy)
    ox, oy = stamp_offsets(geom)
    xi, yi = np.rint(x).astype(int), np.rint(y).astype(int)
    px = xi[:, None] + ox[None, :]
    py = yi[:, None] + oy[None, :]
    values = peak_jyb[:, None] * beam_model(px - x[:, None], py - y[:, None], geom)
    inside = (px >= 0) & (px < n) & (py >= 0) & (py < n)
    np.add.at(image, (py[inside], px[inside]), values[inside].astype(np.float32))
    return primary_beam_cut(image, geom.cut_radius_pix)


def _beam_correlated(image: np.ndarray, geom: Geometry, noise_jy: float) -> np.ndarray:
    s_maj, s_min, _ = geom.beam_sigma_pix()
    n = geom.size
    f = np.fft.rfftfreq(n)
    g = np.fft.fftfreq(n)
    # Separable Gaussian (BPA 0: major axis along Dec = rows).
    kx = np.exp(-2 * (np.pi * f * s_min) ** 2)
    ky = np.exp(-2 * (np.pi * g * s_maj) ** 2)
    out = np.fft.irfft2(np.fft.rfft2(image) * ky[:, None] * kx[None, :], s=image.shape)
    out *= noise_jy / out.std()
    return out.astype(np.float32)


def add_defect(image: np.ndarray, defect: str, noise_jy: float,
               rng: np.random.Generator) -> np.ndarray:
    """Spoil an image the way real ones get spoilt; NaN outside the cut stays NaN."""
    finite = np.isfinite(image)
    if defect == "high_noise":
        # A bad calibration: the noise is ten times the thermal noise.
        extra = rng.standard_normal(image.shape, dtype=np.float32) * np.float32(
            noise_jy * math.sqrt(99.0))
        image += extra
    elif defect == "stripe":
        # Interference: a bright band of rows with a ripple along it.
        n = image.shape[0]
        row0 = int(n * 0.58)
        width = max(3, n // 40)
        ripple = 1 + 0.5 * np.sin(np.arange(n) * 2 * np.pi / max(8, n / 12))
        image[row0:row0 + width, :] += np.float32(40 * noise_jy) * ripple[None, :].astype(np.float32)
    elif defect == "blank":
        # Fully flagged data: the imager writes zeros.
        image[...] = 0.0
    else:
        raise ValueError(f"unknown defect {defect!r}")
    if defect != "blank":
        image[~finite] = np.nan
    return image


def write_fits(path: Path, image: np.ndarray, header: fits.Header) -> None:
    """Plain (uncompressed) 4-D FITS as the pipeline writes: (stokes, freq, dec, ra)."""
    fits.PrimaryHDU(data=image[None, None, :, :], header=header).writeto(path, overwrite=True)


@dataclass(frozen=True)
class ImageStats:
    """What image QA measures from the pixels."""

    rms_jy: float | None          # robust (MAD) rms of finite pixels
    peak_jy: float | None
    dynamic_range: float | None   # peak / rms
    stripe_sigma: float | None    # largest |row or column median| / rms in the centre
    blank: bool


def measure(image: np.ndarray) -> ImageStats:
    n = image.shape[0]
    # The central square lies inside the primary-beam cut: no NaN, cheap medians.
    h = int(n / 2 / math.sqrt(2)) - 1
    core = image[n // 2 - h:n // 2 + h, n // 2 - h:n // 2 + h]
    step = max(1, n // 1024)  # subsample big images: the MAD needs no 40 M pixels
    sample = core[::step, ::step]
    if not np.isfinite(sample).any() or not np.any(sample):
        return ImageStats(None, None, None, None, True)
    med = float(np.median(sample))
    rms = 1.4826 * float(np.median(np.abs(sample - med)))
    peak = float(np.nanmax(image))
    if rms <= 0:
        return ImageStats(None, peak, None, None, True)
    lines = np.concatenate([np.median(core, axis=0), np.median(core, axis=1)])
    return ImageStats(rms, peak, peak / rms, float(np.max(np.abs(lines - med)) / rms), False)


def grade(stats: ImageStats) -> str:
    """The demo's image QA grade.

    Dynamic range as science.md: > 1000 excellent, > 100 good, > 10 marginal, else
    poor. Dynamic range alone misses the defects an operator rejects, so an image is
    also poor when it holds no signal (blank), when its rms exceeds 5x the expected
    thermal noise, or when a row or column median departs from zero by more than half
    the rms (stripes of interference: a clean image's row medians are ~0.05 rms).
    """
    if stats.blank or stats.rms_jy is None or stats.dynamic_range is None:
        return "poor"
    if stats.rms_jy > 5 * EXPECTED_NOISE_JY or (stats.stripe_sigma or 0) > 0.5:
        return "poor"
    dr = stats.dynamic_range
    return "excellent" if dr > 1000 else "good" if dr > 100 else "marginal" if dr > 10 else "poor"

"""A plain summary of an image header: pointing, scale, beam, frequency, time.

Every field is ``None`` when the header does not say (never 0 or "").

Beam units rule (BMAJ/BMIN): FITS says degrees. A value is taken as arcsec
instead when the card comment says so ("arcsec", "asec", '"'), or when no unit
is stated and the value exceeds 0.5: a restoring beam wider than 0.5 deg is
implausible for DSA-110 (its beam is ~15-20 arcsec), while 0.5 arcsec written
by a tool that uses arcsec is equally implausible as degrees. A comment saying
"deg" always wins.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass

from astropy import units as u
from astropy.io import fits
from astropy.time import Time
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS
from astropy.wcs.utils import proj_plane_pixel_area

BEAM_DEGREES_MAX = 0.5
_ARCSEC_WORDS = re.compile(r"arcsec|asec|\"", re.IGNORECASE)
_DEG_WORDS = re.compile(r"\bdeg", re.IGNORECASE)
_CTYPE = re.compile(r"CTYPE(\d+)")
_TIME_SCALES = {"utc", "tai", "tt", "tdb", "tcg", "tcb", "ut1"}


@dataclass(frozen=True)
class HeaderSummary:
    ra_deg: float | None
    dec_deg: float | None
    pixel_scale_arcsec: float | None
    width: int | None
    height: int | None
    bmaj_arcsec: float | None
    bmin_arcsec: float | None
    bpa_deg: float | None
    freq_ghz: float | None
    date_obs: str | None
    mjd_obs: float | None
    bunit: str | None
    telescope: str | None


def summarize(header: fits.Header) -> HeaderSummary:
    ra, dec, scale = _pointing(header)
    date_obs, mjd = _obs_time(header)
    return HeaderSummary(
        ra_deg=ra, dec_deg=dec, pixel_scale_arcsec=scale,
        width=_int(header, "NAXIS1"), height=_int(header, "NAXIS2"),
        bmaj_arcsec=beam_axis_arcsec(header, "BMAJ"),
        bmin_arcsec=beam_axis_arcsec(header, "BMIN"),
        bpa_deg=_float(header, "BPA"),
        freq_ghz=_frequency_ghz(header),
        date_obs=date_obs, mjd_obs=mjd,
        bunit=_text(header, "BUNIT"), telescope=_text(header, "TELESCOP"),
    )


def beam_axis_arcsec(header: fits.Header, key: str) -> float | None:
    value = _float(header, key)
    if value is None or value <= 0:
        return None
    comment = header.comments[key] if key in header else ""
    if _DEG_WORDS.search(comment):
        return value * 3600.0
    if _ARCSEC_WORDS.search(comment) or value > BEAM_DEGREES_MAX:
        return value
    return value * 3600.0


def _pointing(header: fits.Header) -> tuple[float | None, float | None, float | None]:
    """World position of the image centre pixel and the pixel scale."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            full = WCS(header)
            celestial = full.celestial
    except (ValueError, KeyError, MemoryError):
        return None, None, None
    if not celestial.has_celestial:
        return None, None, None
    centre = []
    for i, axis in enumerate(sorted((full.wcs.lng, full.wcs.lat))):
        n = _int(header, f"NAXIS{axis + 1}")
        # without a size, the reference pixel is the best centre there is
        centre.append((n - 1) / 2.0 if n else celestial.wcs.crpix[i] - 1.0)
    try:
        world = celestial.pixel_to_world_values(*centre)
        scale_deg = math.sqrt(abs(proj_plane_pixel_area(celestial)))
    except ValueError:
        return None, None, None
    lon, lat = float(world[celestial.wcs.lng]), float(world[celestial.wcs.lat])
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None, None, None
    return lon % 360.0, lat, scale_deg * 3600.0 if scale_deg > 0 else None


def _frequency_ghz(header: fits.Header) -> float | None:
    for key in header:
        match = _CTYPE.fullmatch(key)
        if match and str(header[key]).upper().startswith("FREQ"):
            return _axis_first_value_ghz(header, int(match.group(1)))
    for key in ("RESTFRQ", "RESTFREQ"):
        value = _float(header, key)
        if value:
            return value / 1e9
    return None


def _axis_first_value_ghz(header: fits.Header, i: int) -> float | None:
    """Frequency of the axis's first pixel: the channel the plane reader shows."""
    crval = _float(header, f"CRVAL{i}")
    if crval is None:
        return None
    crpix = _float(header, f"CRPIX{i}") or 1.0
    value = crval + (1.0 - crpix) * (_float(header, f"CDELT{i}") or 0.0)
    unit = str(header.get(f"CUNIT{i}", "") or "").strip() or "Hz"
    try:
        return float((value * u.Unit(unit)).to_value(u.GHz))
    except (ValueError, u.UnitConversionError):
        return value / 1e9


def _obs_time(header: fits.Header) -> tuple[str | None, float | None]:
    scale = str(header.get("TIMESYS", "utc")).strip().lower()
    scale = scale if scale in _TIME_SCALES else "utc"
    date = _text(header, "DATE-OBS")
    try:
        if date is not None:
            t = Time(date, scale=scale)
        elif (mjd := _float(header, "MJD-OBS")) is not None:
            t = Time(mjd, format="mjd", scale=scale)
        else:
            return None, None
    except ValueError:
        return date, None
    # Only formatting in the file's own scale: no scale conversion, hence no IERS tables.
    return t.isot, float(t.mjd)


def _float(header: fits.Header, key: str) -> float | None:
    value = header.get(key)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _int(header: fits.Header, key: str, default: int | None = None) -> int | None:
    value = header.get(key)
    return int(value) if isinstance(value, int) and not isinstance(value, bool) else default


def _text(header: fits.Header, key: str) -> str | None:
    value = header.get(key)
    if value is None:
        return None
    value = str(value).strip()
    return value or None

"""Parsing of sky positions and search radii typed by a user.

Positions (ICRS; offline, astropy.coordinates parsing only - never ``from_name``):

- sexagesimal, RA in hours: ``12:34:56.7 +42:03:12``, ``12 34 56.7 +42 03 12``,
  ``12h34m56.7s +42d03m12s``;
- decimal degrees: ``188.736 42.053`` or ``188.736, 42.053``.

Radii: a number and a unit - ``30 arcsec``, ``2 arcmin``, ``0.5 deg``, ``30"``, ``2'``,
``1.5d``; a bare number is read in ``default_unit`` (arcsec).

Both raise ``InvalidInputError`` naming the field (``position`` / ``radius``).
``format_ra`` / ``format_dec`` write positions back for display.
"""

from __future__ import annotations

import math
import re
import warnings

import astropy.units as u
from astropy.coordinates import Angle, IllegalHourWarning, SkyCoord

from ..errors import InvalidInputError

MAX_RADIUS_DEG = 10.0

_RADIUS = re.compile(
    r"""^\s*(?P<value>[+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*
        (?P<unit>arcsec(ond)?s?|asec|"|''|arcmin(ute)?s?|amin|'|deg(ree)?s?|d|°)?\s*$""",
    re.VERBOSE | re.IGNORECASE)
_UNITS = {"arcsec": u.arcsec, "asec": u.arcsec, '"': u.arcsec, "''": u.arcsec,
          "arcmin": u.arcmin, "amin": u.arcmin, "'": u.arcmin, "d": u.deg, "°": u.deg}
#: A plain number, optionally marked as degrees: an RA written like this is in degrees.
_DEGREES = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?(d|deg|°)?$", re.IGNORECASE)
_HOURS = re.compile(r"[:hH]")


def _ra_deg(text: str) -> float:
    """An RA token: degrees when a plain number (``188.736``, ``188.736d``), hours when
    sexagesimal in hours (``12:34:56.7``, ``12h34m56.7s``, ``12 34 56.7``), degrees when
    sexagesimal in degrees (``188d44m10s``). Each token is read on its own: a Dec typed
    with colons must not turn a decimal RA into hours."""
    if _DEGREES.match(text):
        return float(re.sub(r"(?i)(d|deg|°)$", "", text))
    if _HOURS.search(text) or " " in text:
        with warnings.catch_warnings():  # 24h and over: refused just below
            warnings.simplefilter("ignore", IllegalHourWarning)
            hours = Angle(text, unit=u.hourangle).hour
        if not 0.0 <= hours < 24.0:
            raise ValueError(f"RA {text!r} is outside 0h-24h")
        return float(hours) * 15.0
    return float(Angle(text, unit=u.deg).deg)


def _dec_deg(text: str) -> float:
    return float(Angle(text, unit=u.deg).deg)


def _split(cleaned: str) -> tuple[str, str] | None:
    """RA and Dec text of a typed position, or None when the split is not evident."""
    parts = cleaned.split()
    if len(parts) == 2:
        return parts[0], parts[1]
    if len(parts) == 6:  # "12 34 56.7 +42 03 12"
        return " ".join(parts[:3]), " ".join(parts[3:])
    return None


def parse_position(text: str, field: str = "position") -> tuple[float, float]:
    """(ra_deg, dec_deg) of a typed position; RA wrapped into [0, 360)."""
    raw = (text or "").strip()
    if not raw:
        raise InvalidInputError(f"{field} is empty: type RA and Dec, e.g. "
                                "'12:34:56.7 +42:03:12' or '188.736 42.053'", parameter=field)
    cleaned = raw.replace(",", " ")
    try:
        split = _split(cleaned)
        if split is not None:
            ra, dec = _ra_deg(split[0]), _dec_deg(split[1])
        else:  # e.g. "12h34m56.7s+42d03m12s": astropy finds the two halves
            coord = SkyCoord(cleaned, unit=(u.hourangle, u.deg), frame="icrs")
            ra, dec = float(coord.ra.deg), float(coord.dec.deg)
        if not (math.isfinite(ra) and math.isfinite(dec)):
            raise ValueError("not finite")
    except (ValueError, TypeError, u.UnitsError):
        raise InvalidInputError(
            f"{field}: cannot read {raw[:60]!r} as RA Dec; use '12:34:56.7 +42:03:12', "
            "'12h34m56.7s +42d03m12s' or degrees '188.736 42.053'", parameter=field) from None
    if not -90.0 <= dec <= 90.0:
        raise InvalidInputError(f"{field}: Dec must be between -90 and +90 degrees; "
                                f"got {dec:g}", parameter=field)
    return ra % 360.0, dec


def parse_radius(text: str, field: str = "radius", default_unit: str = "arcsec",
                 max_deg: float = MAX_RADIUS_DEG) -> float:
    """A search radius in degrees (> 0, at most ``max_deg``)."""
    raw = (text or "").strip()
    match = _RADIUS.match(raw)
    if not match:
        raise InvalidInputError(
            f"{field}: cannot read {raw[:40]!r}; give a number and a unit, e.g. '30 arcsec', "
            "'2 arcmin', '0.5 deg', '30\"' or \"2'\"", parameter=field)
    unit_text = (match["unit"] or default_unit).lower()
    # Longest spelling first: 'arcsec' before "'" and 'd' (deg, degrees).
    unit = next(unit for key, unit in sorted(_UNITS.items(), key=lambda kv: -len(kv[0]))
                if unit_text.startswith(key))
    degrees = Angle(float(match["value"]), unit).deg
    if not 0.0 < degrees <= max_deg:
        raise InvalidInputError(f"{field} must be greater than 0 and at most {max_deg:g} deg; "
                                f"got {raw[:40]!r}", parameter=field)
    return float(degrees)


def format_radius(degrees: float) -> str:
    """The shortest natural spelling of a radius, e.g. ``30 arcsec``, ``2 arcmin``."""
    arcsec = degrees * 3600.0
    if arcsec < 120:
        return f"{arcsec:g} arcsec"
    if arcsec < 7200:
        return f"{arcsec / 60:g} arcmin"
    return f"{degrees:g} deg"


def _sexagesimal(value: float, rounds_up_at: float) -> tuple[int, int, float]:
    """(whole, minutes, seconds) of a non-negative value; seconds that would print as
    60 (``rounds_up_at``, per the printed precision) carry into the minutes and on."""
    whole = int(value)
    minutes = (value - whole) * 60
    m = int(minutes)
    s = (minutes - m) * 60
    if s >= rounds_up_at:
        s, m = 0.0, m + 1
    if m >= 60:
        m, whole = 0, whole + 1
    return whole, m, s


def format_ra(ra_deg: float) -> str:
    """``10h00m00.00s``; rounding carries (astropy would print 24h00m00s just below
    360 deg)."""
    h, m, s = _sexagesimal((ra_deg % 360.0) / 15.0, 59.995)
    return f"{h % 24:02d}h{m:02d}m{s:05.2f}s"


def format_dec(dec_deg: float) -> str:
    """``+54°54′00.8″``."""
    d, m, s = _sexagesimal(abs(dec_deg), 59.95)
    return f"{'-' if dec_deg < 0 else '+'}{d:02d}°{m:02d}′{s:04.1f}″"

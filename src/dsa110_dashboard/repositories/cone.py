"""The sky geometry of cone searches: a cone's bounding box (for an index on ra/dec)
and the exact great-circle separation, in numpy and in SQL (PostgreSQL has the trig
functions; SQLite builds may lack them, so there the box's candidates are filtered in
numpy)."""

from __future__ import annotations

import math

import numpy as np
import sqlalchemy as sa

from ..errors import InvalidInputError


def ra_ranges(ra: float, dec: float,
              radius: float) -> tuple[float, float, list[tuple[float, float]] | None]:
    """The bounding box of a cone: (dec_min, dec_max, RA intervals or None for all RA).

    The RA half-width is asin(sin r / cos dec), the cone's true extent (>= r/cos dec's
    small-angle form); near a pole, or when it exceeds 180 deg, the whole RA range.
    Intervals are split at 0/360 when the box wraps.
    """
    dec_min, dec_max = max(dec - radius, -90.0), min(dec + radius, 90.0)
    if dec_max >= 90.0 or dec_min <= -90.0:
        return dec_min, dec_max, None
    ratio = math.sin(math.radians(radius)) / math.cos(math.radians(dec))
    if ratio >= 1.0:
        return dec_min, dec_max, None
    half = math.degrees(math.asin(ratio)) * 1.000001 + 1e-9  # rounding margin
    if half >= 180.0:
        return dec_min, dec_max, None
    ra = ra % 360.0
    lo, hi = ra - half, ra + half
    if lo < 0:
        return dec_min, dec_max, [(lo + 360.0, 360.0), (0.0, hi)]
    if hi > 360.0:
        return dec_min, dec_max, [(lo, 360.0), (0.0, hi - 360.0)]
    return dec_min, dec_max, [(lo, hi)]


def box_clause(ra_col: sa.ColumnElement, dec_col: sa.ColumnElement, ra: float, dec: float,
               radius: float) -> sa.ColumnElement:
    dec_min, dec_max, intervals = ra_ranges(ra, dec, radius)
    clause = dec_col.between(dec_min, dec_max)
    if intervals is not None:
        clause = sa.and_(clause, sa.or_(*(ra_col.between(lo, hi) for lo, hi in intervals)))
    return clause


def separation_deg(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Great-circle separation in degrees (haversine, stable at small angles)."""
    r1, d1, r2, d2 = (np.radians(np.asarray(x, dtype=float)) for x in (ra1, dec1, ra2, dec2))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def sql_separation_deg(ra_col, dec_col, ra: float, dec: float) -> sa.ColumnElement:
    """The same haversine in SQL (PostgreSQL)."""
    f = sa.func
    d1, r1 = math.radians(dec), math.radians(ra)
    d2, r2 = f.radians(dec_col), f.radians(ra_col)
    h = (f.power(f.sin((d2 - d1) / 2), 2)
         + math.cos(d1) * f.cos(d2) * f.power(f.sin((r2 - r1) / 2), 2))
    return f.degrees(2 * f.asin(f.sqrt(f.least(f.greatest(h, 0.0), 1.0))))


def check_cone(ra: float, dec: float, radius: float) -> None:
    for name, value in (("ra_deg", ra), ("dec_deg", dec), ("radius_deg", radius)):
        if value is None or not math.isfinite(value):
            raise InvalidInputError(f"{name} must be a finite number", parameter=name)
    if not -90.0 <= dec <= 90.0:
        raise InvalidInputError("dec_deg must be between -90 and 90", parameter="dec_deg")
    if not 0.0 < radius <= 90.0:
        raise InvalidInputError("radius_deg must be > 0 and <= 90", parameter="radius_deg")


"""Time in one place: MJD (UTC), Unix seconds and ISO 8601 UTC text (decision 0042).

The pipeline stores observation times as MJD and bookkeeping times as Unix seconds. Both
count days of exactly 86,400 s (neither has leap seconds), so converting between them is
one linear map: numpy arithmetic, for a scalar or a whole column, in hot loops too. Text
for people is formatted through ``datetime`` (years 1 to 9999, fast enough per row);
text from people is parsed with astropy ``Time``, which knows the ISO variants.

Unknown times (None, NaN, infinity) stay unknown: NaN through the arithmetic, None (or
"" in a column) from the formatters, never a date in 1970.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings

import numpy as np
import pandas as pd
from astropy.time import Time
from erfa import ErfaWarning

#: MJD of the Unix epoch, 1970-01-01T00:00:00 UTC.
UNIX_EPOCH_MJD = 40587.0
SECONDS_PER_DAY = 86400.0
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_FIRST_UNIX = -62135596800.0     # 0001-01-01T00:00:00
_PAST_LAST_UNIX = 253402300800.0  # 10000-01-01T00:00:00


# ------------------------------------------------------------------ arithmetic
def mjd_to_unix(mjd):
    """Unix seconds of an MJD (float or array; NaN stays NaN)."""
    if isinstance(mjd, (list, tuple)):
        mjd = np.asarray(mjd, dtype=float)
    return (mjd - UNIX_EPOCH_MJD) * SECONDS_PER_DAY


def unix_to_mjd(unix):
    """MJD of Unix seconds (float or array; NaN stays NaN)."""
    if isinstance(unix, (list, tuple)):
        unix = np.asarray(unix, dtype=float)
    return unix / SECONDS_PER_DAY + UNIX_EPOCH_MJD


def mjd_to_unix_ms(mjd) -> np.ndarray:
    """Milliseconds since 1970 of MJDs, as a plot's datetime axis takes them."""
    return mjd_to_unix(np.asarray(mjd, dtype=float)) * 1000.0


# -------------------------------------------------------------- single values
def _known(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def unix_to_datetime(unix: float | None) -> dt.datetime | None:
    """An aware UTC datetime; None when unknown or outside years 1 to 9999."""
    unix = _known(unix)
    if unix is None:
        return None
    try:
        return _EPOCH + dt.timedelta(seconds=unix)
    except OverflowError:
        return None


def mjd_to_datetime(mjd: float | None) -> dt.datetime | None:
    """An aware UTC datetime; None when unknown or outside years 1 to 9999."""
    mjd = _known(mjd)
    return None if mjd is None else unix_to_datetime(mjd_to_unix(mjd))


def format_unix(unix: float | None, *, seconds: bool = True) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` (or ``HH:MM``) UTC, truncated; None when unknown."""
    when = unix_to_datetime(unix)
    if when is None:
        return None
    return when.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def format_mjd(mjd: float | None, *, seconds: bool = True) -> str | None:
    """``YYYY-MM-DD HH:MM:SS`` (or ``HH:MM``) UTC of an MJD; None when unknown."""
    mjd = _known(mjd)
    return None if mjd is None else format_unix(mjd_to_unix(mjd), seconds=seconds)


def _parse_iso(text: str) -> Time:
    text = text.strip().removesuffix("Z")
    try:
        with warnings.catch_warnings():
            # "dubious year": UTC before 1960 or past the leap-second table; the
            # conversion to MJD is still the calendar's, which is all we ask of it.
            warnings.simplefilter("ignore", ErfaWarning)
            return Time(text, format="isot" if "T" in text else "iso", scale="utc")
    except ValueError as exc:
        raise ValueError(f"{text!r} is not an ISO 8601 UTC time") from exc


def iso_to_mjd(text: str) -> float:
    """MJD of ISO 8601 UTC text (``2025-10-17``, ``2025-10-17T08:00:00.5``, with a space
    instead of the T too). ValueError when it is not such a time."""
    return float(_parse_iso(text).mjd)


def iso_to_unix(text: str) -> float:
    """Unix seconds of ISO 8601 UTC text; ValueError when it is not such a time."""
    return float(_parse_iso(text).unix)


# ------------------------------------------------------------------- columns
def iso_seconds(mjd, *, floor: bool = False) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SS`` of MJDs (an array, also for one value), rounded to the
    second (``floor``: truncated)."""
    unix = mjd_to_unix(np.atleast_1d(np.asarray(mjd, dtype=float)))
    whole = (np.floor(unix) if floor else np.round(unix)).astype("int64")
    return np.datetime_as_string(whole.astype("datetime64[s]"), unit="s")


def iso_ms_column(unix_seconds, *, zone: str = "Z") -> pd.Series:
    """ISO 8601 UTC to the millisecond (``2025-10-17T08:00:00.000Z``; ``zone`` is the
    suffix) of a column of Unix seconds; "" where unknown (None, NaN, infinity, text that
    is no number, a time outside years 1 to 9999)."""
    values = pd.to_numeric(pd.Series(unix_seconds), errors="coerce").to_numpy(float)
    index = unix_seconds.index if isinstance(unix_seconds, pd.Series) else None
    return pd.Series(iso_ms_array(values, zone=zone, unknown=""), index=index, dtype=object)


def iso_ms_array(unix_seconds: np.ndarray, *, zone: str = "Z",
                 unknown: str | None = "") -> np.ndarray:
    """``iso_ms_column`` of float64 Unix seconds as an object array, ``unknown`` where
    unknown; no pandas (the lightcurve API's hot path)."""
    values = np.asarray(unix_seconds, dtype=float)
    # Years 1 to 9999, as format_unix: a wild value is unknown, not an overflowed date.
    known = np.isfinite(values) & (values >= _FIRST_UNIX) & (values < _PAST_LAST_UNIX)
    stamps = np.where(known, np.round(np.where(known, values, 0.0) * 1000.0), 0.0)
    text = np.datetime_as_string(stamps.astype("int64").astype("datetime64[ms]"), unit="ms")
    out = np.char.add(text.astype(str), zone).astype(object)
    out[~known] = unknown
    return out


def mjd_to_timestamps(mjd) -> pd.DatetimeIndex:
    """Pandas UTC timestamps of MJDs (NaT where unknown or past pandas' range)."""
    return pd.to_datetime(np.asarray(mjd, dtype=float) - UNIX_EPOCH_MJD, unit="D",
                          utc=True, errors="coerce")

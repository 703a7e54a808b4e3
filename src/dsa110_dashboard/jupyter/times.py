"""Times given in a notebook (astropy Time, datetime, ISO text, MJD number) as MJD or Unix
seconds, and time columns made readable."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from astropy.time import Time

from ..science.times import iso_to_mjd, mjd_to_unix, unix_to_mjd

#: An MJD between these is taken for an MJD, a larger number for Unix seconds.
_MJD_RANGE = (30000.0, 100000.0)


def as_mjd(value) -> float | None:
    """``value`` as an MJD (UTC): a Time, a datetime (naive = UTC), ISO text, an MJD or
    Unix seconds (numbers above 100000). None stays None."""
    if value is None:
        return None
    if isinstance(value, Time):
        return float(value.utc.mjd)
    if isinstance(value, (dt.datetime, pd.Timestamp)):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return float(unix_to_mjd(value.timestamp()))
    if isinstance(value, str):
        text = value.strip()
        try:
            return _number_as_mjd(float(text))
        except ValueError:
            return iso_to_mjd(text)
    if isinstance(value, (int, float, np.integer, np.floating)):
        return _number_as_mjd(float(value))
    raise TypeError(f"not a time: {value!r} (give an astropy Time, a datetime, ISO text "
                    "or an MJD)")


def _number_as_mjd(number: float) -> float:
    if not np.isfinite(number):
        raise ValueError(f"not a time: {number!r}")
    if number > _MJD_RANGE[1]:
        return float(unix_to_mjd(number))
    return number


def as_unix(value) -> float | None:
    mjd = as_mjd(value)
    return None if mjd is None else float(mjd_to_unix(mjd))


def utc_column(unix_seconds) -> pd.Series:
    """Unix seconds as timezone-aware UTC timestamps (NaT where unknown)."""
    values = pd.to_numeric(pd.Series(unix_seconds), errors="coerce")
    return pd.to_datetime(values, unit="s", utc=True)


def add_utc_columns(frame: pd.DataFrame, columns) -> pd.DataFrame:
    """Beside each Unix-seconds column ``x_at`` present, ``x_utc`` as UTC timestamps."""
    for name in columns:
        if name in frame.columns:
            frame[name.removesuffix("_at") + "_utc"] = utc_column(frame[name]).set_axis(frame.index)
    return frame

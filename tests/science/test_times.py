"""The one time module: MJD <-> Unix <-> ISO 8601 UTC, at the edges of the calendar."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from astropy.time import Time

from dsa110_dashboard.science import times

#: 9999-12-31T00:00:00 UTC, the last day a datetime can hold.
MJD_9999 = 2973483.0


def test_the_unix_epoch_and_the_first_day_of_mjd():
    assert times.mjd_to_unix(times.UNIX_EPOCH_MJD) == 0.0
    assert times.unix_to_mjd(0.0) == times.UNIX_EPOCH_MJD
    assert times.format_mjd(0.0) == "1858-11-17 00:00:00"
    assert times.mjd_to_datetime(0.0) == dt.datetime(1858, 11, 17, tzinfo=dt.timezone.utc)
    assert times.iso_to_mjd("1858-11-17") == 0.0
    assert times.iso_seconds(0.0)[0] == "1858-11-17T00:00:00"


def test_year_9999():
    assert times.format_mjd(MJD_9999 + 0.5, seconds=False) == "9999-12-31 12:00"
    assert times.iso_to_mjd("9999-12-31T00:00:00") == MJD_9999
    unix = times.mjd_to_unix(MJD_9999)
    assert times.iso_ms_column(pd.Series([unix]))[0] == "9999-12-31T00:00:00.000Z"
    assert times.format_mjd(MJD_9999 + 1.0) is None  # year 10000: no datetime holds it
    assert times.iso_ms_column(pd.Series([unix + 86400.0, 1e300]))[0] == ""


@pytest.mark.parametrize("unknown", [None, math.nan, math.inf, -math.inf])
def test_unknown_times_stay_unknown(unknown):
    assert times.format_mjd(unknown) is None
    assert times.format_unix(unknown) is None
    assert times.mjd_to_datetime(unknown) is None
    assert times.unix_to_datetime(unknown) is None


def test_columns_keep_unknown_times_unknown():
    column = pd.Series([0.0, None, math.nan, "x", 1.5], index=[5, 6, 7, 8, 9])
    text = times.iso_ms_column(column)
    assert list(text.index) == [5, 6, 7, 8, 9]
    assert text.tolist() == ["1970-01-01T00:00:00.000Z", "", "", "", "1970-01-01T00:00:01.500Z"]
    assert np.isnan(times.mjd_to_unix(np.array([math.nan])))[0]
    assert times.mjd_to_timestamps([math.nan, times.UNIX_EPOCH_MJD]).isna().tolist() == [
        True, False]


def test_the_arithmetic_agrees_with_astropy_away_from_leap_seconds():
    mjd = np.array([51544.5, 60676.0, 60965.3333333])
    expected = Time(mjd, format="mjd", scale="utc").unix
    assert np.allclose(times.mjd_to_unix(mjd), expected, rtol=0, atol=1e-3)
    assert np.allclose(times.unix_to_mjd(expected), mjd, rtol=0, atol=1e-9)


def test_text_round_trips_and_bad_text_is_a_value_error():
    assert times.iso_to_unix("2025-10-17T08:00:00Z") == 1760688000.0
    assert times.format_unix(1760688000.9) == "2025-10-17 08:00:00"  # truncated
    assert times.iso_seconds([60965.0 + 0.4 / 86400], floor=True)[0] == "2025-10-17T00:00:00"
    assert times.mjd_to_unix_ms([times.UNIX_EPOCH_MJD + 1])[0] == 86_400_000.0
    with pytest.raises(ValueError, match="not an ISO 8601 UTC time"):
        times.iso_to_mjd("yesterday")

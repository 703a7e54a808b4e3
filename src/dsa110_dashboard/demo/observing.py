"""The drift-scan schedule of the demo: which MS / image is observed when, and where.

DSA-110 points at a fixed declination and lets the sky drift through the beam, so an
image's centre RA is the local sidereal time at OVRO at its mid-time. A source passes
through the 3.5-deg field in ~24 minutes a day, i.e. ~5 consecutive images. To give
every catalogue source in the strip tens of epochs in a week, the demo observes the
same LST window every day: day ``d`` starts one *sidereal* day (4 minutes short of a
solar day) after day ``d-1``, so image ``i`` of every day has the same centre RA.

All times derive from the schedule (never from the wall clock), so a seed reproduces
every row.
"""

from __future__ import annotations

from dataclasses import dataclass

import astropy.units as u
import numpy as np
from astropy.time import Time

OVRO_LON_DEG = -118.2817
OVRO_LAT_DEG = 37.2314
STRIP_DEC_DEG = 54.57
SIDEREAL_DAY = 0.99726956634  # solar days
CADENCE_DAYS = 4.3 / 1440.0
MS_DURATION_S = 24 * 12.88  # 24 fields x 12.88 s
MS_DURATION_DAYS = MS_DURATION_S / 86400.0
UNIX_EPOCH_MJD = 40587.0
#: 2025-10-13T00:00:00 UTC: the demo's first observing day.
DEFAULT_START_MJD = 60961.0
#: Centre of the daily LST window: the bandpass calibrator 0834+555 transits in it.
WINDOW_CENTRE_LST_DEG = 130.0
DEFAULT_IMAGES_PER_DAY = 30


def mjd_to_unix(mjd):
    return (np.asarray(mjd, dtype=float) - UNIX_EPOCH_MJD) * 86400.0


def lst_deg(mjd) -> np.ndarray:
    """Mean local sidereal time at OVRO (degrees) with astropy (IAU 2006).

    UT1 - UTC is set to 0: the difference (< 0.9 s, < 4 arcsec of RA) does not matter
    here, and it means no IERS table is consulted or downloaded, so the same seed gives
    the same centres on every machine.
    """
    t = Time(np.atleast_1d(np.asarray(mjd, dtype=float)), format="mjd", scale="utc")
    t.delta_ut1_utc = 0.0
    lst = t.sidereal_time("mean", longitude=OVRO_LON_DEG * u.deg, model="IAU2006")
    return np.asarray(lst.deg, dtype=float)


def iso_seconds(mjd) -> np.ndarray:
    """``YYYY-MM-DDTHH:MM:SS`` (UTC) of MJDs, rounded to the second."""
    unix = np.round(mjd_to_unix(np.atleast_1d(mjd))).astype("int64")
    return np.datetime_as_string(unix.astype("datetime64[s]"), unit="s")


@dataclass(frozen=True)
class Schedule:
    """One row per imaged observation (MS -> one image), in time order."""

    day: np.ndarray          # observing day index
    slot: np.ndarray         # index within the day's window
    mid_mjd: np.ndarray
    center_ra: np.ndarray    # = LST at mid_mjd
    center_dec: np.ndarray
    stamp: np.ndarray        # start time 'YYYY-MM-DDTHH:MM:SS': MS stem and HDF5 group id
    days: int
    per_day: int

    @property
    def n(self) -> int:
        return int(self.mid_mjd.size)

    @property
    def start_mjd(self) -> np.ndarray:
        return self.mid_mjd - MS_DURATION_DAYS / 2

    @property
    def end_mjd(self) -> np.ndarray:
        return self.mid_mjd + MS_DURATION_DAYS / 2


def window_start_mjd(day0_mjd: float, per_day: int) -> float:
    """First mid-time on ``day0_mjd`` whose LST puts the window centre at
    ``WINDOW_CENTRE_LST_DEG``."""
    half_span_deg = (per_day - 1) / 2 * CADENCE_DAYS * 360.98564736629
    target = WINDOW_CENTRE_LST_DEG - half_span_deg
    lst0 = float(lst_deg(day0_mjd)[0])
    return day0_mjd + np.mod(target - lst0, 360.0) / 360.98564736629


def mid_times(days: int, per_day: int, slots: np.ndarray | None = None,
              day0_mjd: float = DEFAULT_START_MJD) -> np.ndarray:
    """Mid-times of ``slots`` (default 0..per_day-1) of every day, shape (days, slots)."""
    slots = np.arange(per_day) if slots is None else np.asarray(slots)
    t0 = window_start_mjd(day0_mjd, per_day)
    return (t0 + np.arange(days)[:, None] * SIDEREAL_DAY
            + slots[None, :] * CADENCE_DAYS)


def make_schedule(days: int, per_day: int = DEFAULT_IMAGES_PER_DAY,
                  day0_mjd: float = DEFAULT_START_MJD) -> Schedule:
    mids = mid_times(days, per_day, day0_mjd=day0_mjd)
    day, slot = np.divmod(np.arange(days * per_day), per_day)
    mid = mids.ravel()
    return Schedule(day=day, slot=slot, mid_mjd=mid, center_ra=lst_deg(mid),
                    center_dec=np.full(mid.size, STRIP_DEC_DEG),
                    stamp=iso_seconds(mid - MS_DURATION_DAYS / 2), days=days,
                    per_day=per_day)


def run_id_for_stamp(stamp: str) -> str:
    """The old API's run id of an MS named ``{stamp}.ms``: ``job-YYYY-MM-DD-HHMMSS``."""
    day, clock = stamp.split("T")
    return f"job-{day}-{clock.replace(':', '')}"

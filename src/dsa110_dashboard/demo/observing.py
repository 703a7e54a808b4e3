"""The drift-scan schedule of the demo: which MS / image is observed when, and where.

DSA-110 points at a fixed declination and lets the sky drift through the beam, so an
image's centre RA is the local sidereal time at OVRO at its mid-time. A source passes
through the 3.5-deg field in ~24 minutes a day, i.e. ~5 consecutive images. To give
every catalogue source in the strip tens of epochs in a week, the demo observes the
same LST window every day: day ``d`` starts one *sidereal* day (4 minutes short of a
solar day) after day ``d-1``, so image ``i`` of every day has the same centre RA.

The schedule ends at a given time (``dsa110-dash demo`` uses the time it runs, or
``--end``): the last observation of the last day finishes ``END_MARGIN_DAYS`` before it,
so a freshly generated demo shows a pipeline that is keeping up. Which part of the sky
the window covers follows from that time (its LST). Every time derives from the end time
and the schedule, never from the wall clock later, so the same end and seed reproduce
every row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from astropy.time import Time

from ..science.times import SECONDS_PER_DAY, iso_seconds

OVRO_LON_DEG = -118.2817
OVRO_LAT_DEG = 37.2314
STRIP_DEC_DEG = 54.57
SIDEREAL_DAY = 0.99726956634  # solar days
CADENCE_DAYS = 4.3 / 1440.0
MS_DURATION_S = 24 * 12.88  # 24 fields x 12.88 s
MS_DURATION_DAYS = MS_DURATION_S / SECONDS_PER_DAY
DEFAULT_IMAGES_PER_DAY = 30
#: Slots after each day's window for observations that produce no image (plan.Extra):
#: the last day's last one, still arriving, is the schedule's last observation ...
EXTRA_SLOTS = 4
#: ... and it ends this long before the end time (its subbands are still being indexed).
END_MARGIN_DAYS = 2.0 / 1440.0
SIDEREAL_RATE_DEG_PER_DAY = 360.98564736629


def lst_deg(mjd) -> np.ndarray:
    """Mean local sidereal time at OVRO (degrees) with astropy (IAU 2006).

    UT1 - UTC is set to 0 and polar motion left out (Greenwich sidereal time plus the
    longitude): together under 4 arcsec of RA, and it means no IERS table is consulted
    or downloaded, whatever the date (the demo ends now, past any bundled table), so
    the same end time and seed give the same centres on every machine.
    """
    t = Time(np.atleast_1d(np.asarray(mjd, dtype=float)), format="mjd", scale="utc")
    t.delta_ut1_utc = 0.0
    gmst = t.sidereal_time("mean", longitude="greenwich", model="IAU2006")
    return np.mod(np.asarray(gmst.deg, dtype=float) + OVRO_LON_DEG, 360.0)


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
    t0: float                # mid-time of day 0's first image
    end: float               # the time the schedule ends at (MJD)

    @property
    def n(self) -> int:
        return int(self.mid_mjd.size)

    @property
    def start_mjd(self) -> np.ndarray:
        return self.mid_mjd - MS_DURATION_DAYS / 2

    @property
    def end_mjd(self) -> np.ndarray:
        return self.mid_mjd + MS_DURATION_DAYS / 2


def first_mid_mjd(end_mjd: float, days: int, per_day: int) -> float:
    """Mid-time of day 0's first image such that the last day's last extra observation
    ends ``END_MARGIN_DAYS`` before ``end_mjd``."""
    last_slot = per_day + EXTRA_SLOTS - 1
    return (end_mjd - END_MARGIN_DAYS - MS_DURATION_DAYS / 2
            - (days - 1) * SIDEREAL_DAY - last_slot * CADENCE_DAYS)


def mid_times(days: int, per_day: int, t0: float,
              slots: np.ndarray | None = None) -> np.ndarray:
    """Mid-times of ``slots`` (default 0..per_day-1) of every day, shape (days, slots),
    day 0's slot 0 at ``t0``."""
    slots = np.arange(per_day) if slots is None else np.asarray(slots)
    return (t0 + np.arange(days)[:, None] * SIDEREAL_DAY
            + slots[None, :] * CADENCE_DAYS)


def make_schedule(days: int, per_day: int, end_mjd: float) -> Schedule:
    t0 = first_mid_mjd(end_mjd, days, per_day)
    mids = mid_times(days, per_day, t0)
    day, slot = np.divmod(np.arange(days * per_day), per_day)
    mid = mids.ravel()
    return Schedule(day=day, slot=slot, mid_mjd=mid, center_ra=lst_deg(mid),
                    center_dec=np.full(mid.size, STRIP_DEC_DEG),
                    stamp=iso_seconds(mid - MS_DURATION_DAYS / 2), days=days,
                    per_day=per_day, t0=t0, end=end_mjd)


def transit_before(ra_deg: float, mjd: float) -> float:
    """The last time at or before ``mjd`` that ``ra_deg`` crosses OVRO's meridian."""
    behind = np.mod(float(lst_deg(mjd)[0]) - ra_deg, 360.0)
    t = mjd - behind / SIDEREAL_RATE_DEG_PER_DAY
    # One refinement: the sidereal rate above is the mean one.
    return t - (np.mod(float(lst_deg(t)[0]) - ra_deg + 180.0, 360.0) - 180.0) \
        / SIDEREAL_RATE_DEG_PER_DAY


def run_id_for_stamp(stamp: str) -> str:
    """The old API's run id of an MS named ``{stamp}.ms``: ``job-YYYY-MM-DD-HHMMSS``."""
    day, clock = stamp.split("T")
    return f"job-{day}-{clock.replace(':', '')}"

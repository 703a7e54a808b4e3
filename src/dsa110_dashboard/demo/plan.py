"""What the demo will contain, decided before any pixel is drawn: the observations,
their file paths, the catalogue, and which observations carry which mishap.

Everything is a pure function of (days, images per day, size, seed), so a seed
reproduces every row and every file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..science.times import iso_seconds, mjd_to_unix
from . import observing as obs
from .images import Geometry
from .sky import CALIBRATOR, Catalogue, make_catalogue

#: Field half-width in RA at the strip's northern edge (1.75 deg / cos 56.3 deg) + margin.
RA_MARGIN_DEG = 3.4
#: 0834+555 is in the daily window when a slot's centre is this close to it (half a slot).
CAL_IN_WINDOW_DEG = 0.6
#: Otherwise it is observed at its last transit at least this long before the window.
CAL_LEAD_DAYS = 20.0 / 1440.0


@dataclass(frozen=True)
class CalObservation:
    """The observation a day's calibration set is solved on: 0834+555 at transit, in
    the window's image ``image`` when it transits there, else its own MS (no image)."""

    day: int
    stamp: str
    mid_mjd: float
    image: int | None

    @property
    def end_mjd(self) -> float:
        return self.mid_mjd + obs.MS_DURATION_DAYS / 2


@dataclass(frozen=True)
class Extra:
    """An observation that produced no image (failed, flagged or still pending)."""

    stamp: str
    mid_mjd: float
    center_ra: float
    status: str
    stage: str
    failure: str | None  # key of logs.TRACEBACKS, if a job failed on it
    n_subbands: int = 16


@dataclass
class Plan:
    out: Path
    geom: Geometry
    seed: int
    sched: obs.Schedule
    cat: Catalogue
    image_seeds: np.ndarray
    image_gain: np.ndarray       # per-image flux-scale error (normalisation removes it)
    image_noise: np.ndarray      # thermal noise per image, Jy/beam
    image_created: np.ndarray    # unix: image written
    defect: dict[int, str]       # image index -> images.DEFECTS
    null_metadata: list[int]     # images whose DB row has NULL centre/noise/beam
    pbcor: list[int]             # images that also get a .pbcor.fits product
    cal_slot: int | None         # slot in which 0834+555 transits, if in the window
    cal_obs: list[CalObservation]  # per day: where its calibration set was solved
    extras: list[Extra]

    # ------------------------------------------------------------------ paths
    def ms_path(self, stamp: str) -> str:
        return str(self.out / "ms" / f"{stamp}.ms")

    def image_path(self, i: int, kind: str = "5min") -> str:
        stamp = self.sched.stamp[i]
        suffix = ".pbcor.fits" if kind == "pbcor" else "-image.fits"
        return str(self.out / "images" / stamp[:10] / f"{stamp}{suffix}")

    @property
    def n(self) -> int:
        return self.sched.n


def make_plan(out: Path, *, days: int, per_day: int, size: int, seed: int,
              end_mjd: float) -> Plan:
    rng = np.random.default_rng([seed, 0])
    sched = obs.make_schedule(days, per_day, end_mjd)
    n = sched.n
    ra_first = float(sched.center_ra[0])
    ra_last = ra_first + float(np.mod(sched.center_ra[per_day - 1] - ra_first, 360.0))
    if ra_last - ra_first > 2 * RA_MARGIN_DEG + 1:
        core = (ra_first + RA_MARGIN_DEG, ra_last - RA_MARGIN_DEG)
    else:
        core = (ra_first, ra_last)
    cat = make_catalogue(rng, ra_first - RA_MARGIN_DEG, ra_last + RA_MARGIN_DEG,
                         float(sched.mid_mjd[0]), float(sched.mid_mjd[-1]), core_ra=core)
    noise = rng.lognormal(np.log(3e-4), 0.12, n)
    gain = rng.normal(1.0, 0.03, n)
    latency = 420.0 + rng.lognormal(np.log(300.0), 0.3, n)
    created = mjd_to_unix(sched.end_mjd) + latency

    def at(day: int, frac: float) -> int:
        day = min(max(day, 0), days - 1)
        return day * per_day + min(per_day - 1, int(frac * per_day))

    extras = _extras(sched)
    cal_slot, cal_obs = _calibrator_observations(sched, {e.stamp for e in extras})
    # The pipeline holds a day's observations until that day's bandpass calibrator is
    # solved, so nothing is calibrated before its tables exist.
    cal_ready = cal_created_unix(cal_obs)
    created = np.maximum(created, cal_ready[sched.day] + 120.0 + 20.0 * sched.slot)
    # Nothing is written after the end time (a calibrator solved late would push it).
    created = np.minimum(created, mjd_to_unix(end_mjd) - 120.0)
    defect = {}
    for image, kind in ((at(days // 2, 0.2), "high_noise"), (at(days - 1, 0.55), "stripe"),
                        (at(min(1, days - 1), 0.85), "blank")):
        while image in defect or image % per_day == cal_slot:
            image = (image + 1) % n
        defect[image] = kind
    _time_flashes(cat, sched, exclude=set(defect))
    start = at(min(1, days - 1), 0.4)
    null_metadata = [i for i in range(start, min(n, start + 6)) if i not in defect]
    # Three pbcor products: the calibrator's image (else one mid-run), the first and
    # the last day's.
    cal_image = cal_slot if cal_slot is not None else at(days // 2, 0.7)
    pbcor = sorted({i for i in (cal_image, at(0, 0.1), at(days - 1, 0.9))
                    if i not in defect and i not in null_metadata})
    extras += [Extra(c.stamp, c.mid_mjd, float(obs.lst_deg(c.mid_mjd)[0]), "completed",
                     "calibrated", None) for c in cal_obs if c.image is None]
    return Plan(out=out, geom=Geometry(size), seed=seed, sched=sched, cat=cat,
                image_seeds=np.arange(n), image_gain=gain, image_noise=noise,
                image_created=created, defect=defect, null_metadata=null_metadata,
                pbcor=pbcor, cal_slot=cal_slot, cal_obs=cal_obs, extras=extras)


def _calibrator_observations(sched: obs.Schedule, taken: set[str]
                             ) -> tuple[int | None, list[CalObservation]]:
    """(the window's calibrator slot or None, each day's calibrator observation).

    In the window: that slot's image every day. Otherwise a calibrator MS of its own at
    the last transit at least CAL_LEAD_DAYS before each day's window (moved earlier by
    one cadence if another observation already has its start second)."""
    per_day = sched.per_day
    ra_off = np.mod(sched.center_ra[:per_day] - CALIBRATOR["ra"] + 180.0, 360.0) - 180.0
    slot = int(np.argmin(np.abs(ra_off)))
    if abs(ra_off[slot]) <= CAL_IN_WINDOW_DEG:
        return slot, [CalObservation(d, str(sched.stamp[i]), float(sched.mid_mjd[i]), i)
                      for d in range(sched.days) for i in [d * per_day + slot]]
    taken = taken | {str(s) for s in sched.stamp}
    out = []
    for d in range(sched.days):
        first = float(sched.start_mjd[d * per_day])
        mid = obs.transit_before(CALIBRATOR["ra"], first - CAL_LEAD_DAYS)
        stamp = str(iso_seconds(mid - obs.MS_DURATION_DAYS / 2)[0])
        while stamp in taken:
            mid -= obs.CADENCE_DAYS
            stamp = str(iso_seconds(mid - obs.MS_DURATION_DAYS / 2)[0])
        out.append(CalObservation(d, stamp, mid, None))
    return None, out


def _extras(sched: obs.Schedule) -> list[Extra]:
    """Observations after the daily window that produced no image; the last one ends
    ``obs.END_MARGIN_DAYS`` before the schedule's end."""
    days = sched.days
    specs = [  # (day, slot after the window, status, stage, failure, subbands)
        (0, 0, "flagged", "converted", None, 16),              # RFI: flagged, not imaged
        (min(1, days - 1), 1, "failed", "calibrated", "imaging", 16),
        (days - 1, 2, "failed", "ingested", "conversion", 16),
        (days - 1, 3, "pending", "discovered", None, 11),      # still arriving
    ]
    days, per_day = sched.days, sched.per_day
    out = []
    for day, k, status, stage, failure, nsb in specs:
        mid = float(obs.mid_times(days, per_day, sched.t0, slots=[per_day + k])[day, 0])
        stamp = str(iso_seconds(mid - obs.MS_DURATION_DAYS / 2)[0])
        out.append(Extra(stamp, mid, float(obs.lst_deg(mid)[0]), status, stage, failure, nsb))
    return out


def cal_created_unix(cal_obs: list[CalObservation]) -> np.ndarray:
    """When each day's calibration set was written: 15 min after its MS ended."""
    return mjd_to_unix(np.array([c.end_mjd for c in cal_obs])) + 900.0


def _time_flashes(cat: Catalogue, sched: obs.Schedule, exclude: set[int]) -> None:
    """Each flash peaks at the mid-time of the image, on the middle day, whose centre
    is nearest the source: it is seen in that image and (decay 1 min) in no other."""
    day = sched.days // 2
    on_day = np.array([i for i in np.flatnonzero(sched.day == day) if i not in exclude])
    for k in np.flatnonzero(cat.kind == "flash"):
        off = np.abs(np.mod(sched.center_ra[on_day] - cat.ra[k] + 180.0, 360.0) - 180.0)
        cat.t_ref[k] = sched.mid_mjd[on_day[int(np.argmin(off))]]

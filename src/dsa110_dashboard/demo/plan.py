"""What the demo will contain, decided before any pixel is drawn: the observations,
their file paths, the catalogue, and which observations carry which mishap.

Everything is a pure function of (days, images per day, size, seed), so a seed
reproduces every row and every file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import observing as obs
from .images import Geometry
from .sky import CALIBRATOR, Catalogue, make_catalogue

#: Field half-width in RA at the strip's northern edge (1.75 deg / cos 56.3 deg) + margin.
RA_MARGIN_DEG = 3.4


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
    cal_slot: int                # slot in which 0834+555 transits
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


def make_plan(out: Path, *, days: int, per_day: int, size: int, seed: int) -> Plan:
    rng = np.random.default_rng([seed, 0])
    sched = obs.make_schedule(days, per_day)
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
    created = obs.mjd_to_unix(sched.end_mjd) + latency

    def at(day: int, frac: float) -> int:
        day = min(max(day, 0), days - 1)
        return day * per_day + min(per_day - 1, int(frac * per_day))

    ra_off = np.mod(sched.center_ra[:per_day] - CALIBRATOR["ra"] + 180.0, 360.0) - 180.0
    cal_slot = int(np.argmin(np.abs(ra_off)))
    # The pipeline holds a day's observations until that day's bandpass calibrator
    # (transiting mid-window) is solved, so nothing is calibrated before its tables exist.
    cal_ready = cal_created_unix(sched, cal_slot)
    created = np.maximum(created, cal_ready[sched.day] + 120.0 + 20.0 * sched.slot)
    defect = {}
    for image, kind in ((at(days // 2, 0.2), "high_noise"), (at(days - 1, 0.55), "stripe"),
                        (at(min(1, days - 1), 0.85), "blank")):
        while image in defect or image % per_day == cal_slot:
            image = (image + 1) % n
        defect[image] = kind
    _time_flashes(cat, sched, exclude=set(defect))
    start = at(min(1, days - 1), 0.4)
    null_metadata = [i for i in range(start, min(n, start + 6)) if i not in defect]
    pbcor = sorted({i for i in (cal_slot, at(0, 0.1), at(days - 1, 0.9))
                    if i not in defect and i not in null_metadata})
    extras = _extras(days, per_day)
    return Plan(out=out, geom=Geometry(size), seed=seed, sched=sched, cat=cat,
                image_seeds=np.arange(n), image_gain=gain, image_noise=noise,
                image_created=created, defect=defect, null_metadata=null_metadata,
                pbcor=pbcor, cal_slot=cal_slot, extras=extras)


def _extras(days: int, per_day: int) -> list[Extra]:
    """Observations after the daily window that produced no image."""
    specs = [  # (day, slot after the window, status, stage, failure, subbands)
        (0, 0, "flagged", "converted", None, 16),              # RFI: flagged, not imaged
        (min(1, days - 1), 1, "failed", "calibrated", "imaging", 16),
        (days - 1, 2, "failed", "ingested", "conversion", 16),
        (days - 1, 3, "pending", "discovered", None, 11),      # still arriving
    ]
    out = []
    for day, k, status, stage, failure, nsb in specs:
        mid = float(obs.mid_times(days, per_day, slots=[per_day + k])[day, 0])
        stamp = str(obs.iso_seconds(mid - obs.MS_DURATION_DAYS / 2)[0])
        out.append(Extra(stamp, mid, float(obs.lst_deg(mid)[0]), status, stage, failure, nsb))
    return out


def cal_created_unix(sched: obs.Schedule, cal_slot: int) -> np.ndarray:
    """When each day's calibration set was written: 15 min after its MS ended."""
    ends = sched.end_mjd[np.arange(sched.days) * sched.per_day + cal_slot]
    return obs.mjd_to_unix(ends) + 900.0


def _time_flashes(cat: Catalogue, sched: obs.Schedule, exclude: set[int]) -> None:
    """Each flash peaks at the mid-time of the image, on the middle day, whose centre
    is nearest the source: it is seen in that image and (decay 1 min) in no other."""
    day = sched.days // 2
    on_day = np.array([i for i in np.flatnonzero(sched.day == day) if i not in exclude])
    for k in np.flatnonzero(cat.kind == "flash"):
        off = np.abs(np.mod(sched.center_ra[on_day] - cat.ra[k] + 180.0, 360.0) - 180.0)
        cat.t_ref[k] = sched.mid_mjd[on_day[int(np.argmin(off))]]

"""The demo's synthetic sky: an NVSS-like catalogue and the variability injected into it.

Sources are drawn uniformly on the sphere over the part of the +54.57 deg strip the
schedule's images cover, with a truncated power-law flux distribution,
N(>S) ~ S^-0.9 between 5 mJy and 1 Jy (the slope of the NVSS counts at mJy levels).
Sources closer than ``MIN_SEPARATION_ARCSEC`` to a brighter one are dropped: forced
photometry fits one beam at a known position and a blend would fake variability.

Most sources are constant. A few carry an injected light curve (extreme-scattering-event
dips, flares, slow drifts, mild scintillation-like modulation) and a few transients are
added that are absent from NVSS: the truth goes to ``demo_truth.json``, never into the
database, which only holds what was measured from the pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..scale.model import angular_sep_deg, nvss_name
from .observing import STRIP_DEC_DEG

DENSITY_PER_DEG2 = 40.0      # sources above S_MIN_MJY per square degree
S_MIN_MJY, S_MAX_MJY = 5.0, 1000.0
COUNT_SLOPE = 0.9            # N(>S) ~ S^-COUNT_SLOPE
MIN_SEPARATION_ARCSEC = 90.0
FIELD_RADIUS_DEG = 1.75
#: The bandpass calibrator (science.md); it transits inside the demo's LST window.
CALIBRATOR = {"name": "0834+555", "ra": 128.729, "dec": 55.573, "flux_mjy": 8800.0}

KINDS = ("stable", "modulated", "ese", "flare", "drift", "transient", "flash", "calibrator")
#: A flash lasts about a minute: it is in exactly one 4.3-minute image.
FLASH_DECAY_DAYS = 1.0 / 1440.0


@dataclass
class Catalogue:
    """Sources and the parameters of their true light curves (index-aligned arrays)."""

    name: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    nvss_mjy: np.ndarray        # NaN for transients (not in NVSS)
    base_mjy: np.ndarray        # true mean flux at 1.4 GHz
    kind: np.ndarray
    # Light-curve parameters; only the ones of a source's kind are used.
    t_ref: np.ndarray = field(default_factory=lambda: np.zeros(0))
    width: np.ndarray = field(default_factory=lambda: np.zeros(0))
    amp: np.ndarray = field(default_factory=lambda: np.zeros(0))
    period: np.ndarray = field(default_factory=lambda: np.zeros(0))
    phase: np.ndarray = field(default_factory=lambda: np.zeros(0))
    t_start: float = 0.0
    span: float = 1.0

    @property
    def n(self) -> int:
        return int(self.ra.size)

    def flux_mjy(self, mjd: float) -> np.ndarray:
        """True flux density of every source at ``mjd`` (mJy)."""
        f = self.base_mjy.copy()
        k = self.kind
        dt = mjd - self.t_ref
        m = k == "modulated"
        f[m] *= 1 + self.amp[m] * np.sin(2 * np.pi * mjd / self.period[m] + self.phase[m])
        m = k == "ese"
        f[m] *= 1 - self.amp[m] * _ese_profile(dt[m] / (self.width[m] / 2))
        m = k == "flare"
        f[m] *= 1 + self.amp[m] * _fred(dt[m], self.width[m])
        m = k == "drift"
        f[m] *= 1 + self.amp[m] * (mjd - self.t_start) / self.span
        m = (k == "transient") | (k == "flash")
        f[m] = self.base_mjy[m] * _fred(dt[m], self.width[m])
        return f

    def truth(self) -> list[dict]:
        """The injected (non-constant) sources, for demo_truth.json."""
        out = []
        for i in np.flatnonzero(~np.isin(self.kind, ("stable", "calibrator"))):
            row = {"source_id": str(self.name[i]), "kind": str(self.kind[i]),
                   "ra_deg": float(self.ra[i]), "dec_deg": float(self.dec[i]),
                   "base_flux_mjy": round(float(self.base_mjy[i]), 3)}
            kind = self.kind[i]
            if kind == "ese":
                row.update(dip_centre_mjd=float(self.t_ref[i]),
                           dip_width_days=float(self.width[i]), depth=float(self.amp[i]))
            elif kind in ("flare", "transient", "flash"):
                row.update(peak_mjd=float(self.t_ref[i]), decay_days=float(self.width[i]))
                if kind == "flare":
                    row["peak_factor"] = 1 + float(self.amp[i])
            elif kind == "drift":
                row["fractional_change_over_run"] = float(self.amp[i])
            elif kind == "modulated":
                row.update(modulation=float(self.amp[i]), period_days=float(self.period[i]))
            out.append(row)
        return out


def _ese_profile(x: np.ndarray) -> np.ndarray:
    """U-shaped dip of depth 1 for |x| < 0.6 with cos^2 walls to |x| = 1, and the small
    caustic brightenings just outside the walls that real ESE light curves show."""
    ax = np.abs(x)
    bowl = np.where(ax < 0.6, 1.0, np.where(ax < 1.0, np.cos((ax - 0.6) / 0.4 * np.pi / 2) ** 2, 0.0))
    caustic = -0.25 * np.exp(-0.5 * ((ax - 1.1) / 0.08) ** 2)
    return bowl + caustic


def _fred(dt: np.ndarray, decay: np.ndarray) -> np.ndarray:
    """Fast rise (0.1 of the decay time), exponential decay; peak 1 at dt = 0."""
    rise = 0.1 * decay
    with np.errstate(over="ignore", under="ignore"):  # both branches are evaluated
        return np.where(dt < 0, np.exp(-0.5 * (dt / rise) ** 2), np.exp(-np.abs(dt) / decay))


def _power_law(rng: np.random.Generator, n: int) -> np.ndarray:
    a = COUNT_SLOPE
    lo, hi = S_MIN_MJY ** -a, S_MAX_MJY ** -a
    return (lo - rng.random(n) * (lo - hi)) ** (-1 / a)


def _sphere_patch(rng: np.random.Generator, n: int, ra_lo: float, ra_hi: float,
                  dec_lo: float, dec_hi: float) -> tuple[np.ndarray, np.ndarray]:
    ra = np.mod(ra_lo + rng.random(n) * (ra_hi - ra_lo), 360.0)
    s_lo, s_hi = np.sin(np.radians([dec_lo, dec_hi]))
    dec = np.degrees(np.arcsin(s_lo + rng.random(n) * (s_hi - s_lo)))
    return ra, dec


def _area_deg2(ra_lo, ra_hi, dec_lo, dec_hi) -> float:
    s_lo, s_hi = np.sin(np.radians([dec_lo, dec_hi]))
    return float(np.radians(ra_hi - ra_lo) * (s_hi - s_lo) * (180 / np.pi) ** 2)


def _isolated(ra: np.ndarray, dec: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Indices (in ``order``, brightest first) of sources with no brighter kept source
    within MIN_SEPARATION_ARCSEC."""
    limit = MIN_SEPARATION_ARCSEC / 3600.0
    kept: list[int] = []
    kept_ra, kept_dec = np.zeros(0), np.zeros(0)
    for i in order:
        if kept and np.any(angular_sep_deg(kept_ra, kept_dec, ra[i], dec[i]) < limit):
            continue
        kept.append(int(i))
        kept_ra = np.append(kept_ra, ra[i])
        kept_dec = np.append(kept_dec, dec[i])
    return np.array(kept, dtype=int)


def make_catalogue(rng: np.random.Generator, ra_lo: float, ra_hi: float,
                   t_start: float, t_end: float, *, core_ra: tuple[float, float],
                   n_ese: int = 4, n_flare: int = 3, n_drift: int = 3,
                   n_transient: int = 3, n_flash: int = 2, modulated_fraction: float = 0.03) -> Catalogue:
    """Sources over RA [ra_lo, ra_hi] (may exceed 360) of the strip; the injected
    variables are picked among sources inside ``core_ra`` near the strip centre, which
    the schedule observes on every visit."""
    dec_lo, dec_hi = STRIP_DEC_DEG - FIELD_RADIUS_DEG, STRIP_DEC_DEG + FIELD_RADIUS_DEG
    n = rng.poisson(DENSITY_PER_DEG2 * _area_deg2(ra_lo, ra_hi, dec_lo, dec_hi))
    ra, dec = _sphere_patch(rng, n, ra_lo, ra_hi, dec_lo, dec_hi)
    flux = _power_law(rng, n)
    # Transients (days) and flashes (one image): not in NVSS, added to the
    # forced-photometry list after their detection.
    n_new = n_transient + n_flash
    tra, tdec = _sphere_patch(rng, n_new, *core_ra, STRIP_DEC_DEG - 0.5, STRIP_DEC_DEG + 0.5)
    ra = np.concatenate([ra, tra, [CALIBRATOR["ra"]]])
    dec = np.concatenate([dec, tdec, [CALIBRATOR["dec"]]])
    flux = np.concatenate([flux, rng.uniform(30, 80, n_transient), rng.uniform(60, 120, n_flash),
                           [CALIBRATOR["flux_mjy"]]])
    kind = np.array(["stable"] * n + ["transient"] * n_transient + ["flash"] * n_flash
                    + ["calibrator"], dtype=object)
    # The calibrator and new sources are kept first; then NVSS sources by brightness.
    order = np.concatenate([[n + n_new], n + np.arange(n_new),
                            np.argsort(-flux[:n], kind="stable")])
    keep = np.sort(_isolated(ra, dec, order))
    ra, dec, flux, kind = ra[keep], dec[keep], flux[keep], kind[keep]
    names = np.array([nvss_name(r, d) for r, d in zip(ra, dec, strict=True)], dtype=object)
    _, first = np.unique(names, return_index=True)  # a truncated-name clash: drop one
    keep = np.sort(first)
    ra, dec, flux, kind, names = ra[keep], dec[keep], flux[keep], kind[keep], names[keep]
    m = ra.size

    span = max(t_end - t_start, 0.5)
    t_ref, width, amp = np.zeros(m), np.ones(m), np.zeros(m)
    period, phase = np.ones(m), np.zeros(m)
    in_core = ((np.mod(ra - core_ra[0], 360.0) <= np.mod(core_ra[1] - core_ra[0], 360.0))
               & (np.abs(dec - STRIP_DEC_DEG) < 0.6))
    pool = np.flatnonzero((kind == "stable") & in_core & (flux >= 30) & (flux <= 400))
    picks = rng.permutation(pool)
    cursor = 0

    def take(k: int) -> np.ndarray:
        nonlocal cursor
        chosen = picks[cursor:cursor + k]
        cursor += chosen.size
        return chosen

    idx = take(n_ese)
    kind[idx] = "ese"
    t_ref[idx] = t_start + span * rng.uniform(0.35, 0.65, idx.size)
    width[idx] = np.minimum(3.0, 0.45 * span) * rng.uniform(0.85, 1.0, idx.size)
    amp[idx] = rng.uniform(0.4, 0.6, idx.size)
    idx = take(n_flare)
    kind[idx] = "flare"
    t_ref[idx] = t_start + span * rng.uniform(0.2, 0.7, idx.size)
    width[idx] = np.minimum(1.5, 0.3 * span)
    amp[idx] = rng.uniform(1.5, 3.0, idx.size)
    idx = take(n_drift)
    kind[idx] = "drift"
    amp[idx] = rng.choice([-1, 1], idx.size) * rng.uniform(0.3, 0.5, idx.size)
    tr = np.flatnonzero(kind == "transient")
    t_ref[tr] = t_start + span * rng.uniform(0.3, 0.6, tr.size)
    width[tr] = np.minimum(1.2, 0.3 * span)
    fl = np.flatnonzero(kind == "flash")
    width[fl] = FLASH_DECAY_DAYS
    t_ref[fl] = np.nan  # set by the plan: the mid-time of one image that sees the source
    # Mild scintillation-like modulation on a few percent of the rest.
    rest = np.flatnonzero(kind == "stable")
    idx = rest[rng.random(rest.size) < modulated_fraction]
    kind[idx] = "modulated"
    amp[idx] = rng.uniform(0.03, 0.10, idx.size)
    period[idx] = rng.uniform(2.0, 6.0, idx.size)
    phase[idx] = rng.uniform(0, 2 * np.pi, idx.size)

    # NVSS measured these sources decades earlier: its flux differs by a few percent.
    nvss = np.where(np.isin(kind, ("transient", "flash")), np.nan,
                    np.round(flux * rng.lognormal(0.0, 0.05, m), 1))
    return Catalogue(name=names, ra=ra, dec=dec, nvss_mjy=nvss, base_mjy=flux, kind=kind,
                     t_ref=t_ref, width=width, amp=amp, period=period, phase=phase,
                     t_start=t_start, span=span)

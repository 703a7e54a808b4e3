"""The synthetic sky and observing schedule behind a scale database, made with numpy.

Everything here is pure computation (no database): the schedule of observations (one
every ~4.3 minutes, drift scan, so the image centre's RA is the local sidereal time at
OVRO), a catalogue of NVSS-like sources on the observed declination strips, which
images measure which source (the ``epochs`` images nearest its transit), and the
photometry of one batch of images. Keeping it separate lets the writer stream batches
while the model stays testable and deterministic for a seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..science.times import SECONDS_PER_DAY, iso_seconds, mjd_to_unix

#: 2025-01-01T00:00:00 UTC: the first observation of a generated year.
DEFAULT_START_MJD = 60676.0
CADENCE_DAYS = 4.3 / 1440.0
#: 24 fields x 12.88 s.
MS_DURATION_DAYS = 24 * 12.88 / SECONDS_PER_DAY
OVRO_LON_DEG = -118.2817
#: Declination strips observed in 2025 and the share of time spent on each; the schedule
#: visits them in blocks (the declination changes rarely), ending on the main strip.
STRIPS = ((54.57, 0.40), (16.3, 0.32), (50.5, 0.02), (65.7, 0.02), (54.57, 0.24))
FIELD_HALF_WIDTH_DEG = 1.75  # images are forced to 3.5 x 3.5 deg
PB_FWHM_DEG = 2.8

IMAGE_TYPES = np.array(["5min", "pbcor", "residual", "clean", "dirty", "continuum"],
                       dtype=object)
IMAGE_TYPE_P = np.array([0.90, 0.04, 0.02, 0.02, 0.01, 0.01])
MS_STAGES = np.array(["photometry_complete", "imaged", "mosaicked", "cataloged"],
                     dtype=object)
MS_STAGE_P = np.array([0.70, 0.15, 0.10, 0.05])


def lst_deg(mjd: np.ndarray) -> np.ndarray:
    """Local sidereal time at OVRO in degrees (GMST, IAU 1982 linear term; ample here)."""
    gmst = 280.46061837 + 360.98564736629 * (mjd - 51544.5)
    return np.mod(gmst + OVRO_LON_DEG, 360.0)


def ra_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a - b| in RA, wrapped into [0, 180]. The same expression decides membership in
    both passes of the generator, so the two always agree to the last bit."""
    return np.abs(np.mod(a - b + 180.0, 360.0) - 180.0)


def angular_sep_deg(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Great-circle separation (haversine), degrees."""
    r1, d1, r2, d2 = map(np.radians, (ra1, dec1, ra2, dec2))
    h = (np.sin((d2 - d1) / 2) ** 2
         + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2)
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def nvss_name(ra_deg: float, dec_deg: float) -> str:
    """IAU-style truncated name, e.g. ``NVSS J123456.7+420312``."""
    hours = ra_deg / 15.0
    h = int(hours)
    m = int((hours - h) * 60)
    s = (hours - h - m / 60) * 3600
    s = np.floor(s * 10) / 10
    sign = "+" if dec_deg >= 0 else "-"
    d_abs = abs(dec_deg)
    d = int(d_abs)
    dm = int((d_abs - d) * 60)
    ds = int((d_abs - d - dm / 60) * 3600)
    return f"NVSS J{h:02d}{m:02d}{s:04.1f}{sign}{d:02d}{dm:02d}{ds:02d}"


@dataclass
class Schedule:
    """One row per observation = one MS = one image, in time order."""

    mid_mjd: np.ndarray
    strip: np.ndarray           # index into strip_decs
    strip_decs: np.ndarray
    center_ra: np.ndarray
    center_dec: np.ndarray
    created_unix: np.ndarray    # image written: observation end + processing latency
    metadata_null: np.ndarray   # a block of weeks with NULL centre/noise/beam (as in 2025)
    noise_jy: np.ndarray
    dynamic_range: np.ndarray
    image_type: np.ndarray
    image_format: np.ndarray
    ensemble_gain: np.ndarray   # per-image flux-scale error the normalisation removes
    ms_path: np.ndarray
    image_path: np.ndarray

    @property
    def n(self) -> int:
        return len(self.mid_mjd)


def make_schedule(n_images: int, rng: np.random.Generator,
                  start_mjd: float = DEFAULT_START_MJD) -> Schedule:
    i = np.arange(n_images)
    jitter = rng.uniform(-20, 20, n_images) / 86400.0
    mid = start_mjd + i * CADENCE_DAYS + MS_DURATION_DAYS / 2 + jitter
    decs = np.array(sorted({d for d, _ in STRIPS}))
    bounds = np.cumsum([share for _, share in STRIPS])
    block = np.searchsorted(bounds, (i + 0.5) / max(n_images, 1), side="right")
    block = np.minimum(block, len(STRIPS) - 1)
    strip_dec = np.array([STRIPS[b][0] for b in range(len(STRIPS))])[block]
    strip = np.searchsorted(decs, strip_dec)
    center_ra = lst_deg(mid)
    latency_s = 300.0 + rng.lognormal(np.log(600.0), 0.4, n_images)
    created = mjd_to_unix(mid + MS_DURATION_DAYS / 2) + latency_s
    # NULL image metadata for a contiguous ~3 % of the schedule.
    null_start = int(n_images * 0.45)
    metadata_null = np.zeros(n_images, dtype=bool)
    metadata_null[null_start:null_start + max(1, int(n_images * 0.03))] = n_images > 20
    noise = rng.lognormal(np.log(3e-4), 0.25, n_images)
    dr = rng.lognormal(np.log(600.0), 0.8, n_images)
    kind = rng.choice(len(IMAGE_TYPES), size=n_images, p=IMAGE_TYPE_P)
    image_type = IMAGE_TYPES[kind]
    # The first tenth of the year used the older vocabulary "image".
    image_type[(i < n_images // 10) & (kind == 0)] = "image"
    casa = rng.random(n_images) < 0.05
    image_format = np.where(casa, "casa", "fits").astype(object)
    start_iso = iso_seconds(mid - MS_DURATION_DAYS / 2, floor=True)
    ms_path = np.array([f"/data/dsa110-contimg/ms/{s}.ms" for s in start_iso], dtype=object)
    suffix = {"5min": "-image.fits", "image": "-image.fits", "pbcor": ".pbcor.fits",
              "residual": "-residual.fits", "clean": "-clean.fits", "dirty": "-dirty.fits",
              "continuum": "-continuum.fits"}
    casa_suffix = {"pbcor": ".image.pbcor", "residual": ".residual"}
    image_path = np.array([
        f"/data/dsa110-contimg/images/{s[:10]}/{s}"
        + (casa_suffix.get(t, ".image") if c else suffix[t])
        for s, t, c in zip(start_iso, image_type, casa, strict=True)], dtype=object)
    gain = rng.normal(1.0, 0.02, n_images)
    return Schedule(mid, strip, decs, center_ra, decs[strip], created, metadata_null,
                    noise, dr, image_type, image_format, gain, ms_path, image_path)


@dataclass
class Catalogue:
    """The sources, their NVSS flux, their variability and which images measure them."""

    name: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    strip: np.ndarray
    nvss_mjy: np.ndarray
    mean_factor: np.ndarray
    mod_index: np.ndarray       # sinusoidal modulation (fraction)
    period_days: np.ndarray
    phase: np.ndarray
    dip_depth: np.ndarray       # ESE-like dip (fraction), 0 for most sources
    dip_mjd: np.ndarray
    dip_width_days: np.ndarray
    window_deg: np.ndarray      # measured by strip images with RA distance <= window
    n_epochs: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ra)


def _unique_names(ra: np.ndarray, dec: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    names = np.array([nvss_name(r, d) for r, d in zip(ra, dec, strict=True)], dtype=object)
    for _ in range(100):
        _, first = np.unique(names, return_index=True)
        dup = np.setdiff1d(np.arange(len(names)), first)
        if dup.size == 0:
            return names
        # Two sources truncate to the same name: nudge the later one by a few arcsec.
        dec[dup] += rng.uniform(2, 5, dup.size) / 3600.0
        names[dup] = [nvss_name(ra[k], dec[k]) for k in dup]
    raise RuntimeError("could not make unique source names")


def make_catalogue(n_sources: int, epochs: int, schedule: Schedule,
                   rng: np.random.Generator) -> Catalogue:
    n = n_sources
    # Sources sit where the strip's images look: a random image's centre plus an
    # offset inside the field (RA offset widened by 1/cos(dec)).
    host = rng.integers(0, schedule.n, n) if schedule.n else np.zeros(n, dtype=int)
    strip = schedule.strip[host]
    dec = schedule.center_dec[host] + rng.uniform(-1.6, 1.6, n)
    ra = np.mod(schedule.center_ra[host]
                + rng.uniform(-1.6, 1.6, n) / np.cos(np.radians(dec)), 360.0)
    names = _unique_names(ra, dec, rng)
    # Euclidean-ish counts above 10 mJy: N(>S) ~ S^-1, capped at 10 Jy.
    nvss = np.minimum(10.0 / rng.random(n) ** 1.0, 10_000.0)
    mean_factor = rng.lognormal(0.0, 0.05, n)
    kind = rng.random(n)
    mod = np.where(kind < 0.90, 0.0, rng.uniform(0.05, 0.25, n))
    period = rng.uniform(10, 200, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    ese = kind > 0.98
    span = schedule.mid_mjd[-1] - schedule.mid_mjd[0] if schedule.n else 1.0
    dip_depth = np.where(ese, rng.uniform(0.3, 0.6, n), 0.0)
    dip_mjd = schedule.mid_mjd[0] + rng.uniform(0, 1, n) * span if schedule.n else np.zeros(n)
    dip_width = rng.uniform(0.05, 0.2, n) * max(span, 1.0)

    window = np.zeros(n)
    n_epochs = np.zeros(n, dtype=np.int64)
    for s in np.unique(strip):
        members = np.flatnonzero(strip == s)
        ras = np.sort(schedule.center_ra[schedule.strip == s])
        k = min(epochs, ras.size)
        window[members], n_epochs[members] = _kth_distance(ra[members], ras, k), k
    return Catalogue(names, ra, dec, strip, nvss, mean_factor, mod, period, phase,
                     dip_depth, dip_mjd, dip_width, window, n_epochs)


def _kth_distance(src_ra: np.ndarray, sorted_img_ra: np.ndarray, k: int,
                  chunk: int = 1000) -> np.ndarray:
    """For each source, the RA distance of its k-th nearest image (circularly).

    The k nearest images of a point in a circularly sorted list lie within k positions
    on either side of its insertion point, so only 2k candidates per source are looked at.
    """
    n_img = sorted_img_ra.size
    out = np.empty(src_ra.size)
    if k == 0:
        out[:] = -1.0
        return out
    width = min(2 * k, n_img)
    offsets = np.arange(width) - (width // 2)
    for lo in range(0, src_ra.size, chunk):
        part = src_ra[lo:lo + chunk]
        pos = np.searchsorted(sorted_img_ra, part)
        idx = np.mod(pos[:, None] + offsets[None, :], n_img)
        if width == n_img:
            idx = np.broadcast_to(np.arange(n_img), (part.size, n_img))
        dist = ra_distance(sorted_img_ra[idx], part[:, None])
        out[lo:lo + chunk] = np.partition(dist, k - 1, axis=1)[:, k - 1]
    return out


@dataclass
class PhotometryBatch:
    """Photometry of a run of images, plus what variability statistics accumulate."""

    source: np.ndarray          # catalogue index per row
    image: np.ndarray           # schedule index per row
    columns: dict[str, np.ndarray]
    best_mjy: np.ndarray        # flux the statistics use (normalized > raw > peak)
    best_err_mjy: np.ndarray


def photometry_for(images: np.ndarray, schedule: Schedule, cat: Catalogue,
                   rng: np.random.Generator) -> PhotometryBatch:
    """Forced photometry of every catalogue source each of ``images`` measures."""
    rows_src, rows_img = [], []
    for s in np.unique(schedule.strip[images]):
        imgs = images[schedule.strip[images] == s]
        srcs = np.flatnonzero(cat.strip == s)
        if srcs.size == 0:
            continue
        hit = (ra_distance(schedule.center_ra[imgs][:, None], cat.ra[srcs][None, :])
               <= cat.window_deg[srcs][None, :])
        ii, jj = np.nonzero(hit)
        rows_img.append(imgs[ii])
        rows_src.append(srcs[jj])
    if rows_img:
        img = np.concatenate(rows_img)
        src = np.concatenate(rows_src)
        order = np.lexsort((src, img))  # as the pipeline writes: image by image
        img, src = img[order], src[order]
    else:
        img = src = np.zeros(0, dtype=np.int64)
    n = img.size
    mjd = schedule.mid_mjd[img]
    true_mjy = (cat.nvss_mjy[src] * cat.mean_factor[src]
                * (1 + cat.mod_index[src]
                   * np.sin(2 * np.pi * mjd / cat.period_days[src] + cat.phase[src]))
                * (1 - cat.dip_depth[src]
                   * np.exp(-0.5 * ((mjd - cat.dip_mjd[src]) / cat.dip_width_days[src]) ** 2)))
    sep = angular_sep_deg(schedule.center_ra[img], schedule.center_dec[img],
                          cat.ra[src], cat.dec[src])
    pb = np.maximum(np.exp(-4 * np.log(2) * sep**2 / PB_FWHM_DEG**2), 0.1)
    rms_mjy = 0.3 * (schedule.noise_jy[img] / 3e-4) / pb
    err_mjy = np.sqrt(rms_mjy**2 + (0.02 * true_mjy) ** 2)
    gain = schedule.ensemble_gain[img]
    flux_mjy = true_mjy * gain + rng.normal(0, 1, n) * err_mjy
    peak_mjy = flux_mjy * (1 + rng.normal(0, 0.01, n))
    norm_mjy = flux_mjy / gain
    norm_err = err_mjy / gain
    no_norm = rng.random(n) < 0.05
    no_flux = no_norm & (rng.random(n) < 0.2)
    norm_mjy[no_norm] = np.nan
    norm_err[no_norm] = np.nan
    flux_out = np.where(no_flux, np.nan, flux_mjy)
    ferr_out = np.where(no_flux, np.nan, err_mjy)
    best = np.where(no_norm, np.where(no_flux, peak_mjy, flux_mjy), norm_mjy)
    best_err = np.where(no_norm, err_mjy, norm_err)
    snr = flux_mjy / err_mjy
    quality = np.where(snr < 5, "low_snr", None).astype(object)
    measured = schedule.created_unix[img] + rng.uniform(60, 600, n)
    columns = {
        "source_id": cat.name[src],
        "image_path": schedule.image_path[img],
        "ra_deg": cat.ra[src], "dec_deg": cat.dec[src],
        "nvss_flux_mjy": cat.nvss_mjy[src],
        "peak_jyb": peak_mjy / 1e3, "peak_err_jyb": rms_mjy / 1e3,
        "measured_at": measured, "snr": snr, "mjd": mjd,
        "flux_jy": flux_out / 1e3, "flux_err_jy": ferr_out / 1e3,
        "normalized_flux_jy": norm_mjy / 1e3, "normalized_flux_err_jy": norm_err / 1e3,
        "sep_from_center_deg": sep, "local_rms": rms_mjy / 1e3, "rms_jy": rms_mjy / 1e3,
        "peak_flux_jy": peak_mjy / 1e3, "quality_flag": quality,
        "flags": np.zeros(n, dtype=np.int64),
    }
    return PhotometryBatch(src, img, columns, best, best_err)


class VariabilityAccumulator:
    """Running sums per source, so the statistics never need all rows at once."""

    def __init__(self, n_sources: int):
        z = lambda: np.zeros(n_sources)  # noqa: E731
        self.n = np.zeros(n_sources, dtype=np.int64)
        self.sf, self.sf2, self.sw, self.swf, self.swf2 = z(), z(), z(), z(), z()
        self.fmin = np.full(n_sources, np.inf)
        self.fmax = np.full(n_sources, -np.inf)
        self.last_mjd = np.full(n_sources, np.nan)
        self.last_measured = np.full(n_sources, np.nan)

    def add(self, batch: PhotometryBatch) -> None:
        s, f, e = batch.source, batch.best_mjy, batch.best_err_mjy
        w = 1.0 / e**2
        m = batch.source.size
        np.add.at(self.n, s, 1)
        for acc, v in ((self.sf, f), (self.sf2, f * f), (self.sw, w), (self.swf, w * f),
                       (self.swf2, w * f * f)):
            acc += np.bincount(s, weights=v, minlength=acc.size)
        np.minimum.at(self.fmin, s, f)
        np.maximum.at(self.fmax, s, f)
        if m:
            np.fmax.at(self.last_mjd, s, batch.columns["mjd"])
            np.fmax.at(self.last_measured, s, batch.columns["measured_at"])

    def statistics(self) -> dict[str, np.ndarray]:
        """The pipeline's metrics (science.md); NaN (-> NULL) below two epochs."""
        n = self.n.astype(float)
        ok = n >= 2
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.where(n > 0, self.sf / n, np.nan)
            var = np.where(ok, (self.sf2 - self.sf**2 / n) / (n - 1), np.nan)
            std = np.sqrt(np.maximum(var, 0.0))
            # eta = N/(N-1) (mean(w f^2) - mean(w f)^2 / mean(w))
            eta = np.where(ok, (self.swf2 - self.swf**2 / self.sw) / (n - 1), np.nan)
            mean_w = self.swf / self.sw
            chi2 = np.where(ok, (self.swf2 - 2 * mean_w * self.swf + mean_w**2 * self.sw)
                            / (n - 1), np.nan)
            sigma_dev = np.where(ok, np.maximum(np.abs(self.fmax - mean),
                                                np.abs(self.fmin - mean)) / std, np.nan)
        return {"n_obs": self.n, "mean_flux_mjy": mean,
                "std_flux_mjy": std, "min_flux_mjy": np.where(n > 0, self.fmin, np.nan),
                "max_flux_mjy": np.where(n > 0, self.fmax, np.nan), "chi2_nu": chi2,
                "sigma_deviation": sigma_dev, "eta_metric": eta,
                "last_mjd": self.last_mjd, "last_measured_at": self.last_measured}

"""From per-image results to the numbers the database holds: QA grades, photometry
rows, ensemble normalisation and per-source variability statistics."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import images as im
from .photometry import Normalisation, ensemble_gains, variability
from .plan import Plan
from .render import ImageResult

LOW_SNR = 5.0
FLAG_LOW_SNR = 1
FLAG_POOR_IMAGE = 2


@dataclass
class Measured:
    stats: list[im.ImageStats]
    grade: np.ndarray               # per image
    pbcor_stats: dict[int, im.ImageStats]
    num_sources: np.ndarray         # per image: sources measured at SNR >= 5
    # photometry rows (image by image, as the pipeline writes them)
    img: np.ndarray
    src: np.ndarray
    peak_jyb: np.ndarray
    local_rms: np.ndarray
    sep_deg: np.ndarray
    pb: np.ndarray
    flux_jy: np.ndarray
    flux_err_jy: np.ndarray
    norm_jy: np.ndarray
    norm_err_jy: np.ndarray
    snr: np.ndarray
    flags: np.ndarray
    usable: np.ndarray              # row from an image that passed QA
    norm: Normalisation
    var: dict[str, np.ndarray]      # per catalogue source
    measured: np.ndarray            # catalogue sources with any photometry row
    nbytes: int
    # The qa batch's catalogue comparison of each image (None: blank) and pbcor image.
    catalogue: list[dict | None] = field(default_factory=list)
    pbcor_catalogue: dict[int, dict | None] = field(default_factory=dict)


def assemble(plan: Plan, results: list[ImageResult]) -> Measured:
    results = sorted(results, key=lambda r: r.index)
    n, n_src = plan.n, plan.cat.n
    stats = [r.stats for r in results]
    grade = np.array([im.grade(s) for s in stats], dtype=object)
    parts = [(r.index, r.forced) for r in results if r.forced is not None]
    img = np.concatenate([np.full(f.source.size, i) for i, f in parts])
    src = np.concatenate([f.source for _, f in parts])
    peak = np.concatenate([f.peak_jyb for _, f in parts])
    rms = np.concatenate([f.local_rms for _, f in parts])
    sep = np.concatenate([f.sep_deg for _, f in parts])
    pb = np.concatenate([f.pb for _, f in parts])
    flux, ferr, snr = peak / pb, rms / pb, peak / rms
    usable = grade[img] != "poor"
    norm = ensemble_gains(src, img, flux, snr, usable, n_src, n)
    gain, gain_err = norm.gain[img], norm.gain_err[img]
    norm_jy = flux / gain
    norm_err = np.sqrt((ferr / gain) ** 2 + (norm_jy * gain_err / gain) ** 2)
    # The flux the pipeline plots and does statistics on: normalised, else raw.
    best = np.where(np.isfinite(norm_jy), norm_jy, flux)
    best_err = np.where(np.isfinite(norm_jy), norm_err, ferr)
    var = variability(src[usable], best[usable] * 1e3, best_err[usable] * 1e3, n_src)
    flags = np.where(snr < LOW_SNR, FLAG_LOW_SNR, 0) | np.where(usable, 0, FLAG_POOR_IMAGE)
    num_sources = np.bincount(img[snr >= LOW_SNR], minlength=n)
    measured = np.flatnonzero(np.bincount(src, minlength=n_src) > 0)
    return Measured(stats=stats, grade=grade,
                    pbcor_stats={r.index: r.pbcor_stats for r in results if r.pbcor_stats},
                    num_sources=num_sources, img=img, src=src, peak_jyb=peak,
                    local_rms=rms, sep_deg=sep, pb=pb, flux_jy=flux, flux_err_jy=ferr,
                    norm_jy=norm_jy, norm_err_jy=norm_err, snr=snr, flags=flags,
                    usable=usable, norm=norm, var=var, measured=measured,
                    nbytes=sum(r.nbytes for r in results),
                    catalogue=[r.catalogue for r in results],
                    pbcor_catalogue={r.index: r.pbcor_catalogue for r in results
                                     if r.pbcor_stats})

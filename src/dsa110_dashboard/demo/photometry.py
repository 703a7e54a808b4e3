"""Forced photometry from the pixels, ensemble normalisation, variability statistics.

Forced photometry fits the restoring beam, at the catalogue position (exact sub-pixel,
through the image's own WCS), to the pixels of a box around it: the amplitude
A = sum(P I) / sum(P^2) is the peak in Jy/beam as the image shows it (``peak_jyb``).
``flux_jy`` is that peak divided by the primary-beam response at the source's
separation from the pointing centre (the photometry CORRECTS the primary beam; for a
point source the peak in Jy/beam is its flux density in Jy). The error is the local
rms: the MAD of an annulus around the source, robust against neighbours.

Normalisation: the pipeline divides each image's fluxes by the median ratio of an
ensemble of stable, bright reference sources to their own long-term median, removing
per-image flux-scale errors (``normalized_flux_jy``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..science.variability import compute_stats
from astropy.wcs import WCS

from ..scale.model import angular_sep_deg
from .images import Geometry, beam_model, primary_beam, stamp_offsets

MIN_ANNULUS_PIXELS = 20
#: Reference sources: median SNR and epoch count at least these, and a measured
#: modulation index (std/mean of flux_jy) below REF_MAX_V.
REF_MIN_SNR, REF_MIN_EPOCHS, REF_MAX_V = 50.0, 5, 0.06
MIN_REFERENCES = 3


@dataclass
class Forced:
    """Forced photometry of the catalogue sources one image measures."""

    source: np.ndarray     # catalogue index
    peak_jyb: np.ndarray   # fitted peak, Jy/beam, as in the image (PB-attenuated)
    local_rms: np.ndarray  # Jy/beam
    sep_deg: np.ndarray
    pb: np.ndarray

    @property
    def flux_jy(self) -> np.ndarray:
        return self.peak_jyb / self.pb

    @property
    def flux_err_jy(self) -> np.ndarray:
        return self.local_rms / self.pb

    @property
    def snr(self) -> np.ndarray:
        return self.peak_jyb / self.local_rms


def annulus_offsets(geom: Geometry, max_points: int = 600) -> tuple[np.ndarray, np.ndarray]:
    fwhm_pix = geom.stamp_half / 1.5
    r_in = max(4.0, 3.0 * fwhm_pix)
    r_out = r_in + max(6.0, 3.0 * fwhm_pix)
    r = int(np.ceil(r_out))
    oy, ox = np.mgrid[-r:r + 1, -r:r + 1]
    d = np.hypot(ox, oy)
    ring = (d >= r_in) & (d <= r_out)
    ox, oy = ox[ring], oy[ring]
    step = max(1, ox.size // max_points)
    return ox[::step], oy[::step]


def forced_photometry(image: np.ndarray, wcs: WCS, geom: Geometry, ra: np.ndarray,
                      dec: np.ndarray, center_ra: float, center_dec: float,
                      candidates: np.ndarray | None = None) -> Forced:
    """Measure every source (of ``candidates``, default all) whose fitting box lies
    wholly on finite pixels of ``image`` (native float32, row 0 = south)."""
    idx = np.arange(ra.size) if candidates is None else np.asarray(candidates)
    sep = angular_sep_deg(center_ra, center_dec, ra[idx], dec[idx])
    near = sep < geom.cut_radius_pix * geom.cell_deg * 1.05
    idx, sep = idx[near], sep[near]
    x, y = wcs.world_to_pixel_values(ra[idx], dec[idx])
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    n = image.shape[0]
    ox, oy = stamp_offsets(geom)
    xi, yi = np.rint(x).astype(int), np.rint(y).astype(int)
    h = geom.stamp_half
    inside = (xi - h >= 0) & (xi + h < n) & (yi - h >= 0) & (yi + h < n)
    idx, sep, x, y, xi, yi = idx[inside], sep[inside], x[inside], y[inside], xi[inside], yi[inside]
    px = xi[:, None] + ox[None, :]
    py = yi[:, None] + oy[None, :]
    pix = image[py, px].astype(np.float64)
    ok = np.isfinite(pix).all(axis=1)
    model = beam_model(px - x[:, None], py - y[:, None], geom)
    amp = (model * np.where(np.isfinite(pix), pix, 0.0)).sum(axis=1) / (model**2).sum(axis=1)
    rms = local_rms(image, xi, yi, geom)
    ok &= np.isfinite(rms) & (rms > 0)
    return Forced(source=idx[ok], peak_jyb=amp[ok], local_rms=rms[ok], sep_deg=sep[ok],
                  pb=primary_beam(sep[ok]))


def local_rms(image: np.ndarray, xi: np.ndarray, yi: np.ndarray, geom: Geometry) -> np.ndarray:
    ax, ay = annulus_offsets(geom)
    n = image.shape[0]
    px = xi[:, None] + ax[None, :]
    py = yi[:, None] + ay[None, :]
    valid = (px >= 0) & (px < n) & (py >= 0) & (py < n)
    vals = np.full(px.shape, np.nan)
    vals[valid] = image[py[valid], px[valid]]
    enough = np.isfinite(vals).sum(axis=1) >= MIN_ANNULUS_PIXELS
    out = np.full(xi.size, np.nan)
    if enough.any():
        v = vals[enough]
        med = np.nanmedian(v, axis=1)
        out[enough] = 1.4826 * np.nanmedian(np.abs(v - med[:, None]), axis=1)
    return out


# --------------------------------------------------------------- normalisation
@dataclass
class Normalisation:
    gain: np.ndarray        # per image; NaN where too few references
    gain_err: np.ndarray
    n_refs: np.ndarray
    references: np.ndarray  # catalogue indices of the reference ensemble


def ensemble_gains(source: np.ndarray, image: np.ndarray, flux: np.ndarray,
                   snr: np.ndarray, usable: np.ndarray, n_sources: int,
                   n_images: int) -> Normalisation:
    """Per-image flux-scale factors from the reference ensemble.

    ``usable`` marks rows from images that passed QA; references are chosen from those
    rows only, by what was measured (never by what was injected).
    """
    s, f, q = source[usable], flux[usable], snr[usable]
    refs = []
    order = np.argsort(s, kind="stable")
    s, f, q = s[order], f[order], q[order]
    bounds = np.flatnonzero(np.diff(s)) + 1
    for grp_s, grp_f, grp_q in zip(np.split(s, bounds), np.split(f, bounds),
                                   np.split(q, bounds), strict=True):
        if grp_s.size < REF_MIN_EPOCHS or np.median(grp_q) < REF_MIN_SNR:
            continue
        if np.std(grp_f, ddof=1) / np.mean(grp_f) < REF_MAX_V:
            refs.append((int(grp_s[0]), float(np.median(grp_f))))
    ref_ids = np.array([r for r, _ in refs], dtype=int)
    baseline = np.full(n_sources, np.nan)
    baseline[ref_ids] = [b for _, b in refs]
    gain = np.full(n_images, np.nan)
    gain_err = np.full(n_images, np.nan)
    n_refs = np.zeros(n_images, dtype=int)
    is_ref = np.isfinite(baseline[source])
    for i in np.unique(image[is_ref]):
        ratios = flux[is_ref & (image == i)] / baseline[source[is_ref & (image == i)]]
        n_refs[i] = ratios.size
        if ratios.size >= MIN_REFERENCES:
            gain[i] = np.median(ratios)
            mad = 1.4826 * np.median(np.abs(ratios - gain[i]))
            gain_err[i] = 1.2533 * mad / np.sqrt(ratios.size)
    return Normalisation(gain, gain_err, n_refs, ref_ids)


# ----------------------------------------------------------------- variability
def variability(source: np.ndarray, flux_mjy: np.ndarray, err_mjy: np.ndarray,
                n_sources: int) -> dict[str, np.ndarray]:
    """The pipeline's variability_stats columns per source code 0..n_sources-1, from the
    science module (one implementation of the formulas); NaN (NULL) below two epochs."""
    stats = compute_stats(source, flux_mjy, err_mjy).reindex(range(n_sources))
    out = {column: stats[theirs].to_numpy(dtype=float)
           for column, theirs in (("mean_flux_mjy", "mean_flux"), ("std_flux_mjy", "std_flux"),
                                  ("min_flux_mjy", "min_flux"), ("max_flux_mjy", "max_flux"),
                                  ("chi2_nu", "chi2_nu"), ("sigma_deviation", "sigma_deviation"),
                                  ("eta_metric", "eta"))}
    out["n_obs"] = stats["n_epochs"].fillna(0).to_numpy(dtype=np.int64)
    return out

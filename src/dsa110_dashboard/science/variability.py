"""Variability statistics of lightcurves, vectorised over every source at once.

Formulas (science.md; f = flux, s = its error, w = 1/s^2):

- ``n_epochs``: epochs with a finite flux. ``n_weighted_epochs``: of those, the ones with
  a finite, positive error.
- ``mean_flux``: unweighted mean of f. ``std_flux``: the **sample** standard deviation
  (ddof=1). ``min_flux``/``max_flux``.
- ``weighted_mean_flux`` = sum(w f) / sum(w).
- ``eta`` = N/(N-1) * (mean(w f^2) - mean(w f)^2 / mean(w)) (VAST). Algebraically this is
  N/(N-1) * mean(w (f - mean_w)^2), which is how it is computed: the two-pass form cannot
  go slightly negative by cancellation for a constant lightcurve.
- ``chi2_nu`` = sum(((f - mean_w)/s)^2) / (N-1), about the weighted mean. With the same N
  this equals eta exactly; both are stored because the pipeline's table has both.
- ``v`` = std_flux / mean_flux (coefficient of variation) with the ddof=1 std and the
  **unweighted** mean, as the pipeline's mean_flux_mjy is unweighted. V keeps the sign of
  the mean: a source whose mean flux is negative (noise around zero) gets a negative V,
  which a log-scaled eta-V plot leaves out rather than showing as variable. V is NaN when
  the mean is exactly 0; V is 0 for a constant lightcurve.
- ``sigma_deviation`` = max(|max - mean|, |min - mean|) / std; NaN when std is 0 (a
  constant lightcurve deviates by 0/0, undefined).
- ``vs_max``, ``m_at_vs_max``, ``is_two_epoch_variable``: see ``twoepoch``.

Choices for imperfect data:

- An epoch with a NaN flux is no epoch at all.
- An epoch with a finite flux but a NaN error counts for the unweighted statistics
  (n_epochs, mean, std, min, max, V, sigma deviation) and not for the weighted ones
  (weighted mean, eta, chi2_nu, two-epoch), which use N = n_weighted_epochs.
- An error of 0 (or negative) would give an infinite weight that swamps every other
  epoch: such epochs are left out of the weighted statistics in the same way.
- Fewer than 2 usable epochs: every statistic is NaN (NULL in the database), never 0,
  except the counts. The weighted statistics need 2 weighted epochs on their own.

Vectorisation: sources are integer codes; sums are ``np.bincount`` over the codes and
extremes ``np.fmin/fmax.reduceat`` over a stable sort by code, so one call handles any
number of sources with no Python loop per source. ``lightcurve_stats`` (the source page,
live, when a user excludes epochs) runs the very same code on one source.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .twoepoch import DEFAULT_K, max_two_epoch, two_epoch_variable

#: Per-row flux columns in order of preference (pipeline-db.md), with their errors.
FLUX_COLUMNS = ("normalized_flux_jy", "flux_jy", "peak_jyb")
FLUX_ERROR_COLUMNS = ("normalized_flux_err_jy", "flux_err_jy", "peak_err_jyb")
#: ``flux_column`` of a source whose epochs come from more than one column.
MIXED = "mixed"

STAT_COLUMNS = ("n_epochs", "n_weighted_epochs", "mean_flux", "weighted_mean_flux",
                "std_flux", "min_flux", "max_flux", "eta", "v", "chi2_nu",
                "sigma_deviation", "vs_max", "m_at_vs_max", "is_two_epoch_variable")


def select_best_flux(normalized, normalized_err, flux, flux_err, peak, peak_err
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: the normalized flux when not NULL, else flux_jy, else peak_jyb, each
    with its **own** error (a NaN error stays NaN: it is not borrowed from another column).

    Arguments are array-likes (None and NaN both mean NULL). Returns (flux, err, column)
    where ``column`` indexes FLUX_COLUMNS, -1 when all three fluxes are NULL.
    """
    values = [np.asarray(x, dtype=float) for x in (normalized, flux, peak)]
    errors = [np.asarray(x, dtype=float) for x in (normalized_err, flux_err, peak_err)]
    out_f = np.full(values[0].shape, np.nan)
    out_e = np.full(values[0].shape, np.nan)
    column = np.full(values[0].shape, -1, dtype=np.int8)
    # Lowest preference first, so a preferred column overwrites.
    for i in (2, 1, 0):
        present = ~np.isnan(values[i])
        out_f = np.where(present, values[i], out_f)
        out_e = np.where(present, errors[i], out_e)
        column = np.where(present, np.int8(i), column)
    return out_f, out_e, column


def _stats_arrays(codes: np.ndarray, n_groups: int, flux: np.ndarray, err: np.ndarray,
                  column: np.ndarray | None, k: int) -> dict[str, np.ndarray]:
    codes = np.asarray(codes, dtype=np.int64)
    f = np.asarray(flux, dtype=float)
    e = np.asarray(err, dtype=float)
    if not (codes.shape == f.shape == e.shape):
        raise ValueError("codes, flux and err must have the same length")
    valid = np.isfinite(f)
    with np.errstate(invalid="ignore"):
        weighted = valid & np.isfinite(e) & (e > 0)

    def total(x: np.ndarray) -> np.ndarray:
        return np.bincount(codes, weights=x, minlength=n_groups)[:n_groups]

    n = np.bincount(codes[valid], minlength=n_groups)[:n_groups]
    nw = np.bincount(codes[weighted], minlength=n_groups)[:n_groups]
    ok, okw = n >= 2, nw >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        # Unweighted: every epoch with a finite flux.
        fz = np.where(valid, f, 0.0)
        mean = np.where(ok, total(fz) / n, np.nan)
        dev = np.where(valid & ok[codes], f - mean[codes], 0.0)
        std = np.where(ok, np.sqrt(total(dev * dev) / (n - 1)), np.nan)

        fmin = np.full(n_groups, np.nan)
        fmax = np.full(n_groups, np.nan)
        if codes.size:
            order = np.argsort(codes, kind="stable")
            sorted_codes = codes[order]
            starts = np.flatnonzero(np.r_[True, sorted_codes[1:] != sorted_codes[:-1]])
            fs = np.where(valid, f, np.nan)[order]
            # fmin/fmax ignore NaN; a group of NaN only stays NaN.
            fmin[sorted_codes[starts]] = np.fmin.reduceat(fs, starts)
            fmax[sorted_codes[starts]] = np.fmax.reduceat(fs, starts)
        fmin = np.where(ok, fmin, np.nan)
        fmax = np.where(ok, fmax, np.nan)
        v = np.where(ok & (mean != 0), std / mean, np.nan)
        sigma_dev = np.where(ok & (std > 0),
                             np.maximum(np.abs(fmax - mean), np.abs(fmin - mean)) / std,
                             np.nan)

        # Weighted: finite flux and finite positive error.
        w = np.where(weighted, 1.0 / np.where(weighted, e, 1.0) ** 2, 0.0)
        fw = np.where(weighted, f, 0.0)
        sum_w = total(w)
        mean_w = np.where(okw, total(w * fw) / sum_w, np.nan)
        r = np.where(weighted & okw[codes], f - mean_w[codes], 0.0)
        chi = total(w * r * r)
        chi2_nu = np.where(okw, chi / (nw - 1), np.nan)
        # N/(N-1) * mean(w (f - mean_w)^2) == N/(N-1) * (mean(wf^2) - mean(wf)^2/mean(w))
        eta = np.where(okw, nw / (nw - 1) * (chi / nw), np.nan)

    vs, m = max_two_epoch(codes[weighted], f[weighted], e[weighted], n_groups, k=k)
    out = {
        "n_epochs": n.astype(np.int64), "n_weighted_epochs": nw.astype(np.int64),
        "mean_flux": mean, "weighted_mean_flux": mean_w, "std_flux": std,
        "min_flux": fmin, "max_flux": fmax, "eta": eta, "v": v, "chi2_nu": chi2_nu,
        "sigma_deviation": sigma_dev, "vs_max": vs, "m_at_vs_max": m,
        "is_two_epoch_variable": two_epoch_variable(codes[weighted], f[weighted],
                                                    e[weighted], n_groups),
    }
    if column is not None:
        out["flux_column"] = _flux_column(codes, n_groups, np.asarray(column), valid)
    return out


def _flux_column(codes: np.ndarray, n_groups: int, column: np.ndarray,
                 valid: np.ndarray) -> np.ndarray:
    """The FLUX_COLUMNS name every counted epoch of a source used, MIXED when they
    differ, None when the source has no counted epoch."""
    lo = np.full(n_groups, 127, dtype=np.int64)
    hi = np.full(n_groups, -1, dtype=np.int64)
    c = column.astype(np.int64)
    np.minimum.at(lo, codes[valid], c[valid])
    np.maximum.at(hi, codes[valid], c[valid])
    names = np.array([*FLUX_COLUMNS, MIXED, None], dtype=object)
    index = np.where(hi < 0, len(FLUX_COLUMNS) + 1, np.where(lo == hi, lo, len(FLUX_COLUMNS)))
    return names[index]


def compute_stats(sources, flux, err, *, flux_column=None, k: int = DEFAULT_K
                  ) -> pd.DataFrame:
    """Statistics of every source, one row each, indexed by the source key.

    ``sources`` labels each epoch (source ids or integer codes, any order); ``flux`` and
    ``err`` are in any one unit, and the flux statistics come out in that unit.
    ``flux_column`` (optional, per epoch, as from ``select_best_flux``) adds a
    ``flux_column`` column (missing where a source has no counted epoch). Columns:
    STAT_COLUMNS (see the module for the definitions); counts are int64,
    ``is_two_epoch_variable`` is pandas' nullable boolean (<NA> when undefined), the
    rest float with NaN when undefined.
    """
    codes, keys = pd.factorize(np.asarray(sources), sort=True)
    data = _stats_arrays(codes, len(keys), flux, err, flux_column, k)
    frame = pd.DataFrame(data, index=pd.Index(keys, name="source"))
    # True/False, <NA> where Vs is undefined.
    flag = data["is_two_epoch_variable"]
    frame["is_two_epoch_variable"] = pd.array(
        np.where(np.isnan(flag), None, flag == 1.0), dtype="boolean")
    return frame


def lightcurve_stats(flux, err, *, flux_column=None, k: int = DEFAULT_K) -> dict[str, Any]:
    """The same statistics for one lightcurve (e.g. after a user excluded epochs).

    Counts are ints, statistics floats (NaN when undefined), ``is_two_epoch_variable``
    a bool or None.
    """
    f = np.asarray(flux, dtype=float).ravel()
    data = _stats_arrays(np.zeros(f.size, dtype=np.int64), 1, f,
                         np.asarray(err, dtype=float).ravel(),
                         None if flux_column is None else np.asarray(flux_column), k)
    out: dict[str, Any] = {}
    for name, values in data.items():
        value = values[0]
        if name in ("n_epochs", "n_weighted_epochs"):
            out[name] = int(value)
        elif name == "is_two_epoch_variable":
            out[name] = None if np.isnan(value) else bool(value)
        elif name == "flux_column":
            out[name] = value
        else:
            out[name] = float(value)
    return out

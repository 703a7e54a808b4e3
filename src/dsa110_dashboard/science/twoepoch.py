"""Two-epoch variability (Mooley et al. 2016): the flag, and the pair maximising |Vs|.

For epochs a, b of one source: ``Vs = (f_a - f_b) / sqrt(s_a^2 + s_b^2)`` and
``m = 2 (f_a - f_b) / (f_a + f_b)``; a source is a two-epoch variable when some pair
has ``|Vs| >= 4.3`` and ``|m| >= 0.26`` (science.md; ``two_epoch_variable``). We also
report, per source, the pair with the largest ``|Vs|`` and the ``m`` of that same pair
(``max_two_epoch``): that pair need not be the one that makes a source variable.

Why not all pairs: a year gives ~1000 epochs per source, 5e5 pairs each, 1e10 for 20,000
sources - too many. Why not just (brightest, faintest): with unequal errors the largest
``|Vs|`` can come from a pair with a smaller flux difference but much smaller errors.

What we do is exact (up to floating-point rounding) and vectorised over sources:

1. Candidates: the ``k`` brightest and ``k`` faintest epochs of every source (all of
   them when the source has at most ``2k``). Every candidate pair is evaluated in one
   padded (sources x 2k x 2k) array. With equal errors the best pair is (max, min), which
   is always a candidate pair, so this step alone is exact then. Its best value is V*.
2. Certificate: for any pair (a, b) of a source, ``|f_a - f_b| <= max(f_max - f_a,
   f_a - f_min)`` and ``s_a^2 + s_b^2 >= s_a^2 + s_min^2``, so
   ``|Vs(a, b)| <= bound_a = max(f_max - f_a, f_a - f_min) / sqrt(s_a^2 + s_min^2)``.
   A pair that beats V* needs both of its epochs with ``bound > V*`` ("survivors").
   A source whose survivors are all candidates is therefore already exact.
3. The few other sources: every pair of their survivors is evaluated (again padded and
   vectorised over sources, chunked to bound memory). Survivors are usually a handful
   of epochs; in the worst case (wildly varying errors) all of a source's epochs, which
   is still only N^2/2 pairs for that one source. Epochs repeating another's flux and
   error are evaluated once.

The pair is oriented so that ``a`` is the brighter epoch: ``vs_max >= 0`` and ``m`` has
the sign of ``f_a + f_b`` (positive for positive fluxes).
"""

from __future__ import annotations

import numpy as np

#: Mooley et al. (2016) thresholds (science.md).
TWO_EPOCH_VS_THRESHOLD = 4.3
TWO_EPOCH_M_THRESHOLD = 0.26

#: Brightest and faintest epochs per source evaluated in step 1.
DEFAULT_K = 16
#: Largest padded pair array (elements) built at once.
_PAIR_BUDGET = 1_000_000


def _best_in_padded(flux: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    """Best pair of each row of padded (G, P) arrays (NaN = no epoch).

    Returns (vs, f_a, f_b) with vs = max over pairs of (f_a - f_b)/sqrt(var_a + var_b);
    since that difference is antisymmetric, its maximum is the maximum of |Vs| with
    a the brighter epoch. NaN where a row has fewer than two epochs.
    """
    g, p = flux.shape
    vs = np.full(g, np.nan)
    fa = np.full(g, np.nan)
    fb = np.full(g, np.nan)
    if g == 0 or p < 2:
        return vs, fa, fb
    step = max(1, _PAIR_BUDGET // (p * p))
    for lo in range(0, g, step):
        hi = min(g, lo + step)
        f, v = flux[lo:hi], var[lo:hi]
        with np.errstate(invalid="ignore"):
            pair = (f[:, :, None] - f[:, None, :]) / np.sqrt(v[:, :, None] + v[:, None, :])
        pair = np.where(np.isnan(pair), -np.inf, pair).reshape(hi - lo, p * p)
        best = np.argmax(pair, axis=1)
        value = pair[np.arange(hi - lo), best]
        ia, ib = np.divmod(best, p)
        rows = np.arange(hi - lo)
        # A row with one epoch has only its diagonal (0) or nothing (-inf): no pair.
        has_pair = (np.sum(~np.isnan(f), axis=1) >= 2)
        vs[lo:hi] = np.where(has_pair, value, np.nan)
        fa[lo:hi] = np.where(has_pair, f[rows, ia], np.nan)
        fb[lo:hi] = np.where(has_pair, f[rows, ib], np.nan)
    return vs, fa, fb


def _pad(group: np.ndarray, slot: np.ndarray, n_rows: int, width: int,
         *values: np.ndarray) -> list[np.ndarray]:
    out = []
    for v in values:
        m = np.full((n_rows, width), np.nan)
        m[group, slot] = v
        out.append(m)
    return out


def _survivor_chunks(rows: np.ndarray, g: np.ndarray, flux: np.ndarray, var: np.ndarray,
                     n_groups: int):
    """The epochs ``rows`` (indices into ``g``, ``flux``, ``var``) of every group with
    at least two of them, as padded (groups, flux, var) arrays, a chunk of groups of
    similar size at a time within ``_PAIR_BUDGET`` pairs.

    Epochs with equal flux and error make equal pairs: one of each is kept. Quantised
    lightcurves (a dozen values, errors in proportion) otherwise leave thousands."""
    if rows.size == 0:
        return
    _, keep = np.unique(np.column_stack([g[rows], flux[rows], var[rows]]), axis=0,
                        return_index=True)
    rows = rows[np.sort(keep)]
    rows = rows[np.argsort(g[rows], kind="stable")]
    rg = g[rows]
    sizes = np.bincount(rg, minlength=n_groups)
    groups = np.flatnonzero(sizes >= 2)
    groups = groups[np.argsort(sizes[groups], kind="stable")]
    rank = np.full(n_groups, -1, dtype=np.int64)
    rank[groups] = np.arange(groups.size)
    slot = np.arange(rg.size) - (np.cumsum(sizes) - sizes)[rg]
    lo = 0
    while lo < groups.size:
        hi = lo + 1
        while hi < groups.size and (hi - lo + 1) * sizes[groups[hi]] ** 2 <= _PAIR_BUDGET:
            hi += 1
        sel = (rank[rg] >= lo) & (rank[rg] < hi)
        pf, pv = _pad(rank[rg[sel]] - lo, slot[sel], hi - lo, int(sizes[groups[hi - 1]]),
                      flux[rows][sel], var[rows][sel])
        yield groups[lo:hi], pf, pv
        lo = hi


def max_two_epoch(codes: np.ndarray, flux: np.ndarray, err: np.ndarray, n_groups: int,
                  k: int = DEFAULT_K) -> tuple[np.ndarray, np.ndarray]:
    """(vs_max, m_at_vs_max) per group 0..n_groups-1.

    ``codes``, ``flux`` and ``err`` must already hold only usable epochs (finite flux,
    finite positive error). Groups with fewer than two epochs get NaN.
    """
    codes = np.asarray(codes, dtype=np.int64)
    flux = np.asarray(flux, dtype=float)
    err = np.asarray(err, dtype=float)
    vs = np.full(n_groups, np.nan)
    m = np.full(n_groups, np.nan)
    if codes.size == 0:
        return vs, m
    order = np.lexsort((flux, codes))
    g, f, var = codes[order], flux[order], err[order] ** 2
    counts = np.bincount(g, minlength=n_groups)
    starts = np.cumsum(counts) - counts
    pos = np.arange(g.size) - starts[g]
    n = counts[g]

    # 1. The k faintest and k brightest epochs of each source.
    low, high = pos < k, pos >= n - k
    candidate = (n <= 2 * k) | low | high
    slot = np.where(n <= 2 * k, pos, np.where(low, pos, k + pos - (n - k)))
    width = int(min(2 * k, counts.max()))
    cf, cv = _pad(g[candidate], slot[candidate], n_groups, width, f[candidate],
                  var[candidate])
    vs, fa, fb = _best_in_padded(cf, cv)

    # 2. Which sources may hold a better pair outside the candidates.
    nonempty = counts > 0
    first = starts[nonempty]
    fmin = np.full(n_groups, np.nan)
    fmax = np.full(n_groups, np.nan)
    vmin = np.full(n_groups, np.nan)
    fmin[nonempty] = f[first]
    fmax[nonempty] = f[first + counts[nonempty] - 1]
    vmin[nonempty] = np.minimum.reduceat(var, first)
    with np.errstate(invalid="ignore", divide="ignore"):
        bound = np.maximum(fmax[g] - f, f - fmin[g]) / np.sqrt(var + vmin[g])
    survivor = bound > vs[g]  # False where vs is NaN (fewer than two epochs)
    recheck = np.zeros(n_groups, dtype=bool)
    recheck[g[survivor & ~candidate]] = True

    # 3. Every pair of survivors of those sources.
    rows = np.flatnonzero(survivor & recheck[g])
    for target, pf, pv in _survivor_chunks(rows, g, f, var, n_groups):
        v2, a2, b2 = _best_in_padded(pf, pv)
        better = v2 > vs[target]
        vs[target[better]] = v2[better]
        fa[target[better]] = a2[better]
        fb[target[better]] = b2[better]

    with np.errstate(invalid="ignore", divide="ignore"):
        total = fa + fb
        m = np.where(total != 0, 2.0 * (fa - fb) / total, np.nan)
    return vs, m


def _any_pair_passes(flux: np.ndarray, var: np.ndarray) -> np.ndarray:
    """Per row of padded (G, P) arrays (NaN = no epoch): whether some pair passes both
    two-epoch thresholds. Evaluated in blocks of ``a`` epochs to bound memory."""
    g, p = flux.shape
    hit = np.zeros(g, dtype=bool)
    block = max(1, _PAIR_BUDGET // max(1, g * p))
    for lo in range(0, p, block):
        fa, va = flux[:, lo:lo + block, None], var[:, lo:lo + block, None]
        diff = fa - flux[:, None, :]
        total = fa + flux[:, None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            vs = diff / np.sqrt(va + var[:, None, :])
            m = 2.0 * diff / total
            ok = ((np.abs(vs) >= TWO_EPOCH_VS_THRESHOLD)
                  & (np.abs(m) >= TWO_EPOCH_M_THRESHOLD) & (total != 0))
        hit |= ok.reshape(g, -1).any(axis=1)
    return hit


def two_epoch_variable(codes: np.ndarray, flux: np.ndarray, err: np.ndarray,
                       n_groups: int) -> np.ndarray:
    """1.0 where some pair of a source's epochs has ``|Vs| >= 4.3`` and ``|m| >= 0.26``
    (Mooley et al. 2016: any pair, not only the one with the largest ``|Vs|``), 0.0
    where none has, NaN with fewer than two epochs. Inputs as for ``max_two_epoch``.

    Exact, and cheap for the many stable sources: a pair needs its brighter epoch ``a``
    with ``(f_a - f_min) / sqrt(s_a^2 + s_min^2) >= 4.3`` and, when all the source's
    fluxes are positive, ``f_min <= r f_a`` (``m >= 0.26`` is ``f_b <= r f_a`` with
    ``r = (2 - 0.26) / (2 + 0.26)``); its fainter epoch the mirror conditions against
    ``f_max``. Only epochs meeting one of them are paired, every pair of them."""
    codes = np.asarray(codes, dtype=np.int64)
    flux = np.asarray(flux, dtype=float)
    var = np.asarray(err, dtype=float) ** 2
    counts = np.bincount(codes, minlength=n_groups)
    out = np.where(counts >= 2, 0.0, np.nan)
    if codes.size == 0:
        return out
    fmin = np.full(n_groups, np.inf)
    fmax = np.full(n_groups, -np.inf)
    vmin = np.full(n_groups, np.inf)
    np.minimum.at(fmin, codes, flux)
    np.maximum.at(fmax, codes, flux)
    np.minimum.at(vmin, codes, var)
    positive = fmin > 0
    r = (2.0 - TWO_EPOCH_M_THRESHOLD) / (2.0 + TWO_EPOCH_M_THRESHOLD)
    vs_cut = TWO_EPOCH_VS_THRESHOLD * (1 - 1e-9)  # a superset: the pairs decide
    r_cut = r * (1 + 1e-9)
    g = codes
    with np.errstate(invalid="ignore", divide="ignore"):
        scale = np.sqrt(var + vmin[g])
        as_brighter = (((flux - fmin[g]) / scale >= vs_cut)
                       & (~positive[g] | (fmin[g] <= r_cut * flux)))
        as_fainter = (((fmax[g] - flux) / scale >= vs_cut)
                      & (~positive[g] | (flux <= r_cut * fmax[g])))
    rows = np.flatnonzero((as_brighter | as_fainter) & (counts[g] >= 2))
    for target, pf, pv in _survivor_chunks(rows, g, flux, var, n_groups):
        out[target[_any_pair_passes(pf, pv)]] = 1.0
    return out

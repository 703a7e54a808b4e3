"""Image QA measured from the pixels: the per-image work of the ``qa`` batch (decision 0058).

* Noise: the robust rms of the background. Pixels are sampled on a grid (about
  ``SAMPLE_PIXELS`` of them, whatever the image size); the median absolute deviation is
  clipped iteratively at ``CLIP_SIGMA`` so sources drop out, and the MAD of what is left
  is scaled by the factor that makes it the standard deviation of a Gaussian cut at that
  many sigma (1.4826 would be right only for an uncut one and reads ~2% low at the fixed
  point of the clipping). Then the sources found (islands from ``SEARCH_SIGMA``) are
  excluded from the sample out to where their beam falls below half the rms, wings too
  faint to clip, and the clipped MAD is measured again: the rms reported.
* Peak: the largest finite pixel; dynamic range: peak / rms; the grade is
  ``science.qa.grade_image`` of them (the one QA module).
* Beam: BMAJ/BMIN/BPA from the header (``fits.header.beam_axis_arcsec``'s unit rule).
* Sources: islands of pixels above background + ``DETECT_SIGMA`` x rms (8-connected),
  each counted once; islands whose peaks lie within one beam FWHM of a brighter one's are
  one source (noise breaks the faint rim of a bright source into fragments).
* Flux scale and astrometry against the catalogue: for each catalogue source of the image
  (the positions and NVSS fluxes the photometry of the image was forced at) with NVSS
  flux within ``NVSS_RANGE_JY``, the brightest pixel within ``MATCH_RADIUS_ARCSEC`` of the
  catalogue position, if above the detection threshold and a local maximum (not the
  slope of a source further away), refined to sub-pixel by the Gaussian through it and
  its eight neighbours (``refine_peak``): the median of refined peak / NVSS flux and the
  median offset between the refined and the catalogue positions (science.md's cuts).
  The brightest pixel alone reads low by up to ~25% where the beam spans few pixels and
  the source is off a pixel centre (decision 0072).

Memory stays bounded for 6300 x 6300 images: the file is a memory map; rows are read in
strips of ``STRIP_ROWS`` (one float32 strip at a time, never the whole plane) and the
catalogue in small boxes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..fits.header import beam_axis_arcsec
from ..fits.plane import ImagePlane
from ..fits.reader import open_image
from ..science.qa import grade_image

#: Pixels sampled for the background: a grid over the image, enough for a stable median.
SAMPLE_PIXELS = 500_000
CLIP_SIGMA = 3.0
CLIP_MAX_ITERATIONS = 20
DETECT_SIGMA = 5.0
#: Islands are searched from this many sigma of the first estimate of the background.
SEARCH_SIGMA = 4.0
#: The beam's FWHM in pixels when the header gives no beam.
DEFAULT_BEAM_PIX = 3.0
STRIP_ROWS = 256
#: Past this many runs of pixels above the threshold the image is no field of point
#: sources (a stripe, a blank plane of constant values): the count is left unknown.
MAX_RUNS = 400_000
MATCH_RADIUS_ARCSEC = 10.0
NVSS_RANGE_JY = (0.01, 10.0)


@dataclass(frozen=True)
class Background:
    median: float
    rms: float
    n_pixels: int


def _gaussian_mad(k: float) -> float:
    """The MAD of a unit Gaussian cut at +-k sigma: m with P(|Z|<m) = P(|Z|<k) / 2."""
    target = 0.5 * math.erf(k / math.sqrt(2.0))
    lo, hi = 0.0, k
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        if math.erf(mid / math.sqrt(2.0)) < target:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


_MAD_TO_SIGMA_CLIPPED = 1.0 / _gaussian_mad(CLIP_SIGMA)
_MAD_TO_SIGMA = 1.482602218505602  # 1 / the MAD of an uncut unit Gaussian


def clipped_background(values: np.ndarray, k: float = CLIP_SIGMA) -> Background | None:
    """Median and rms of ``values`` by the MAD with iterative k-sigma clipping; None when
    nothing is left (no finite, non-zero pixel: masked regions are often written as 0)."""
    data = np.asarray(values, dtype=np.float64).ravel()
    data = data[np.isfinite(data) & (data != 0.0)]
    if data.size < 10:
        return None
    scale = _MAD_TO_SIGMA_CLIPPED if k == CLIP_SIGMA else 1.0 / _gaussian_mad(k)
    median = float(np.median(data))
    rms = _MAD_TO_SIGMA * float(np.median(np.abs(data - median)))
    kept = data
    for _ in range(CLIP_MAX_ITERATIONS):
        if rms <= 0:
            break
        kept = data[np.abs(data - median) <= k * rms]
        if kept.size < 10:
            break
        new_median = float(np.median(kept))
        new_rms = scale * float(np.median(np.abs(kept - new_median)))
        converged = abs(new_rms - rms) <= 1e-3 * rms
        median, rms = new_median, new_rms
        if converged:
            break
    if not rms > 0:
        return None
    return Background(median, rms, int(kept.size))


def background_sample(plane: ImagePlane) -> tuple[np.ndarray, int]:
    """(pixels on a grid of step ``step``, step): about ``SAMPLE_PIXELS`` of them."""
    ny, nx = plane.shape
    step = max(1, int(math.sqrt(ny * nx / SAMPLE_PIXELS)))
    return plane.region(slice(None, None, step), slice(None, None, step)), step


def without_sources(sample: np.ndarray, step: int, peaks: Sequence[tuple[float, int, int]],
                    background: Background, beam_fwhm_pix: float) -> np.ndarray:
    """The sampled pixels farther from each source than where its beam falls below half
    the rms (so even the wings too faint to clip are left out)."""
    keep = np.ones(sample.shape, dtype=bool)
    sigma = beam_fwhm_pix / 2.3548
    floor = 0.5 * background.rms
    for value, x, y in peaks:
        height = value - background.median
        if height <= floor:
            continue
        r = sigma * math.sqrt(2.0 * math.log(height / floor)) + 1.0
        j0, j1 = int(math.ceil((y - r) / step)), int(math.floor((y + r) / step)) + 1
        i0, i1 = int(math.ceil((x - r) / step)), int(math.floor((x + r) / step)) + 1
        keep[max(0, j0):max(0, j1), max(0, i0):max(0, i1)] = False
    return sample[keep]


# ------------------------------------------------------------------ islands
class _Islands:
    """8-connected islands of above-threshold pixels, built one row of runs at a time."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.peak: list[float] = []
        self.peak_xy: list[tuple[int, int]] = []
        self.prev: list[tuple[int, int, int]] = []  # (start, end, run id) of the last row
        self.prev_row = -2
        self.runs = 0

    def _find(self, i: int) -> int:
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def _union(self, a: int, b: int) -> None:
        ra, rb = self._find(a), self._find(b)
        if ra == rb:
            return
        if self.peak[rb] > self.peak[ra]:
            ra, rb = rb, ra
        self.parent[rb] = ra

    def add_row(self, y: int, starts: np.ndarray, ends: np.ndarray, values: np.ndarray) -> None:
        prev = self.prev if self.prev_row == y - 1 else []
        current = []
        j = 0
        for s, e in zip(starts.tolist(), ends.tolist()):
            run = len(self.parent)
            segment = values[s:e]
            k = int(np.argmax(segment))
            self.parent.append(run)
            self.peak.append(float(segment[k]))
            self.peak_xy.append((s + k, y))
            # Previous runs [ps, pe) touching [s, e) with diagonals: ps <= e and s <= pe.
            while j < len(prev) and prev[j][1] < s:
                j += 1
            m = j
            while m < len(prev) and prev[m][0] <= e:
                self._union(run, prev[m][2])
                m += 1
            current.append((s, e, run))
        self.runs += len(current)
        self.prev, self.prev_row = current, y

    def peaks(self) -> list[tuple[float, int, int]]:
        """(peak, x, y) of each island, brightest first."""
        best: dict[int, int] = {}
        for run in range(len(self.parent)):
            root = self._find(run)
            if root not in best or self.peak[run] > self.peak[best[root]]:
                best[root] = run
        out = [(self.peak[r], *self.peak_xy[r]) for r in best.values()]
        out.sort(key=lambda p: -p[0])
        return out


def merge_within(peaks: Sequence[tuple[float, int, int]], radius: float
                 ) -> list[tuple[float, int, int]]:
    """The peaks (brightest first) with no brighter peak within ``radius`` pixels."""
    if radius <= 0:
        return list(peaks)
    cell = radius
    grid: dict[tuple[int, int], list[tuple[int, int]]] = {}
    kept = []
    r2 = radius * radius
    for value, x, y in peaks:
        cx, cy = int(x // cell), int(y // cell)
        near = any((x - kx) ** 2 + (y - ky) ** 2 <= r2
                   for dx in (-1, 0, 1) for dy in (-1, 0, 1)
                   for kx, ky in grid.get((cx + dx, cy + dy), ()))
        if not near:
            kept.append((value, x, y))
            grid.setdefault((cx, cy), []).append((x, y))
    return kept


def _cell_arcsec(plane: ImagePlane) -> float | None:
    """The pixel size along Dec in arcsec, from the celestial WCS."""
    if not plane.has_celestial:
        return None
    try:
        scales = plane.wcs.proj_plane_pixel_scales()
        value = float(abs(scales[1].to_value("deg") if hasattr(scales[1], "to_value")
                          else scales[1])) * 3600.0
    except (ValueError, AttributeError, IndexError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def _beam_fwhm_pix(plane: ImagePlane, beam_major: float | None,
                   beam_minor: float | None) -> float | None:
    cell = _cell_arcsec(plane)
    if cell is None or not beam_major:
        return None
    return math.sqrt(beam_major * (beam_minor or beam_major)) / cell


def scan_islands(plane: ImagePlane, threshold: float
                 ) -> tuple[float | None, list[tuple[float, int, int]] | None]:
    """(peak, the (peak, x, y) of each island above ``threshold``, brightest first) in
    one pass over row strips; None for the islands past ``MAX_RUNS``."""
    ny, nx = plane.shape
    islands = _Islands()
    peak = -math.inf
    counting = True
    for y0 in range(0, ny, STRIP_ROWS):
        block = plane.rows(y0, min(ny, y0 + STRIP_ROWS))
        with np.errstate(invalid="ignore"):
            block_peak = float(np.fmax.reduce(block, axis=None))  # NaN only if all are
            if block_peak == block_peak:
                peak = max(peak, block_peak)
            if not counting:
                continue
            mask = block > threshold  # NaN compares False
        # Runs of consecutive above-threshold pixels, from the flat indices of the few
        # pixels above it (a run ends at a gap or at the end of a row).
        idx = np.flatnonzero(mask)
        if idx.size == 0:
            islands.prev = []
            continue
        breaks = np.ones(idx.size, dtype=bool)
        breaks[1:] = (np.diff(idx) != 1) | (idx[1:] % nx == 0)
        first = np.flatnonzero(breaks)
        if islands.runs + first.size > MAX_RUNS:
            counting = False
            continue
        run_start = idx[first]
        run_end = idx[np.r_[first[1:], idx.size] - 1] + 1
        rows, starts = np.divmod(run_start, nx)
        ends = run_end - rows * nx
        bounds = np.searchsorted(rows, np.arange(mask.shape[0] + 1))
        for r in np.flatnonzero(bounds[1:] > bounds[:-1]).tolist():
            a, b = bounds[r], bounds[r + 1]
            islands.add_row(y0 + r, starts[a:b], ends[a:b], block[r])
    if not math.isfinite(peak):
        return None, None
    return peak, islands.peaks() if counting else None


# ----------------------------------------------------------------- catalogue
@dataclass(frozen=True)
class CatalogueSource:
    ra_deg: float
    dec_deg: float
    nvss_flux_jy: float


def _parabola(m1: float, c: float, p1: float) -> float:
    """Offset of the vertex of the parabola through (-1, m1), (0, c), (1, p1)."""
    denom = m1 - 2.0 * c + p1
    if not (math.isfinite(denom) and denom < 0):
        return 0.0
    return max(-0.5, min(0.5, 0.5 * (m1 - p1) / denom))


_DY, _DX = (a.ravel().astype(np.float64) for a in np.mgrid[-1:2, -1:2])
#: The 2-D quadratic's terms at the 3 x 3 offsets: 1, x, y, x^2, xy, y^2.
_QUADRATIC = np.stack([np.ones(9), _DX, _DY, _DX * _DX, _DX * _DY, _DY * _DY], axis=1)


def refine_peak(around: np.ndarray) -> tuple[float, float, float] | None:
    """(peak, dx, dy) of the Gaussian through the 3 x 3 pixels ``around`` a local maximum
    (background subtracted, the maximum at the centre): the logarithm of a Gaussian is a
    2-D quadratic, so a least-squares quadratic through the log of the positive pixels is
    exact for a noiseless beam of any shape and orientation, even 1.4 pixels wide where a
    parabola through the values is not. Each log is weighted by its pixel's value squared
    (the inverse of its variance under uniform noise), so faint neighbours count little.
    With fewer than six positive neighbours the diagonal pixels are mostly noise: the
    quadratic is fitted without its xy term (the beam's axes taken along the pixels') if
    the four beside the centre are positive. None when neither holds or the fit has no
    maximum within a pixel of the centre: the caller keeps the pixel then."""
    values = np.asarray(around, dtype=np.float64).ravel()
    if values.size != 9:
        return None
    use = np.isfinite(values) & (values > 0)
    columns = [0, 1, 2, 3, 4, 5]
    if use.sum() < 7:
        if not use[[1, 3, 5, 7]].all():
            return None
        columns = [0, 1, 2, 3, 5]
    w = values[use]
    fitted, *_ = np.linalg.lstsq(_QUADRATIC[use][:, columns] * w[:, None], np.log(w) * w,
                                 rcond=None)
    coef = np.zeros(6)
    coef[columns] = fitted
    c0, cx, cy, cxx, cxy, cyy = coef.tolist()
    # The vertex: the gradient 0, where the Hessian [[2cxx, cxy], [cxy, 2cyy]] is
    # negative definite.
    det = 4.0 * cxx * cyy - cxy * cxy
    if not (cxx < 0 and det > 0):
        return None
    dx = (-2.0 * cyy * cx + cxy * cy) / det
    dy = (-2.0 * cxx * cy + cxy * cx) / det
    if not (abs(dx) <= 1.0 and abs(dy) <= 1.0):
        return None
    log_peak = c0 + cx * dx + cy * dy + cxx * dx * dx + cxy * dx * dy + cyy * dy * dy
    return math.exp(log_peak), dx, dy


def _separation_arcsec(ra1: float, dec1: float, ra2: float, dec2: float) -> float:
    """Great-circle distance (haversine: exact at arcsec scales)."""
    r1, d1, r2, d2 = map(math.radians, (ra1, dec1, ra2, dec2))
    h = (math.sin((d2 - d1) / 2) ** 2
         + math.cos(d1) * math.cos(d2) * math.sin((r2 - r1) / 2) ** 2)
    return math.degrees(2 * math.asin(min(1.0, math.sqrt(h)))) * 3600.0


def catalogue_qa(plane: ImagePlane, background: Background, threshold: float,
                 catalogue: Iterable[CatalogueSource]) -> dict[str, Any]:
    """Median flux ratio measured/NVSS and median astrometric offset (arcsec) of the
    catalogue sources detected in the image; None where nothing matched."""
    out: dict[str, Any] = {"flux_scale_ratio": None, "astrometry_offset_arcsec": None,
                           "n_catalogue": 0, "n_matched": 0}
    cell = _cell_arcsec(plane)
    sources = [s for s in catalogue
               if s.nvss_flux_jy is not None
               and NVSS_RANGE_JY[0] <= s.nvss_flux_jy <= NVSS_RANGE_JY[1]]
    if cell is None or not sources:
        return out
    ny, nx = plane.shape
    radius = max(1.5, MATCH_RADIUS_ARCSEC / cell)
    r = int(math.ceil(radius))
    xs, ys = plane.wcs.world_to_pixel_values([s.ra_deg for s in sources],
                                             [s.dec_deg for s in sources])
    ratios, offsets = [], []
    for source, x, y in zip(sources, np.atleast_1d(xs), np.atleast_1d(ys)):
        if not (math.isfinite(x) and math.isfinite(y)) or not (0 <= x < nx and 0 <= y < ny):
            continue
        xi, yi = int(round(float(x))), int(round(float(y)))
        y0, x0 = max(0, yi - r - 1), max(0, xi - r - 1)
        box = plane.region(slice(y0, min(ny, yi + r + 2)), slice(x0, min(nx, xi + r + 2)))
        if not np.isfinite(box[min(yi - y0, box.shape[0] - 1), min(xi - x0, box.shape[1] - 1)]):
            continue  # outside the primary-beam cut
        out["n_catalogue"] += 1
        yy, xx = np.mgrid[y0:y0 + box.shape[0], x0:x0 + box.shape[1]]
        within = ((xx - x) ** 2 + (yy - y) ** 2 <= radius * radius) & np.isfinite(box)
        if not within.any():
            continue
        candidates = np.where(within, box, -np.inf)
        k = np.unravel_index(int(np.argmax(candidates)), box.shape)
        value = float(box[k])
        if not value > threshold:
            continue
        by, bx = int(k[0]), int(k[1])
        around = box[max(0, by - 1):by + 2, max(0, bx - 1):bx + 2]
        if value < np.nanmax(around):
            continue  # the slope of a source beyond the match radius, not a peak in it

        height = value - background.median
        refined = (refine_peak(around - background.median) if around.shape == (3, 3)
                   else None)
        if refined is not None:
            height, dx, dy = refined
        else:
            def at(j: int, i: int) -> float:
                if 0 <= j < box.shape[0] and 0 <= i < box.shape[1] and np.isfinite(box[j, i]):
                    return float(box[j, i])
                return math.nan

            dx = _parabola(at(by, bx - 1), value, at(by, bx + 1))
            dy = _parabola(at(by - 1, bx), value, at(by + 1, bx))
        ra, dec = plane.wcs.pixel_to_world_values(x0 + bx + dx, y0 + by + dy)
        ratios.append(height / source.nvss_flux_jy)
        offsets.append(_separation_arcsec(float(ra), float(dec), source.ra_deg,
                                          source.dec_deg))
    if ratios:
        out.update(flux_scale_ratio=float(np.median(ratios)),
                   astrometry_offset_arcsec=float(np.median(offsets)),
                   n_matched=len(ratios))
    return out


# ---------------------------------------------------------------------- entry
def measure_image_qa(path: str, catalogue: Iterable[CatalogueSource] = ()) -> dict[str, Any]:
    """The QA values of one image file (raises ImageReadError when unreadable)."""
    return measure_plane_qa(open_image(path), catalogue)


def measure_plane_qa(plane: ImagePlane, catalogue: Iterable[CatalogueSource] = ()
                     ) -> dict[str, Any]:
    """The image_qa values of an open image plane, plus the catalogue comparison under
    ``catalogue`` (None values when there was nothing to compare)."""
    header = plane.header
    beam_major = beam_axis_arcsec(header, "BMAJ")
    beam_minor = beam_axis_arcsec(header, "BMIN")
    pa = header.get("BPA")
    sample, step = background_sample(plane)
    background = clipped_background(sample)
    rms = peak = dr = None
    n_sources = None
    cat: dict[str, Any] = {"flux_scale_ratio": None, "astrometry_offset_arcsec": None,
                           "n_catalogue": 0, "n_matched": 0}
    if background is not None:
        fwhm = _beam_fwhm_pix(plane, beam_major, beam_minor) or DEFAULT_BEAM_PIX
        # Islands found a little below the detection threshold, so that the rms measured
        # again without them (and their faint wings) still finds every 5-sigma source.
        peak, islands = scan_islands(plane, background.median + SEARCH_SIGMA * background.rms)
        if islands:
            rest = without_sources(sample, step, islands, background, fwhm)
            background = clipped_background(rest) or background
        rms = background.rms
        threshold = background.median + DETECT_SIGMA * rms
        if islands is not None:
            n_sources = len(merge_within([i for i in islands if i[0] > threshold], fwhm))
        dr = peak / rms if peak is not None else None
        cat = catalogue_qa(plane, background, threshold, catalogue)
    else:
        with np.errstate(invalid="ignore"):
            finite = [float(np.nanmax(b)) for b in _strips(plane) if np.isfinite(b).any()]
        peak = max(finite) if finite else None
    return {"rms_noise": rms, "peak_flux": peak, "dynamic_range": dr,
            "beam_major": beam_major, "beam_minor": beam_minor,
            "beam_pa": float(pa) if isinstance(pa, (int, float)) else None,
            "num_sources": n_sources,
            "overall_quality": grade_image(dr, rms),
            "catalogue": cat}


def _strips(plane: ImagePlane):
    ny = plane.shape[0]
    for y0 in range(0, ny, STRIP_ROWS):
        yield plane.rows(y0, min(ny, y0 + STRIP_ROWS))

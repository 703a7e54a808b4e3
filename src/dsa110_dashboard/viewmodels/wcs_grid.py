"""A sky-coordinate grid for a pixel view: lines of constant RA and Dec, and axis ticks.

The image view draws pixels (Bokeh has no WCS axes). Over a 3.5 deg SIN image at
Dec +54 the lines of constant RA converge noticeably (their spacing changes by ~10%
across the field), so no single tick formatter along an axis can be right everywhere.
Instead, for the visible region, this module picks round RA (hours) and Dec (degrees)
values, traces each line through the image's WCS (astropy, the real projection), and
gives the axis ticks where the lines cross the view's bottom edge (RA) and left edge
(Dec), labelled sexagesimally - as WCSAxes labels a curved grid. The grid is
recomputed whenever the view's range changes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from astropy.wcs import WCS

#: RA steps in seconds of time, Dec steps in arcseconds; the first giving at most
#: MAX_LINES lines across the view is used.
RA_STEPS_S = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200,
              10800, 21600)
DEC_STEPS_ARCSEC = (1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600,
                    7200, 18000, 36000)
MAX_LINES = 6
#: Points along each line and along each edge when finding the view's sky extent.
SAMPLES = 64


@dataclass(frozen=True)
class Line:
    value: float  # RA or Dec in degrees
    label: str
    x: np.ndarray  # pixel coordinates along the line (NaN where it leaves the sky)
    y: np.ndarray


@dataclass
class SkyGrid:
    """The grid of one view: lines, and axis ticks {pixel position: label}."""

    ra_lines: list[Line] = field(default_factory=list)
    dec_lines: list[Line] = field(default_factory=list)
    x_ticks: dict[float, str] = field(default_factory=dict)  # on the bottom edge
    y_ticks: dict[float, str] = field(default_factory=dict)  # on the left edge
    frame: str = "ICRS"

    @property
    def empty(self) -> bool:
        return not (self.ra_lines or self.dec_lines)


def _sexagesimal(seconds: float, step_s: float, marks: tuple[str, str, str]) -> str:
    """``seconds`` (of time or of arc) as units, minutes and seconds with ``marks``,
    leaving out what the step (in the same seconds) does not need."""
    units, rest = divmod(round(seconds, 3), 3600.0)
    minutes, secs = divmod(rest, 60.0)
    if step_s >= 3600 and minutes == 0 and secs < 0.5:
        return f"{int(units)}{marks[0]}"
    if step_s >= 60 and secs < 0.5:
        return f"{int(units)}{marks[0]}{int(minutes):02d}{marks[1]}"
    return f"{int(units)}{marks[0]}{int(minutes):02d}{marks[1]}{int(round(secs)):02d}{marks[2]}"


def ra_label(ra_deg: float, step_s: float) -> str:
    """'8h', '8h34m' or '8h34m30s', to the precision of the step (seconds of time)."""
    return _sexagesimal(round((ra_deg % 360.0) * 240.0, 3) % 86400.0, step_s, ("h", "m", "s"))


def dec_label(dec_deg: float, step_arcsec: float) -> str:
    """'+54°', '+54°30′' or '+54°30′15″', to the precision of the step (arcsec)."""
    sign = "−" if dec_deg < 0 else "+"
    return sign + _sexagesimal(abs(dec_deg) * 3600.0, step_arcsec, ("°", "′", "″"))


def _pick(span: float, steps: tuple[int, ...], per_step: float) -> float:
    """The smallest step (in degrees) giving at most MAX_LINES lines over ``span``."""
    for step in steps:
        if span / (step * per_step) <= MAX_LINES:
            return step * per_step
    return steps[-1] * per_step


def _values(lo: float, hi: float, step: float) -> np.ndarray:
    first = math.ceil(lo / step - 1e-9)
    last = math.floor(hi / step + 1e-9)
    return np.arange(first, last + 1) * step


def _edge_points(x0: float, x1: float, y0: float, y1: float) -> tuple[np.ndarray, np.ndarray]:
    t = np.linspace(0.0, 1.0, SAMPLES)
    xs = np.concatenate([x0 + (x1 - x0) * t, np.full(SAMPLES, x1), x1 - (x1 - x0) * t,
                         np.full(SAMPLES, x0)])
    ys = np.concatenate([np.full(SAMPLES, y0), y0 + (y1 - y0) * t, np.full(SAMPLES, y1),
                         y1 - (y1 - y0) * t])
    return xs, ys


def _crossings(a: np.ndarray, b: np.ndarray, level: float) -> list[float]:
    """Where the polyline (a, b) crosses a == level: the interpolated b values."""
    out = []
    d = a - level
    for i in range(len(a) - 1):
        if not (np.isfinite(d[i]) and np.isfinite(d[i + 1])):
            continue
        if d[i] == 0:
            out.append(float(b[i]))
        elif d[i] * d[i + 1] < 0:
            f = d[i] / (d[i] - d[i + 1])
            out.append(float(b[i] + f * (b[i + 1] - b[i])))
    return out


def sky_grid(wcs: WCS, x_range: tuple[float, float],
             y_range: tuple[float, float]) -> SkyGrid:
    """The grid for the pixel rectangle ``x_range`` x ``y_range`` (0-based pixels).

    ``wcs`` is the 2-D celestial WCS of the image. Returns an empty grid when the view
    does not map to the sky (no celestial WCS, or a view around a pole).
    """
    (x0, x1), (y0, y1) = sorted(x_range), sorted(y_range)
    grid = SkyGrid(frame=str(getattr(wcs.wcs, "radesys", "") or "ICRS").strip() or "ICRS")
    if not wcs.has_celestial:
        return grid
    ex, ey = _edge_points(x0, x1, y0, y1)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    with np.errstate(invalid="ignore"):
        era, edec = wcs.pixel_to_world_values(np.append(ex, cx), np.append(ey, cy))
    era, edec = np.asarray(era, float), np.asarray(edec, float)
    ok = np.isfinite(era) & np.isfinite(edec)
    if ok.sum() < 4 or not np.isfinite(era[-1]):
        return grid
    ra_c = float(era[-1])
    # RA unwrapped around the view's centre, so a view across 0h is one interval.
    unwrapped = ra_c + (np.mod(era[ok] - ra_c + 180.0, 360.0) - 180.0)
    dec_lo, dec_hi = float(edec[ok].min()), float(edec[ok].max())
    ra_lo, ra_hi = float(unwrapped.min()), float(unwrapped.max())
    if dec_hi > 89.0 or dec_lo < -89.0 or ra_hi - ra_lo > 180.0:
        return grid  # a pole in view: RA lines meet; not a case DSA-110 images reach
    # The view's sky extent is spanned by its edges, but the inside can reach further in
    # Dec (the edge's middle bulges); pad the sampled range a little.
    pad_dec = (dec_hi - dec_lo) * 0.05
    dec_step = _pick(dec_hi - dec_lo, DEC_STEPS_ARCSEC, 1 / 3600)
    ra_step = _pick(ra_hi - ra_lo, RA_STEPS_S, 15 / 3600)
    decs = np.linspace(dec_lo - pad_dec, dec_hi + pad_dec, SAMPLES)
    ras = np.linspace(ra_lo, ra_hi, SAMPLES)
    for ra in _values(ra_lo, ra_hi, ra_step):
        x, y = wcs.world_to_pixel_values(np.full(SAMPLES, ra % 360.0), decs)
        line = Line(float(ra % 360.0), ra_label(ra, ra_step * 240.0), np.asarray(x, float),
                    np.asarray(y, float))
        grid.ra_lines.append(line)
        for xt in _crossings(line.y, line.x, y0):
            if x0 <= xt <= x1:
                grid.x_ticks[round(xt, 3)] = line.label
    for dec in _values(dec_lo - pad_dec, dec_hi + pad_dec, dec_step):
        x, y = wcs.world_to_pixel_values(np.mod(ras, 360.0), np.full(SAMPLES, dec))
        line = Line(float(dec), dec_label(dec, dec_step * 3600.0), np.asarray(x, float),
                    np.asarray(y, float))
        grid.dec_lines.append(line)
        for yt in _crossings(line.x, line.y, x0):
            if y0 <= yt <= y1:
                grid.y_ticks[round(yt, 3)] = line.label
    return grid

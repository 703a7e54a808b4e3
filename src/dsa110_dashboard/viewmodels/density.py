"""Counts of points per screen pixel: the rasterised bulk of a scatter plot.

The eta-V plot draws its many non-candidate sources as one image of counts computed
here for exactly the visible region and the plot's frame in pixels, so every source
lands in the pixel where the axes put it (a lone source then grows to ``spread``
pixels around it, so that it can be seen). NumPy only: no datashader, no Panel.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Largest image side computed (pixels): a bigger frame gets a coarser image.
MAX_SIDE = 4096
#: Colour levels of ``log_levels``: 0 is empty, 1..LEVELS a count's place between 1 and
#: the peak on a log scale (the colormap has no more distinct colours than this).
LEVELS = 255


@dataclass(frozen=True)
class Density:
    """``counts[row, col]``: row 0 at the bottom (``y0``), col 0 at the left (``x0``);
    16-bit (a count past 65,535 in one pixel is shown as 65,535), as it is sent to the
    browser at every zoom."""

    counts: np.ndarray
    x0: float
    y0: float
    dw: float
    dh: float

    @property
    def peak(self) -> float:
        return float(self.counts.max()) if self.counts.size else 0.0


def density(x: np.ndarray, y: np.ndarray, x_range: tuple[float, float],
            y_range: tuple[float, float], width: int, height: int,
            spread: int = 1) -> Density:
    """Counts of (x, y) in a ``width`` x ``height`` grid over the ranges, each point's
    count also added to the pixels within ``spread`` of its own (a lone point becomes a
    (2 spread + 1)-pixel square). Non-finite points and points outside are left out."""
    width = int(min(max(width, 1), MAX_SIDE))
    height = int(min(max(height, 1), MAX_SIDE))
    (x0, x1), (y0, y1) = (float(v) for v in x_range), (float(v) for v in y_range)
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"empty range: x {x_range}, y {y_range}")
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    col = np.floor((x - x0) / (x1 - x0) * width)
    row = np.floor((y - y0) / (y1 - y0) * height)
    inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
    flat = row[inside].astype(np.int64) * width + col[inside].astype(np.int64)
    counts = np.bincount(flat, minlength=width * height).reshape(height, width)
    counts = counts.astype(np.float32)
    if spread > 0:
        counts = _spread(counts, spread)
    counts = np.minimum(counts, np.iinfo(np.uint16).max).astype(np.uint16)
    return Density(counts, x0, y0, x1 - x0, y1 - y0)


def _spread(counts: np.ndarray, px: int) -> np.ndarray:
    """Each pixel's count added to its neighbours within ``px`` (a box sum)."""
    padded = np.pad(counts, px)
    h, w = counts.shape
    out = np.zeros_like(counts)
    for dy in range(2 * px + 1):
        for dx in range(2 * px + 1):
            out += padded[dy:dy + h, dx:dx + w]
    return out


def log_levels(counts: np.ndarray) -> np.ndarray:
    """``counts`` as 8-bit colour levels: 0 where empty, else 1 + the count's place
    between 1 and the peak on a log scale, in ``LEVELS`` steps (a lone source is 1,
    the peak ``LEVELS``). What the browser needs to colour the image, in half the bytes
    of 16-bit counts (a quarter of float32)."""
    counts = np.asarray(counts)
    out = np.zeros(counts.shape, np.uint8)
    filled = counts > 0
    if not filled.any():
        return out
    peak = float(counts.max())
    if peak <= 1:
        out[filled] = 1
        return out
    place = np.log(counts[filled].astype(np.float32)) / np.float32(np.log(peak))
    out[filled] = 1 + np.round(place * (LEVELS - 1)).astype(np.uint8)
    return out

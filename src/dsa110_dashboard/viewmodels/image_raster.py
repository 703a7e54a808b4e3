"""The zoomable view of one image, rendered on the server: never the whole plane to the
browser, only the visible region reduced to about ``target`` pixels.

Coordinates are 0-based pixel coordinates of the FITS plane with y upwards (row 0 at the
bottom), pixel centres on integers, so ``WCS.pixel_to_world_values(x, y)`` applies as
is. A rendered view is RGBA with row 0 at the **top** (as a picture is displayed) plus
its bounds, ready for ``hv.RGB(rgba, bounds=...)``.

Colour limits come once per stretch from a max-pooled overview of the whole image (the
thumbnail's pixels), so panning and zooming keep the same scale; the stretch and the
colormap are those of the thumbnails (``fits.stretch``, ``fits.render.palette``). The
default ``noise_asinh`` takes its background and noise from full-resolution pixels (rows
spread over the image) rather than from the max-pooled overview, whose noise is brighter
and narrower than the one seen once zoomed in: so the background stays low at every zoom.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from astropy.wcs.utils import proj_plane_pixel_scales

from ..fits.downsample import downsample, output_shape
from ..fits.plane import ImagePlane
from ..fits.render import RenderParams, colour_index, palette
from ..fits.scale_text import scale_record
from ..fits.stretch import DEFAULT_STRETCH, Scale, robust_noise, scale_for

TARGET_PX = 800
OVERVIEW_PX = 1024
NOISE_SAMPLE_ROWS = 256


@dataclass(frozen=True)
class RenderedView:
    rgba: np.ndarray  # (h, w, 4) uint8, row 0 at the top
    bounds: tuple[float, float, float, float]  # left, bottom, right, top (pixels)
    factor: int  # image pixels per rendered pixel


@dataclass(frozen=True)
class Readout:
    x: float
    y: float
    ra_deg: float | None
    dec_deg: float | None
    value: float | None
    inside: bool


class ImageRaster:
    """Renders regions of ``plane``; safe to call from several worker threads."""

    def __init__(self, plane: ImagePlane, target: int = TARGET_PX):
        self.plane = plane
        self.target = target
        self.ny, self.nx = plane.shape
        self._lock = threading.Lock()
        self._overview: np.ndarray | None = None
        self._noise: tuple[float, float] | None | bool = False  # False: not measured yet
        self._scales: dict[str, Scale] = {}

    # -------------------------------------------------------------- geometry
    @property
    def full_bounds(self) -> tuple[float, float, float, float]:
        return (-0.5, -0.5, self.nx - 0.5, self.ny - 0.5)

    @property
    def pixel_scale_arcsec(self) -> float | None:
        if not self.plane.has_celestial:
            return None
        scales = proj_plane_pixel_scales(self.plane.wcs)
        value = float(np.sqrt(abs(scales[0] * scales[1]))) * 3600.0
        return value if value > 0 and math.isfinite(value) else None

    def _slices(self, x_range, y_range) -> tuple[slice, slice]:
        x0, x1 = x_range if x_range else (-0.5, self.nx - 0.5)
        y0, y1 = y_range if y_range else (-0.5, self.ny - 0.5)
        xs = _clamp_slice(x0, x1, self.nx)
        ys = _clamp_slice(y0, y1, self.ny)
        return ys, xs

    # ------------------------------------------------------------- overview
    def overview(self) -> np.ndarray:
        """Max-pooled whole image, long side ``OVERVIEW_PX`` (FITS order)."""
        with self._lock:
            if self._overview is None:
                self._overview = downsample(
                    self.plane, output_shape(self.plane.shape, min(OVERVIEW_PX, max(
                        self.plane.shape))), "max")
            return self._overview

    def scale(self, stretch: str) -> Scale:
        """The colour scale of ``stretch`` for the whole image (same at every zoom)."""
        if stretch not in self._scales:
            noise = self.noise() if stretch == DEFAULT_STRETCH else None
            self._scales[stretch] = scale_for(self.overview(), stretch, noise=noise)
        return self._scales[stretch]

    def limits(self, stretch: str) -> tuple[float, float]:
        return self.scale(stretch).limits

    def scale_record(self, stretch: str) -> dict:
        """The scale of ``stretch`` in words' ingredients (``fits.render.limits_text``)."""
        return scale_record(self.scale(stretch), stretch, self.plane.header)

    # ---------------------------------------------------------------- render
    def values(self, x_range=None, y_range=None) -> tuple[np.ndarray, tuple, int]:
        """Float32 values of the visible region reduced to ~target px (FITS order)."""
        ys, xs = self._slices(x_range, y_range)
        h, w = ys.stop - ys.start, xs.stop - xs.start
        factor = max(1, math.ceil(max(h, w) / self.target))
        bounds = (xs.start - 0.5, ys.start - 0.5, xs.stop - 0.5, ys.stop - 0.5)
        if factor == 1:
            return self.plane.region(ys, xs).copy(), bounds, 1
        region = replace(self.plane, raw=self.plane.raw[ys, xs])
        out_shape = (math.ceil(h / factor), math.ceil(w / factor))
        return downsample(region, out_shape, "max"), bounds, factor

    def render(self, x_range=None, y_range=None, stretch: str = DEFAULT_STRETCH,
               cmap: str = "inferno") -> RenderedView:
        values, bounds, factor = self.values(x_range, y_range)
        params = RenderParams(stretch=stretch, cmap=cmap)
        index = colour_index(values, params, self.scale(stretch))  # row 0 at the top
        return RenderedView(rgba=palette(cmap)[index], bounds=bounds, factor=factor)

    # ---------------------------------------------------------- under cursor
    def readout(self, x: float, y: float) -> Readout:
        col, row = int(round(x)), int(round(y))
        inside = 0 <= col < self.nx and 0 <= row < self.ny
        value = None
        if inside:
            v = float(self.plane.region(slice(row, row + 1), slice(col, col + 1))[0, 0])
            value = v if math.isfinite(v) else None
        ra = dec = None
        if self.plane.has_celestial:
            try:
                world = self.plane.wcs.pixel_to_world_values(x, y)
                ra, dec = float(world[0]) % 360.0, float(world[1])
                if not (math.isfinite(ra) and math.isfinite(dec)):
                    ra = dec = None
            except (ValueError, TypeError):
                ra = dec = None
        return Readout(x=x, y=y, ra_deg=ra, dec_deg=dec, value=value, inside=inside)

    def world_to_pixel(self, ra_deg, dec_deg) -> tuple[np.ndarray, np.ndarray]:
        ra = np.asarray(ra_deg, dtype=float)
        dec = np.asarray(dec_deg, dtype=float)
        if not self.plane.has_celestial or ra.size == 0:
            return np.full(ra.shape, np.nan), np.full(ra.shape, np.nan)
        x, y = self.plane.wcs.world_to_pixel_values(ra, dec)
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    def source_positions(self, sources: pd.DataFrame) -> pd.DataFrame:
        """The sources with pixel x, y; those off the image are left out."""
        frame = sources.copy()
        x, y = self.world_to_pixel(frame.get("ra_deg", []), frame.get("dec_deg", []))
        frame["x"], frame["y"] = x, y
        inside = (np.isfinite(x) & np.isfinite(y) & (x >= -0.5) & (x <= self.nx - 0.5)
                  & (y >= -0.5) & (y <= self.ny - 0.5))
        return frame[inside].reset_index(drop=True)

    def beam_pixels(self, bmaj_arcsec, bmin_arcsec, bpa_deg) -> tuple[float, float, float] | None:
        """(major, minor) in pixels and the orientation in radians counter-clockwise from
        +x, for an image with north up and east left (PA is east of north)."""
        scale = self.pixel_scale_arcsec
        if not (scale and bmaj_arcsec and bmin_arcsec):
            return None
        pa = bpa_deg or 0.0
        return (bmaj_arcsec / scale, bmin_arcsec / scale, math.radians(90.0 + pa))

    def centre_and_size(self, x_range=None, y_range=None) -> tuple[float, float, float] | None:
        """RA, Dec (deg) of the view's centre and its size (arcsec, the longer side)."""
        ys, xs = self._slices(x_range, y_range)
        scale = self.pixel_scale_arcsec
        if scale is None:
            return None
        read = self.readout((xs.start + xs.stop - 1) / 2, (ys.start + ys.stop - 1) / 2)
        if read.ra_deg is None:
            return None
        size = max(xs.stop - xs.start, ys.stop - ys.start) * scale
        return read.ra_deg, read.dec_deg, size

    # --------------------------------------------------------- statistics
    def noise(self) -> tuple[float, float] | None:
        """(background, sigma): median and 1.4826 x MAD of the finite full-resolution
        pixels of up to ``NOISE_SAMPLE_ROWS`` rows spread over the image."""
        with self._lock:
            if self._noise is False:
                rows = np.unique(np.linspace(0, self.ny - 1, min(self.ny, NOISE_SAMPLE_ROWS))
                                 .round().astype(int))
                sample = np.concatenate([self.plane.rows(r, r + 1).ravel() for r in rows])
                self._noise = robust_noise(sample)
            return self._noise

    def robust_rms(self) -> float | None:
        noise = self.noise()
        return noise[1] if noise else None

    def peak(self) -> float | None:
        finite = self.overview()[np.isfinite(self.overview())]
        return float(finite.max()) if finite.size else None


def _clamp_slice(lo: float, hi: float, n: int) -> slice:
    if hi < lo:
        lo, hi = hi, lo
    start = int(math.floor(lo + 0.5))
    stop = int(math.ceil(hi + 0.5))
    start = max(0, min(n - 1, start))
    stop = max(start + 1, min(n, stop))
    return slice(start, stop)

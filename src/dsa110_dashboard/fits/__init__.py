"""The FITS engine: read FITS / CASA images, summarise headers, render thumbnails
and cutouts, cache and pre-render them. A data layer: no Panel or Bokeh here.
"""

from dsa110_dashboard.fits.cache import CachedPNG, CacheStats, ThumbnailCache, file_identity
from dsa110_dashboard.fits.colormaps import COLORMAPS
from dsa110_dashboard.fits.cutout import Cutout, cutout, cutout_fits, cutout_png
from dsa110_dashboard.fits.header import HeaderSummary, summarize
from dsa110_dashboard.fits.placeholder import placeholder_png, render_png_or_placeholder
from dsa110_dashboard.fits.plane import ImagePlane
from dsa110_dashboard.fits.prerender import PrerenderSummary, prerender
from dsa110_dashboard.fits.reader import open_image
from dsa110_dashboard.fits.render import (
    ENGINE_VERSION,
    RenderParams,
    downsample_plane,
    render_array,
    render_params,
    render_png,
)
from dsa110_dashboard.fits.stretch import STRETCHES

__all__ = [
    "COLORMAPS", "ENGINE_VERSION", "STRETCHES",
    "CachedPNG", "CacheStats", "Cutout", "HeaderSummary", "ImagePlane", "PrerenderSummary",
    "RenderParams", "ThumbnailCache",
    "cutout", "cutout_fits", "cutout_png", "downsample_plane", "file_identity", "open_image",
    "placeholder_png", "prerender", "render_array", "render_params", "render_png",
    "render_png_or_placeholder", "summarize",
]

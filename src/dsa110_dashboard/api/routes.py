"""URL patterns of the HTTP endpoints, bound to one AppContext."""

from __future__ import annotations

from ..context import AppContext
from .capacity import Capacity
from .cutouts import CutoutHandler
from .downloads import FitsDownloadHandler
from .exports import ImagesCsvHandler
from .health import HealthHandler
from .images import ID
from .lightcurves import LightcurveHandler
from .thumbnails import ThumbnailHandler


def api_patterns(ctx: AppContext) -> list[tuple]:
    kw = {"ctx": ctx, "capacity": Capacity(ctx.settings)}
    return [
        (r"/api/v1/health/?", HealthHandler, kw),
        (r"/api/v1/images\.csv", ImagesCsvHandler, kw),
        (rf"/api/v1/images/{ID}/thumbnail\.png", ThumbnailHandler, kw),
        (rf"/api/v1/images/{ID}/fits", FitsDownloadHandler, kw),
        (rf"/api/v1/images/{ID}/cutout\.(png|fits)", CutoutHandler, kw),
        (r"/api/v1/sources/([^/]+)/lightcurve/?", LightcurveHandler, kw),
    ]

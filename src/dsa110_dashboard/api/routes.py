"""URL patterns of the HTTP endpoints, bound to one AppContext."""

from __future__ import annotations

from ..context import AppContext
from .cutouts import CutoutHandler
from .downloads import FitsDownloadHandler
from .health import HealthHandler
from .images import ID
from .thumbnails import ThumbnailHandler


def api_patterns(ctx: AppContext) -> list[tuple]:
    kw = {"ctx": ctx}
    return [
        (r"/api/v1/health/?", HealthHandler, kw),
        (rf"/api/v1/images/{ID}/thumbnail\.png", ThumbnailHandler, kw),
        (rf"/api/v1/images/{ID}/fits", FitsDownloadHandler, kw),
        (rf"/api/v1/images/{ID}/cutout\.(png|fits)", CutoutHandler, kw),
    ]

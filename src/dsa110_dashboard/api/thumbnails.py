"""``GET /api/v1/images/{id}/thumbnail.png?size=&stretch=&cmap=``: a thumbnail by URL.

PNGs come from the same disk cache and defaults as ``dsa110-dash thumbnails``
(``<cache_dir>/thumbnails``, size 512, noise_asinh, inferno), so prerendered
thumbnails are hits. Responses:

- 200 ``image/png`` with a strong ``ETag`` (the cache key: engine version, path, size
  and mtime of the file, render parameters) and ``Cache-Control: public, max-age=300``;
  ``X-Thumbnail-Cache: hit|miss``; ``X-Thumbnail-Scale`` says which limits the colours
  span (``stretch=noise_asinh; vmin=-0.6; vmax=412; unit=mJy/beam; background=0.01;
  sigma=0.3``), read from the PNG's own text chunk. ``If-None-Match`` with that ETag -> 304, no body,
  answered from a ``stat`` of the file before any rendering.
- 200 ``image/png`` placeholder saying why (missing, corrupt, unreadable file) with
  ``X-Thumbnail-Status: placeholder``, ``X-Thumbnail-Reason`` and
  ``Cache-Control: no-store`` and no ETag, so a repaired file shows at once. 200 rather
  than 4xx/5xx: every browser shows it in an ``<img>``, and no proxy or error page
  replaces it.
- 400 JSON naming ``size`` (16..2048), ``stretch``, ``cmap`` or ``id``; 404 JSON unknown
  id; 403 JSON for a file outside the data roots (a deployment problem that must be
  loud, not a picture); 503 JSON when rendering exceeds ``timeouts.image_render``.

``max-age=300``: the URL names the image id, not the file, so a re-imaged file keeps its
URL; its ETag changes at once but a browser only revalidates when max-age runs out. Five
minutes bounds that staleness while a gallery page scrolled back and forth makes no
requests at all; revalidation after that is a cheap 304.
"""

from __future__ import annotations

import functools
from pathlib import Path

from ..errors import ImageReadError
from ..fits.cache import CachedPNG, ThumbnailCache
from ..fits.render import RenderParams, render_params
from ..fits.scale_text import header_value, png_scale
from .images import ImageFileHandler, header_safe, parse_int

MIN_SIZE, MAX_SIZE = 16, 2048
DEFAULTS = RenderParams()  # the prerender's defaults: 512, noise_asinh, inferno
GOOD_CACHE_CONTROL = "public, max-age=300"


@functools.cache
def thumbnail_cache(root: Path, max_bytes: int) -> ThumbnailCache:
    """One cache object per process and directory (made on first use, after any fork)."""
    return ThumbnailCache(root, max_bytes)


def cache_for(settings) -> ThumbnailCache:  # noqa: ANN001 - Settings
    return thumbnail_cache(settings.effective_cache_dir / "thumbnails",
                           settings.thumbnail_cache_bytes)


class ThumbnailHandler(ImageFileHandler):
    async def get(self, raw_id: str) -> None:
        size = self.argument("size", parse_int("size", MIN_SIZE, MAX_SIZE), DEFAULTS.size)
        stretch = self.get_query_argument("stretch", None) or DEFAULTS.stretch
        cmap = self.get_query_argument("cmap", None) or DEFAULTS.cmap
        params = render_params(size=size, stretch=stretch, cmap=cmap).as_dict()
        _, path = await self.image_file(raw_id, must_exist=False)
        cache = cache_for(self.ctx.settings)

        if self.request.headers.get("If-None-Match"):
            key = await self.blocking(_key_or_none, cache, path, params)
            if key is not None and self.not_modified(f'"{key}"', GOOD_CACHE_CONTROL):
                return

        result: CachedPNG = await self.render(f"thumbnail of image {raw_id}",
                                              cache.get_or_render, path, **params)
        if not result.ok:
            self.set_header("Cache-Control", "no-store")
            self.send_bytes(result.data, "image/png",
                            X_Thumbnail_Status="placeholder",
                            X_Thumbnail_Reason=header_safe(result.reason or "unreadable"))
            return
        if self.not_modified(result.etag, GOOD_CACHE_CONTROL):
            return
        scale = png_scale(result.data)
        extra = {"X_Thumbnail_Scale": header_safe(header_value(scale))} if scale else {}
        self.send_bytes(result.data, "image/png", X_Thumbnail_Status="ok",
                        X_Thumbnail_Cache="hit" if result.from_cache else "miss", **extra)


def _key_or_none(cache: ThumbnailCache, path: Path, params: dict) -> str | None:
    try:
        return cache.key_for(path, **params)
    except ImageReadError:  # missing or unreadable: the render below makes the placeholder
        return None

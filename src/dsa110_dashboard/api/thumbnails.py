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
- 200 ``image/png`` placeholder saying why (missing, corrupt, unreadable file, a path
  no file can have, a file outside the data roots or one of the dashboard's own files)
  with ``X-Thumbnail-Status: placeholder``, ``X-Thumbnail-Reason`` and
  ``Cache-Control: no-store`` and no ETag, so a repaired file shows at once. 200 rather
  than 4xx/5xx: every browser shows it in an ``<img>``, and no proxy or error page
  replaces it; files outside the data roots are also reported once at start-up
  (``files.report_unservable``). Without sign-in the reason names paths relative to
  their data root.
- 200 ``image/png`` with ``Cache-Control: no-store`` and ``X-Thumbnail-Cache: off``
  when the cache directory cannot be written (read-only, full): rendered, not kept.
- 400 JSON naming ``size`` (16..2048), ``stretch``, ``cmap`` or ``id``; 404 JSON unknown
  id; 503 JSON when rendering exceeds ``timeouts.image_render``.

``max-age=300``: the URL names the image id, not the file, so a re-imaged file keeps its
URL; its ETag changes at once but a browser only revalidates when max-age runs out. Five
minutes bounds that staleness while a gallery page scrolled back and forth makes no
requests at all; revalidation after that is a cheap 304.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ..errors import ForbiddenPathError, ImageReadError
from ..fits.cache import CachedPNG, ThumbnailCache, cache_for
from ..fits.placeholder import placeholder_png
from ..fits.render import RenderParams, render_params
from ..fits.scale_text import header_value, png_scale
from .images import ImageFileHandler, header_safe, parse_int
from .spec import Op, Query

MIN_SIZE, MAX_SIZE = 16, 2048
DEFAULTS = RenderParams()  # the prerender's defaults: 512, noise_asinh, inferno
GOOD_CACHE_CONTROL = "public, max-age=300"


class ThumbnailQuery(Query):
    size: int | None = Field(None, ge=MIN_SIZE, le=MAX_SIZE, description="pixels (512)")
    stretch: str | None = Field(None, max_length=40, description="default noise_asinh")
    cmap: str | None = Field(None, max_length=40, description="default inferno")


class ThumbnailHandler(ImageFileHandler):
    wall_readable = True  # the wall display shows thumbnails (decision 0062)
    operations = {"get": Op("An image's thumbnail (PNG; a placeholder PNG saying why when the "
                            "file cannot be read)", query=ThumbnailQuery, media=("image/png",),
                            empty=(304,), tag="images")}

    async def get(self, raw_id: str) -> None:
        size = self.argument("size", parse_int("size", MIN_SIZE, MAX_SIZE), DEFAULTS.size)
        stretch = self.get_query_argument("stretch", None) or DEFAULTS.stretch
        cmap = self.get_query_argument("cmap", None) or DEFAULTS.cmap
        params = render_params(size=size, stretch=stretch, cmap=cmap).as_dict()
        try:
            path = await self.image_path(raw_id, must_exist=False)
        except (ImageReadError, ForbiddenPathError) as exc:
            await self.placeholder(f"{exc.title}: {exc.user_message}", size)
            return
        cache = cache_for(self.ctx.settings)

        if self.request.headers.get("If-None-Match"):
            key = await self.blocking(_key_or_none, cache, path, params)
            if key is not None and self.not_modified(f'"{key}"', GOOD_CACHE_CONTROL):
                self.ctx.metrics.thumbnail("not_modified")
                return

        result: CachedPNG = await self.render(f"thumbnail of image {raw_id}",
                                              cache.get_or_render, path, **params)
        if not result.ok:
            await self.placeholder(result.reason or "unreadable", size, result.data)
            return
        self.ctx.metrics.thumbnail("off" if not result.in_cache
                                   else "hit" if result.from_cache else "miss")
        if not result.in_cache:  # the cache cannot keep it: nobody else should either
            self.set_header("Cache-Control", "no-store")
            self.send_bytes(result.data, "image/png", X_Thumbnail_Status="ok",
                            X_Thumbnail_Cache="off")
            return
        if self.not_modified(result.etag, GOOD_CACHE_CONTROL):
            return
        scale = png_scale(result.data)
        extra = {"X_Thumbnail_Scale": header_safe(header_value(scale))} if scale else {}
        self.send_bytes(result.data, "image/png", X_Thumbnail_Status="ok",
                        X_Thumbnail_Cache="hit" if result.from_cache else "miss", **extra)

    async def placeholder(self, reason: str, size: int, drawn: bytes | None = None) -> None:
        """The placeholder PNG saying ``reason`` (as this user may read it), never kept.
        Drawn on the pool: 4-8 ms each, and /qa asks for 12 at once while its session's
        messages wait on the event loop."""
        self.ctx.metrics.thumbnail("placeholder")
        shown = self.shown_text(reason)
        data = (drawn if drawn is not None and shown == reason
                else await self.blocking(placeholder_png, shown, size))
        self.set_header("Cache-Control", "no-store")
        self.send_bytes(data, "image/png", X_Thumbnail_Status="placeholder",
                        X_Thumbnail_Reason=header_safe(shown))


def _key_or_none(cache: ThumbnailCache, path: Path, params: dict) -> str | None:
    try:
        return cache.key_for(path, **params)
    except ImageReadError:  # missing or unreadable: the render below makes the placeholder
        return None

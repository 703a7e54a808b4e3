"""What the image endpoints share: id parsing, the DB lookup confined to the data roots,
render work off the event loop under ``timeouts.image_render``, and ETag handling.

Endpoints (see ``thumbnails``, ``downloads``, ``cutouts``):

- ``GET /api/v1/images/{id}/thumbnail.png``
- ``GET /api/v1/images/{id}/fits``
- ``GET /api/v1/images/{id}/cutout.png`` and ``cutout.fits``

The id is captured as any path segment so that a non-integer gets a 400 JSON naming
``id`` instead of falling through to the page server's HTML 404.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..errors import InvalidInputError, NotFoundError, RenderTimeoutError
from ..repositories.images import ImageRecord, ImageRepository
from ..science.numbers import parse_number
from .base import ApiHandler

T = TypeVar("T")

#: Path segment of an image id in the URL patterns.
ID = r"([^/]+)"
_MAX_ID = 2**63 - 1  # BIGINT; larger ids cannot exist (and would overflow PostgreSQL)
_HEADER_UNSAFE = re.compile(r"[^\x20-\x7e]")


def parse_image_id(raw: str) -> int:
    """The integer id of a URL segment: 400 when not a whole number, 404 when too big."""
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInputError(f"image id must be a whole number; got {raw[:40]!r}",
                                parameter="id")
    if len(raw.lstrip("0")) > 19 or int(raw) > _MAX_ID:
        raise NotFoundError(f"no image with id {raw[:40]}")
    return int(raw)


def parse_int(name: str, lo: int, hi: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        value = int(raw.strip(), 10)
        if not lo <= value <= hi:
            raise InvalidInputError(f"{name} must be between {lo} and {hi}; got {value}",
                                    parameter=name)
        return value

    return parse


def parse_float(name: str, lo: float, hi: float, *,
                positive: bool = False) -> Callable[[str], float]:
    """A finite float in [lo, hi] (and > 0 when ``positive``); else 400 naming ``name``."""
    def parse(raw: str) -> float:
        value = parse_number(raw, name, required=True)
        if not lo <= value <= hi or (positive and value <= 0):
            low = "greater than 0" if positive else f"at least {lo:g}"
            raise InvalidInputError(f"{name} must be {low} and at most {hi:g}; got {value:g}",
                                    parameter=name)
        return value

    return parse


def header_safe(text: str, limit: int = 200) -> str:
    """``text`` fit for an HTTP header value: printable ASCII, one line, bounded."""
    return _HEADER_UNSAFE.sub("?", text)[:limit]


class ImageFileHandler(ApiHandler):
    """Base of the endpoints that serve an image product's file or a rendering of it."""

    def compute_etag(self) -> str | None:
        # Our ETags come from file identity, set explicitly; no hashing of bodies
        # (and none on placeholders, which must not be revalidated as if good).
        return None

    async def image_file(self, raw_id: str, *, must_exist: bool) -> tuple[ImageRecord, Path]:
        """The image's record and its real path, confined to the data roots (403/404)."""
        image_id = parse_image_id(raw_id)

        def lookup() -> tuple[ImageRecord, Path]:
            record = ImageRepository(self.ctx.db).get(image_id)
            return record, self.ctx.roots.confine(record.path, must_exist=must_exist)

        return await self.blocking(lookup)

    async def image_path(self, raw_id: str, *, must_exist: bool) -> Path:
        """The image's real path, confined to the data roots (403/404): its path alone
        read, for the endpoints that need no more of the record (thumbnails, cutouts;
        /qa asks for a dozen thumbnails at once)."""
        image_id = parse_image_id(raw_id)

        def lookup() -> Path:
            path = ImageRepository(self.ctx.db).path_of(image_id)
            return self.ctx.roots.confine(path, must_exist=must_exist)

        return await self.blocking(lookup)

    async def render(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run file reading / rendering in a worker thread under the render timeout.

        On timeout the request gets a 503; the worker thread still finishes (Python
        threads cannot be interrupted), so a thumbnail it renders lands in the cache
        and the next request is a hit.
        """
        timeout = self.ctx.settings.timeouts.image_render
        try:
            return await self.blocking(lambda: fn(*args, **kwargs), timeout=timeout)
        except asyncio.TimeoutError:
            raise RenderTimeoutError(
                f"{what} took longer than the image render timeout of {timeout:g} s "
                "(timeouts.image_render, DSA110_DASH_TIMEOUT_IMAGE_RENDER)") from None

    def not_modified(self, etag: str, cache_control: str) -> bool:
        """Set ETag and Cache-Control; True (and a 304 finished) if the client has it."""
        self.set_header("ETag", etag)
        self.set_header("Cache-Control", cache_control)
        if self.check_etag_header():
            self.set_status(304)
            self.finish()
            return True
        return False

    def send_bytes(self, data: bytes, content_type: str, **headers: str) -> None:
        self.set_header("Content-Type", content_type)
        self.set_header("X-Content-Type-Options", "nosniff")
        for name, value in headers.items():
            self.set_header(name.replace("_", "-"), value)
        self.finish(data)

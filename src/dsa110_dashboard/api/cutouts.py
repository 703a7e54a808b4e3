
"""``GET /api/v1/images/{id}/cutout.png`` and ``cutout.fits``: a square around a position.

Query: ``ra``, ``dec`` (degrees, required, finite; dec in [-90, 90]), ``size`` (arcsec,
default 120, at most 3600). PNG also ``stretch``, ``cmap`` and ``px`` (pixels on a
side, 16..2048, default 256).

- 200 ``image/png`` (inline) or ``application/fits`` (attachment), both with a
  descriptive ``Content-Disposition`` name
  (``<image>_cutout_ra<ra>_dec<dec>_<size>arcsec.fits``), ``Cache-Control: private,
  max-age=60`` (on demand, per user, cheap to redo; not worth a shared cache) and a
  strong ``ETag`` from the file's identity and the parameters: ``If-None-Match`` -> 304
  before anything is read. The FITS cutout carries the parent's WCS re-referenced to the
  cutout (``fits.cutout``), beam, unit and time keys.
- 400 JSON naming ``ra``/``dec``/``size``/... for a bad or missing parameter, and
  ``position`` when the position is off the image (or the image has no sky WCS).
- 403 / 404 JSON as for the download; 422 JSON for an unreadable (corrupt) image;
  503 JSON when reading exceeds ``timeouts.image_render``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pydantic import Field

from ..errors import InvalidInputError
from ..fits.cache import file_identity
from ..fits.cutout import cutout_fits, cutout_png
from ..fits.render import ENGINE_VERSION, render_params
from ..fits.stretch import DEFAULT_STRETCH
from .downloads import content_disposition
from .images import ImageFileHandler, parse_float, parse_int
from .spec import Op, Query

DEFAULT_SIZE_ARCSEC = 120.0
MAX_SIZE_ARCSEC = 3600.0
DEFAULT_PX = 256
MIN_PX, MAX_PX = 16, 2048
CACHE_CONTROL = "private, max-age=60"
#: fits.cutout's parameter names -> this endpoint's query parameters.
_QUERY_NAMES = {"ra_deg": "ra", "dec_deg": "dec", "size_arcsec": "size"}


class CutoutQuery(Query):
    ra: float = Field(ge=-360, le=360, allow_inf_nan=False, description="degrees")
    dec: float = Field(ge=-90, le=90, allow_inf_nan=False, description="degrees")
    size: float | None = Field(None, gt=0, le=MAX_SIZE_ARCSEC, allow_inf_nan=False,
                               description=f"arcsec (default {DEFAULT_SIZE_ARCSEC:g})")
    px: int | None = Field(None, ge=MIN_PX, le=MAX_PX, description="PNG pixels on a side")
    stretch: str | None = Field(None, max_length=40)
    cmap: str | None = Field(None, max_length=40)


class CutoutHandler(ImageFileHandler):
    operations = {"get": Op("A square cutout around a position, PNG or FITS",
                            query=CutoutQuery, media=("image/png", "application/fits"),
                            empty=(304,), errors=(422,), heavy="cutout", tag="images")}

    async def get(self, raw_id: str, kind: str) -> None:
        ra = self._required("ra", parse_float("ra", -360.0, 360.0))
        dec = self._required("dec", parse_float("dec", -90.0, 90.0))
        size = self.argument("size", parse_float("size", 0.0, MAX_SIZE_ARCSEC, positive=True),
                             DEFAULT_SIZE_ARCSEC)
        render: dict = {}
        if kind == "png":
            px = self.argument("px", parse_int("px", MIN_PX, MAX_PX), DEFAULT_PX)
            checked = render_params(size=px,
                                    stretch=self.get_query_argument("stretch", None)
                                    or DEFAULT_STRETCH,
                                    cmap=self.get_query_argument("cmap", None) or "inferno")
            render = {"size": checked.size, "stretch": checked.stretch, "cmap": checked.cmap}
        path = await self.image_path(raw_id, must_exist=True)

        identity = await self.blocking(file_identity, path)
        if self.not_modified(_etag(identity, kind, ra, dec, size, render), CACHE_CONTROL):
            return
        if kind == "png":
            data = await self._cut(raw_id, cutout_png, path, ra, dec, size, **render)
            content_type, disposition = "image/png", "inline"
        else:
            data = await self._cut(raw_id, cutout_fits, path, ra, dec, size)
            content_type, disposition = "application/fits", "attachment"
        name = _filename(path, ra, dec, size, kind)
        self.send_bytes(data, content_type,
                        Content_Disposition=content_disposition(disposition, name))

    def _required(self, name: str, parse) -> float:  # noqa: ANN001
        if not (self.get_query_argument(name, None) or "").strip():
            raise InvalidInputError(f"{name} (degrees) is required", parameter=name)
        return self.argument(name, parse, 0.0)

    async def _cut(self, raw_id: str, fn, *args, **kwargs) -> bytes:  # noqa: ANN001
        try:
            return await self.render(f"cutout of image {raw_id}", fn, *args, **kwargs)
        except InvalidInputError as exc:
            name = _QUERY_NAMES.get(exc.parameter or "", exc.parameter)
            raise InvalidInputError(str(exc), parameter=name) from exc


def _etag(identity: tuple, kind: str, ra: float, dec: float, size: float,
          render: dict) -> str:
    blob = json.dumps([ENGINE_VERSION, *identity, kind, ra, dec, size, render],
                      sort_keys=True)
    return '"c-' + hashlib.sha256(blob.encode()).hexdigest()[:40] + '"'


def _filename(path: Path, ra: float, dec: float, size: float, kind: str) -> str:
    stem = path.name.removesuffix(".fits").removesuffix(".image")
    return f"{stem}_cutout_ra{ra % 360:.5f}_dec{dec:+.5f}_{size:g}arcsec.{kind}"

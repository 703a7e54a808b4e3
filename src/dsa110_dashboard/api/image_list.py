"""The image list and one image's record.

- ``GET /api/v1/images?<the /images page's filters>&sort=&order=&offset=&limit=``: a page
  of images with the total. The filters are the page's URL arguments (``from``, ``to``,
  ``type``, ``field``, ``dec_min``/``dec_max``, ``noise_min``/``noise_max`` in mJy/beam,
  ``dr_min``/``dr_max``, ``grade``, ``with_unknown``, ``q``), parsed by the page's codec
  (``queries.image_query``) so that the list, the page and the CSV export agree; paging
  is the API's ``offset``/``limit`` (at most ``DSA110_DASH_PAGE_SIZE_MAX``).
- ``GET /api/v1/images/{id}``: one image's record with its links.
- ``GET /api/v1/images/{id}/provenance``: the measurement set it was made from, the jobs
  of that MS, the calibration tables active at its time and those applied.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import Field

from ..errors import InvalidInputError
from ..queries.image_query import parse
from ..repositories.images import ImageRepository
from ..repositories.paging import DEFAULT_LIMIT, PageRequest
from .images import parse_image_id
from .models import Page, Paging, Record
from .operators import OperatorApiHandler, plain, rows
from .spec import Loose, Op, Query

Grade = Literal["excellent", "good", "marginal", "poor", "unknown"]
SortKey = Literal[ImageRepository.SORT_KEYS]  # type: ignore[valid-type]


class ImageFilterArgs(Query):
    """The /images page's filter arguments (``queries.image_query``)."""

    time_from: str | None = Field(None, alias="from", description="observation time from: "
                                  "MJD or UTC date/time")
    time_to: str | None = Field(None, alias="to", description="observation time to (a bare "
                                "date includes the day)")
    type: list[str] | None = Field(None, description="image types, comma separated")
    field: str | None = Field(None, description="field name (exact)")
    dec_min: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    dec_max: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False)
    noise_min: float | None = Field(None, allow_inf_nan=False, description="mJy/beam")
    noise_max: float | None = Field(None, allow_inf_nan=False, description="mJy/beam")
    dr_min: float | None = Field(None, allow_inf_nan=False, description="dynamic range")
    dr_max: float | None = Field(None, allow_inf_nan=False)
    grade: list[Grade] | None = Field(None, description="latest QA grades; unknown = never "
                                      "assessed")
    with_unknown: bool | None = Field(None, description="images whose filtered value is "
                                      "unknown pass those filters")
    q: str | None = Field(None, max_length=200, description="text in the path")
    sort: SortKey | None = Field(None, description="default mjd")
    order: Literal["asc", "desc"] | None = Field(None, description="default desc")


class ImageFilters(ImageFilterArgs, Paging):
    pass


class ImageItem(Loose):
    id: int
    path: str
    type: str | None = None
    mjd: float | None = None
    qa_grade: str | None = None
    url: str


class ImagePage(Page):
    images: list[ImageItem]


def image_links(image_id: int) -> dict[str, str]:
    base = f"/api/v1/images/{image_id}"
    return {"url": base, "page": f"/images/{image_id}", "fits": f"{base}/fits",
            "thumbnail": f"{base}/thumbnail.png", "provenance": f"{base}/provenance"}


class ImagesHandler(OperatorApiHandler):
    operations = {"get": Op("A page of images, filtered and sorted as on /images",
                            query=ImageFilters, response=ImagePage, tag="images")}

    async def get(self) -> None:
        args = {k: v for k, v in self.request.query_arguments.items()
                if k not in ("offset", "limit", "page", "size")}
        query = parse(args)
        flt = query.image_filter()
        q: ImageFilters = self.query
        limit = q.limit or DEFAULT_LIMIT
        if limit > self.ctx.settings.page_size_max:
            raise InvalidInputError(f"limit must be between 1 and "
                                    f"{self.ctx.settings.page_size_max}", parameter="limit")
        request = PageRequest(offset=q.offset, limit=limit, sort=query.sort,
                              descending=query.order == "desc")
        page = await self.blocking(ImageRepository(self.ctx.db).page, flt, request)
        items = rows(page.rows)
        for item in items:
            item.update(image_links(item["id"]))
        self.write_json({
            "total": page.total, "offset": page.offset, "limit": page.limit,
            "sort": request.sort, "order": "desc" if request.descending else "asc",
            "images": items})


class ImageDetail(Loose):
    id: int
    path: str
    ms_path: str | None = None
    mjd: float | None = None
    url: str


class ImageHandler(OperatorApiHandler):
    operations = {"get": Op("One image's record", response=ImageDetail, tag="images")}

    async def get(self, raw_id: str) -> None:
        image_id = parse_image_id(raw_id)
        record = await self.blocking(ImageRepository(self.ctx.db).get, image_id)
        self.write_json(plain({**dataclasses.asdict(record), **image_links(image_id)}))


class Provenance(Loose):
    image: Record
    measurement_set: Record | None
    jobs: list[Record]
    calibration_tables: list[Record]
    calibration_applied: list[Record]


def _provenance(db, image_id: int) -> dict[str, Any]:  # noqa: ANN001 - Database
    p = ImageRepository(db).provenance(image_id)

    def record(value: Any) -> Any:
        return None if value is None else plain(dataclasses.asdict(value))

    jobs = [record(j) for j in p.jobs]
    for job in jobs:
        job.pop("logs", None)
        job["url"] = f"/api/v1/jobs/{job['id']}"
    return {"image": {**record(p.image), **image_links(image_id)},
            "measurement_set": record(p.measurement_set),
            "jobs": jobs,
            "calibration_tables": [record(t) for t in p.calibration_tables],
            "calibration_applied": [record(a) for a in p.calibration_applied]}


class ImageProvenanceHandler(OperatorApiHandler):
    operations = {"get": Op("What an image was made from: its measurement set, jobs and "
                            "calibration", response=Provenance, tag="images")}

    async def get(self, raw_id: str) -> None:
        image_id = parse_image_id(raw_id)
        self.write_json(await self.blocking(_provenance, self.ctx.db, image_id))

"""The QA endpoints of one image and one measurement set (issue 15, decision 0058).

- ``GET /api/v1/qa/image/{id}?limit=``: every image_qa row of the image (newest first, at
  most ``limit``), each with who measured it (the pipeline's job, or the qa batch) and its
  flux scale and astrometry against the catalogue where the qa batch kept them; the
  latest row; the image's grade and its kind: ``measured`` (the latest row's
  overall_quality) or ``derived-from-dynamic-range`` (never assessed), and whether it
  fails QA (``science.qa.is_failed_qa``); people's current flag and the flag history.
- ``GET /api/v1/qa/ms/{path}?limit=`` (the path URL-encoded, ``/`` as ``%2F``): the
  calibration QA rows of a measurement set, each with its problematic spectral windows
  and its grade from the mean flagged fraction (``flags_total``, else the mean over
  ``per_spw_stats``) beside the pipeline's ``overall_quality``.

An unknown image id or a path that is not a row of ms_index is a 404 (the path is only a
key into the database, as on ``/api/v1/ms/{path}``); a bad ``limit`` is a 400 naming it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..repositories.calibration import CalibrationRepository
from ..repositories.images import ImageRepository
from ..repositories.measurement_sets import MeasurementSetRepository
from ..repositories.flags import ImageFlags
from ..repositories.qa import QARepository
from ..repositories.qa_catalogue import ImageQACatalogueRepository
from ..science.qa import (
    DERIVED_FROM_DR,
    MEASURED,
    UNKNOWN_GRADE,
    grade_calibration_flagged,
    grade_image_dynamic_range,
    is_failed_qa,
)
from pydantic import Field

from .images import parse_image_id, parse_int
from .measurement_sets import ms_api_url
from .operators import OperatorApiHandler, plain
from .spec import Loose, Op, Query

#: Rows listed when ``limit`` is not given, and the most a caller may ask for.
DEFAULT_ROWS, MAX_ROWS = 100, 1000
#: Catalogue values kept beside a row by the qa batch (revision 0010).
CATALOGUE_FIELDS = ("flux_scale_ratio", "astrometry_offset_arcsec", "n_catalogue", "n_matched")


def _missing(db, names: tuple[str, ...]) -> list[str]:  # noqa: ANN001 - Database
    return [t for t in names if not db.catalog[t].exists]


def image_qa(db, image_id: int, limit: int) -> dict[str, Any]:  # noqa: ANN001 - Database
    image = ImageRepository(db).get(image_id)  # NotFoundError for an unknown id
    rows = QARepository(db).image_qa_for(image.path)
    catalogue = ImageQACatalogueRepository(db).for_image(image.path)
    listed = []
    for row in rows[:limit]:
        item = dataclasses.asdict(row)
        item["measured_by"] = ("qa batch (from the pixels)" if row.job_id == 0
                               else f"pipeline job {row.job_id}")
        extra = catalogue.get(row.id)
        item["catalogue"] = (None if extra is None else
                             {k: getattr(extra, k) for k in CATALOGUE_FIELDS})
        listed.append(item)
    if rows:
        grade = {"value": rows[0].overall_quality or UNKNOWN_GRADE, "kind": MEASURED,
                 "from": "overall_quality of the latest image_qa row"}
    else:
        grade = {"value": grade_image_dynamic_range(image.dynamic_range),
                 "kind": DERIVED_FROM_DR,
                 "from": "images.dynamic_range (no image_qa row: never assessed)"}
    grade["failed_qa"] = is_failed_qa(grade["value"])
    flags = ImageFlags(db)
    history = flags.history(image.id)
    return plain({
        "image_id": image.id, "image_path": image.path, "page": f"/images/{image.id}",
        "grade": grade, "latest": listed[0] if listed else None,
        "flag": flags.current([image.id]).get(image.id),
        "flag_history": history.to_dict("records"),
        "total": len(rows), "rows": listed,
        "catalogue_kept": ImageQACatalogueRepository(db).available,
        "missing": _missing(db, ("image_qa",)) + ([] if flags.available
                                                   else ["dash_image_flags"])})


def ms_qa(db, path: str, limit: int) -> dict[str, Any]:  # noqa: ANN001 - Database
    MeasurementSetRepository(db).get(path)  # 404 unless registered
    rows = CalibrationRepository(db).qa_for_ms(path)
    listed = []
    for row in rows[:limit]:
        item = dataclasses.asdict(row)
        fraction, origin = _mean_flagged(row)
        item.update(flagged_fraction=fraction, flagged_fraction_from=origin,
                    grade_from_flagged=grade_calibration_flagged(fraction))
        listed.append(item)
    return plain({
        "ms_path": path, "url": ms_api_url(path),
        "page": "/ms/" + ms_api_url(path).rsplit("/", 1)[1],
        "latest": listed[0] if listed else None, "total": len(rows), "rows": listed,
        "missing": _missing(db, ("calibration_qa",))})


def _mean_flagged(row) -> tuple[float | None, str | None]:  # noqa: ANN001 - CalibrationQARecord
    """(mean flagged fraction, where it came from): ``flags_total`` when it is a fraction
    (the pipeline writes the mean there), else the mean over the SPWs of
    ``per_spw_stats``; (None, None) when neither says."""
    total = row.flags_total
    if isinstance(total, (int, float)) and 0.0 <= total <= 1.0:
        return float(total), "flags_total"
    stats = row.per_spw_stats
    if not isinstance(stats, list):
        return None, None
    fractions = [s.get("fraction_flagged") for s in stats if isinstance(s, dict)]
    fractions = [float(f) for f in fractions
                 if isinstance(f, (int, float)) and not isinstance(f, bool)]
    if not fractions:
        return None, None
    return sum(fractions) / len(fractions), "per_spw_stats"


class RowsQuery(Query):
    limit: int | None = Field(None, ge=1, le=MAX_ROWS, description=f"default {DEFAULT_ROWS}")


class ImageQA(Loose):
    image_id: int
    image_path: str
    grade: dict[str, Any]
    total: int
    rows: list[dict[str, Any]]


class MeasurementSetQA(Loose):
    ms_path: str
    total: int
    rows: list[dict[str, Any]]


class _QAHandler(OperatorApiHandler):
    def limit(self) -> int:
        return self.argument("limit", parse_int("limit", 1, MAX_ROWS), DEFAULT_ROWS)


class ImageQAHandler(_QAHandler):
    operations = {"get": Op("Every QA assessment of one image, its grade and its flags",
                            query=RowsQuery, response=ImageQA, tag="qa")}

    async def get(self, raw_id: str) -> None:
        image_id = parse_image_id(raw_id)
        limit = self.limit()
        self.write_json(await self.blocking(image_qa, self.ctx.db, image_id, limit))


class MeasurementSetQAHandler(_QAHandler):
    operations = {"get": Op("The calibration QA of one measurement set",
                            query=RowsQuery, response=MeasurementSetQA, tag="qa")}

    async def get(self, path: str) -> None:
        limit = self.limit()
        self.write_json(await self.blocking(ms_qa, self.ctx.db, path, limit))

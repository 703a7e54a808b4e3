"""The measurement-set endpoints (issue 14, decision 0051).

- ``GET /api/v1/ms?stage=&status=&from=&to=&cal=yes|no&stuck=1&q=&sort=&order=&offset=&limit=``:
  a page of measurement sets with the total (keys as in ``queries/ms_query.py``), each
  with ``calibration_applied``, ``n_images`` and ``stuck``; ``funnel=1`` adds the
  counts per stage and status and the stuck ones waiting longest with their reasons.
- ``GET /api/v1/ms/{path}`` (the path URL-encoded, ``/`` as ``%2F``): one measurement set
  with its HDF5 subbands, images, jobs and neighbours in time.
- ``GET /api/v1/ms/{path}/calibration``: the tables applied to it, each with its
  registry entry and quality, and its calibration QA.

A path that is not a row of ms_index is a 404: the path is only ever a key into the
database, never opened. Paths the pipeline registered are data and shown as they are,
to whoever may use the API (decision 0026); error messages are scrubbed as everywhere.
"""

from __future__ import annotations

import dataclasses
import time
import urllib.parse
from typing import Any, Literal

from pydantic import Field

from ..queries.ms_query import MsQuery
from ..repositories.calibration import CalibrationRepository
from ..repositories.measurement_sets import MeasurementSetRepository
from ..repositories.ms_detail import (
    SUBBANDS,
    applied_calibration,
    measurement_set_detail,
    missing_tables,
)
from ..repositories.ms_funnel import STUCK_LISTED, MeasurementSetFunnel
from .images import parse_int
from .operators import OperatorApiHandler, page_json, plain, rows
from .models import Page, Paging, Record
from .spec import Loose, Op

#: Path segment of a measurement set: its path, URL-encoded.
MS = r"([^/]+)"


def ms_api_url(path: str) -> str:
    return f"/api/v1/ms/{urllib.parse.quote(path, safe='')}"


def stuck_cutoff(settings) -> float:  # noqa: ANN001 - Settings
    return time.time() - settings.ms_stuck_hours * 3600.0


class MsListQuery(Paging):
    stage: list[str] | None = Field(None, description="pipeline stages")
    status: list[str] | None = Field(None, description="stage statuses")
    time_from: str | None = Field(None, alias="from", max_length=40)
    time_to: str | None = Field(None, alias="to", max_length=40)
    cal: Literal["yes", "no"] | None = Field(None, description="calibration applied")
    stuck: bool | None = None
    q: str | None = Field(None, max_length=200, description="text in the path")
    sort: Literal[MeasurementSetRepository.SORT_KEYS] | None = None  # type: ignore[valid-type]
    funnel: int | None = Field(None, ge=0, le=1, description="1: add the funnel counts")


class MsPage(Page):
    measurement_sets: list[Record]


class MsDetail(Loose):
    path: str
    url: str
    images: list[Record]
    jobs: list[Record]


class MsCalibration(Loose):
    ms_path: str
    applied: list[Record]
    qa: list[Record]


class MeasurementSetsHandler(OperatorApiHandler):
    operations = {"get": Op("A page of measurement sets", query=MsListQuery,
                            response=MsPage, tag="ms")}

    async def get(self) -> None:
        query = MsQuery.from_args({k: self.get_query_arguments(k) for k in MsQuery.KEYS.values()
                                   if k not in ("page", "size")})
        request = self.page_request(sort=MeasurementSetRepository.DEFAULT_SORT)
        query.page_request()  # checks sort by name before any SQL
        with_funnel = self.argument("funnel", parse_int("funnel", 0, 1), 0)
        cutoff = stuck_cutoff(self.ctx.settings)
        flt = query.ms_filter(cutoff)
        db = self.ctx.db

        def read() -> dict[str, Any]:
            page = MeasurementSetRepository(db).page(flt, request, stuck_cutoff=cutoff)
            items = rows(page.rows)
            for item in items:
                item["url"] = ms_api_url(item["path"])
            body = page_json(page, request, "measurement_sets", items)
            body["stuck_hours"] = self.ctx.settings.ms_stuck_hours
            if with_funnel:
                funnel = MeasurementSetFunnel(db)
                body["funnel"] = [dataclasses.asdict(c) for c in funnel.counts(cutoff)]
                body["stuck"] = plain([dataclasses.asdict(s)
                                       for s in funnel.stuck(cutoff, limit=STUCK_LISTED)])
            body["missing"] = missing_tables(db)
            return body

        self.write_json(await self.blocking(read))


def _record(value: Any) -> Any:
    return plain(dataclasses.asdict(value)) if value is not None else None


def _detail(db, path: str) -> dict[str, Any]:  # noqa: ANN001 - Database
    d = measurement_set_detail(db, path)
    images = rows(d.images[[c for c in ("id", "path", "type", "created_at", "noise_jy",
                                        "dynamic_range") if c in d.images.columns]])
    for image in images:
        image["url"] = f"/api/v1/images/{image['id']}/fits"
        image["page"] = f"/images/{image['id']}"
    jobs = rows(d.jobs[[c for c in ("id", "type", "status", "created_at", "finished_at")
                        if c in d.jobs.columns]])
    for job in jobs:
        job["url"] = f"/api/v1/jobs/{job['id']}"
        job["page"] = f"/jobs/{job['id']}"
    return plain({
        **dataclasses.asdict(d.record),
        "url": ms_api_url(d.record.path),
        "calibration_applied": d.calibration_applied,
        "subbands": None if d.subbands is None else {
            "present": d.subbands, "missing": d.missing_subbands, "expected": len(SUBBANDS)},
        "images": images, "jobs": jobs,
        "previous": None if d.previous is None else {"path": d.previous,
                                                      "url": ms_api_url(d.previous)},
        "next": None if d.next is None else {"path": d.next, "url": ms_api_url(d.next)},
        "calibration_url": ms_api_url(d.record.path) + "/calibration",
        "missing": d.missing})


def _calibration(db, path: str) -> dict[str, Any]:  # noqa: ANN001 - Database
    MeasurementSetRepository(db).get(path)  # 404 unless registered
    applied = [{**_record(a.applied), "table": _record(a.table)}
               for a in applied_calibration(db, path)]
    qa = [_record(q) for q in CalibrationRepository(db).qa_for_ms(path)]
    missing = [t for t in missing_tables(db)
               if t in ("calibration_applied", "calibration_qa", "caltables")]
    return plain({"ms_path": path, "applied": applied, "qa": qa, "missing": missing})


class MeasurementSetHandler(MeasurementSetsHandler):
    operations = {"get": Op("One measurement set", response=MsDetail, tag="ms")}

    async def get(self, path: str) -> None:  # type: ignore[override]
        self.write_json(await self.blocking(_detail, self.ctx.db, path))


class MeasurementSetCalibrationHandler(MeasurementSetsHandler):
    operations = {"get": Op("The calibration applied to a measurement set",
                            response=MsCalibration, tag="ms")}

    async def get(self, path: str) -> None:  # type: ignore[override]
        self.write_json(await self.blocking(_calibration, self.ctx.db, path))

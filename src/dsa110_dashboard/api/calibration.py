"""The calibration endpoints (issue 14, decision 0052).

- ``GET /api/v1/cal/tables?set=&type=&state=&field=&valid_at=&sort=&order=&offset=&limit=``:
  a page of the registry with each table's ``state`` (active, expired, retired, failed)
  and what is wrong with its row (``inverted_window``, ``overlaps_active``,
  ``path_problem``); ``type`` and ``state`` repeatable or comma-separated.
- ``GET /api/v1/cal/applylist?mjd=``: the tables the pipeline would apply at ``mjd`` (an
  MJD or an ISO UTC date/time; now when absent) with the warnings.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any, Literal

from pydantic import Field

from ..queries.image_query import parse_time
from ..repositories.cal_registry import STATES, CalibrationRegistry, RegistryFilter
from ..science.times import unix_to_mjd
from .operators import OperatorApiHandler, page_json, plain, rows
from .models import Page, Paging, Record
from .spec import Loose, Op, Query


def _registry(handler: OperatorApiHandler) -> CalibrationRegistry:
    return CalibrationRegistry(handler.ctx.db, handler.ctx.roots)


class CalTablesQuery(Paging):
    set: str | None = Field(None, max_length=200, description="calibration set name")
    type: list[str] | None = Field(None, description="table types")
    state: list[Literal[STATES]] | None = None  # type: ignore[valid-type]
    field: str | None = Field(None, max_length=200, description="calibrator field")
    valid_at: str | None = Field(None, max_length=40, description="MJD or ISO UTC")
    sort: str | None = Field(None, max_length=40)


class CalTablePage(Page):
    tables: list[Record]
    now_mjd: float


class ApplyListQuery(Query):
    mjd: str | None = Field(None, max_length=40, description="MJD or ISO UTC; default now")


class ApplyList(Loose):
    mjd: float
    tables: list[Record]
    missing_types: list[str]
    warnings: list[str]


class CalTablesHandler(OperatorApiHandler):
    operations = {"get": Op("A page of the calibration registry", query=CalTablesQuery,
                            response=CalTablePage, tag="cal")}

    async def get(self) -> None:
        request = self.page_request(sort="created_at")
        arg = self.get_query_argument
        flt = RegistryFilter(
            set_name=(arg("set", None) or None),
            table_types=self.listed("type", max_chars=40),
            states=self.listed("state", STATES),
            cal_field=(arg("field", None) or None),
            valid_at_mjd=parse_time(arg("valid_at", "") or "", "valid_at"))
        now = unix_to_mjd(time.time())
        page = await self.blocking(_registry(self).page, flt, request, now)
        tables = self.shown_paths(rows(page.rows))
        body = page_json(page, request, "tables", tables)
        self.write_json({**body, "now_mjd": now})


class ApplyListHandler(OperatorApiHandler):
    operations = {"get": Op("The tables the pipeline would apply at a time",
                            query=ApplyListQuery, response=ApplyList, tag="cal")}

    async def get(self) -> None:
        mjd = parse_time(self.get_query_argument("mjd", "") or "", "mjd")
        if mjd is None:
            mjd = unix_to_mjd(time.time())
        horizon = self.ctx.settings.cal_expiry_warn_hours
        applied = await self.blocking(_registry(self).apply_list, mjd, horizon)
        tables: list[dict[str, Any]] = [plain(dataclasses.asdict(t)) for t in applied.tables]
        self.write_json(self.shown_paths({
            "mjd": mjd, "horizon_hours": horizon, "tables": tables,
            "missing_types": list(applied.missing_types),
            "expiring": [{"path": p, "hours_left": h} for p, h in applied.expiring],
            "warnings": applied.warnings}))

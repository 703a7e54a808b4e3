"""Measurement Sets (``ms_index``): one row per ~5-minute observation."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from ..errors import NotFoundError
from .paging import Page, PageRequest, fetch_page, order_by
from .records import (
    as_bool,
    column_names,
    empty_page,
    in_values,
    like_contains,
    record_from,
    run_id_for,
    where_all,
)

GOOD_STAGES = frozenset({"imaged", "mosaicked", "cataloged"})
WARN_STAGES = frozenset({"calibrated"})


def coarse_stage_grade(stage: str | None) -> str:
    """The old API's grade from how far the MS got; NOT measured quality."""
    if stage in GOOD_STAGES:
        return "good"
    if stage in WARN_STAGES:
        return "warn"
    return "fail"


@dataclass(frozen=True)
class MeasurementSetRecord:
    path: str
    start_mjd: float | None
    end_mjd: float | None
    mid_mjd: float | None
    processed_at: float | None
    status: str | None
    stage: str | None
    stage_updated_at: float | None
    cal_applied: bool | None
    imagename: str | None
    field_name: str | None
    pointing_ra_deg: float | None
    pointing_dec_deg: float | None
    ra_deg: float | None
    dec_deg: float | None
    group_id: str | None
    created_at: float | None
    run_id: str | None
    #: From the pipeline stage alone (good/warn/fail); not a measured quality.
    coarse_grade: str


@dataclass(frozen=True)
class MeasurementSetFilter:
    stages: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    mjd_min: float | None = None
    mjd_max: float | None = None
    path_contains: str | None = None
    group_id: str | None = None


def measurement_set_record(row) -> MeasurementSetRecord:
    return record_from(MeasurementSetRecord, row,
                       cal_applied=as_bool(row.get("cal_applied")),
                       run_id=run_id_for(row.get("path")),
                       coarse_grade=coarse_stage_grade(row.get("stage")))


def add_derived_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame["run_id"] = [run_id_for(p) for p in frame["path"]]
    frame["coarse_grade"] = [coarse_stage_grade(s) for s in frame["stage"]]
    return frame


class MeasurementSetRepository:
    SORT_KEYS = ("path", "mid_mjd", "start_mjd", "created_at", "processed_at", "stage",
                 "status", "stage_updated_at", "group_id", "field_name")
    DEFAULT_SORT = "mid_mjd"

    def __init__(self, db: Database):
        self.db = db

    def get(self, path: str) -> MeasurementSetRecord:
        record = self.find(path)
        if record is None:
            raise NotFoundError(f"no measurement set {path!r}")
        return record

    def find(self, path: str) -> MeasurementSetRecord | None:
        t = self.db.catalog["ms_index"]
        if not t.exists:
            return None
        with self.db.connect() as conn:
            row = conn.execute(sa.select(*t.columns()).select_from(t.table)
                               .where(t["path"] == path)).mappings().first()
        return measurement_set_record(row) if row else None

    def page(self, filter: MeasurementSetFilter | None = None,
             request: PageRequest | None = None) -> Page[pd.DataFrame]:
        f = filter or MeasurementSetFilter()
        request = request or PageRequest()
        t = self.db.catalog["ms_index"]
        stmt = sa.select(*t.columns())
        allowed = {k: t[k] for k in self.SORT_KEYS}
        if not t.exists:
            order_by(stmt, request, allowed, self.DEFAULT_SORT)
            return empty_page(column_names(t) + ["run_id", "coarse_grade"], request)
        stmt = where_all(stmt.select_from(t.table), [
            in_values(t["stage"], f.stages),
            in_values(t["status"], f.statuses),
            t["mid_mjd"] >= f.mjd_min if f.mjd_min is not None else None,
            t["mid_mjd"] <= f.mjd_max if f.mjd_max is not None else None,
            like_contains(t["path"], f.path_contains) if f.path_contains else None,
            t["group_id"] == f.group_id if f.group_id is not None else None,
        ])
        stmt = order_by(stmt, request, allowed, self.DEFAULT_SORT, tiebreak=t["path"])
        with self.db.connect() as conn:
            page = fetch_page(conn, stmt, request)
        add_derived_columns(page.rows)
        return page

    def _counts(self, column: str) -> dict[str | None, int]:
        t = self.db.catalog["ms_index"]
        if not t.exists:
            return {}
        stmt = (sa.select(t[column], sa.func.count()).select_from(t.table)
                .group_by(t[column]))
        with self.db.connect() as conn:
            return {value: int(n) for value, n in conn.execute(stmt)}

    def counts_by_stage(self) -> dict[str | None, int]:
        """Rows per stage as stored (unknown stages included; NULL under None)."""
        return self._counts("stage")

    def counts_by_status(self) -> dict[str | None, int]:
        return self._counts("status")

"""Measurement Sets (``ms_index``): one row per ~5-minute observation."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from ..errors import NotFoundError
from ..science.qa import coarse_stage_grade
from .ms_funnel import stuck_condition
from .paging import Page, PageRequest, frame_from, order_by
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
    path_equals: str | None = None
    #: True: only those with calibration applied; False: only those without.
    calibration_applied: bool | None = None
    #: Only the stuck ones (ms_funnel.stuck_condition), relative to this cutoff (unix s).
    stuck_cutoff: float | None = None


def measurement_set_record(row) -> MeasurementSetRecord:
    return record_from(MeasurementSetRecord, row,
                       cal_applied=as_bool(row.get("cal_applied")),
                       run_id=run_id_for(row.get("path")),
                       coarse_grade=coarse_stage_grade(row.get("stage")))


def add_derived_columns(frame: pd.DataFrame) -> pd.DataFrame:
    frame["run_id"] = [run_id_for(p) for p in frame["path"]]
    frame["coarse_grade"] = [coarse_stage_grade(s) for s in frame["stage"]]
    for flag in ("calibration_applied", "stuck"):
        if flag in frame.columns:
            frame[flag] = [as_bool(v) for v in frame[flag]]
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
        if not t.exists or "\0" in path:
            # No registered path holds a NUL byte (PostgreSQL text cannot even be asked).
            return None
        with self.db.connect() as conn:
            row = conn.execute(sa.select(*t.columns()).select_from(t.table)
                               .where(t["path"] == path)).mappings().first()
        return measurement_set_record(row) if row else None

    def calibration_applied_expr(self) -> sa.ColumnElement:
        """Applied when calibration_applied has a successful row for the MS, or
        ms_index.cal_applied says so (older databases have only the flag)."""
        t = self.db.catalog["ms_index"]
        flag = sa.func.coalesce(t["cal_applied"], 0) != 0
        applied = self.db.catalog["calibration_applied"]
        if not applied.exists:
            return flag
        row = (sa.select(sa.literal(1)).select_from(applied.table)
               .where(applied["ms_path"] == t["path"],
                      sa.func.coalesce(applied["success"], 1) != 0))
        return sa.or_(row.exists(), flag)

    def images_count_expr(self) -> sa.ColumnElement:
        t = self.db.catalog["ms_index"]
        images = self.db.catalog["images"]
        if not images.exists:
            return sa.cast(sa.null(), sa.Integer)
        return (sa.select(sa.func.count()).select_from(images.table)
                .where(images["ms_path"] == t["path"]).scalar_subquery())

    def page(self, filter: MeasurementSetFilter | None = None,
             request: PageRequest | None = None, *,
             stuck_cutoff: float | None = None) -> Page[pd.DataFrame]:
        """Rows of ms_index with ``calibration_applied`` (bool) and ``n_images``; with
        ``stuck_cutoff`` (unix s) also ``stuck`` (bool, ms_funnel.stuck_condition)."""
        f = filter or MeasurementSetFilter()
        request = request or PageRequest()
        t = self.db.catalog["ms_index"]
        allowed = {k: t[k] for k in self.SORT_KEYS}
        derived = ["run_id", "coarse_grade", "calibration_applied", "n_images"]
        if stuck_cutoff is not None:
            derived.append("stuck")
        if not t.exists:
            order_by(sa.select(), request, allowed, self.DEFAULT_SORT)
            return empty_page(column_names(t) + derived, request)
        applied = self.calibration_applied_expr()
        stmt = sa.select(*t.columns(),
                         sa.case((applied, 1), else_=0).label("calibration_applied"),
                         self.images_count_expr().label("n_images"))
        if stuck_cutoff is not None:
            stmt = stmt.add_columns(
                sa.case((stuck_condition(t, stuck_cutoff), 1), else_=0).label("stuck"))
        conditions = [
            in_values(t["stage"], f.stages),
            in_values(t["status"], f.statuses),
            t["mid_mjd"] >= f.mjd_min if f.mjd_min is not None else None,
            t["mid_mjd"] <= f.mjd_max if f.mjd_max is not None else None,
            like_contains(t["path"], f.path_contains) if f.path_contains else None,
            t["group_id"] == f.group_id if f.group_id is not None else None,
            t["path"] == f.path_equals if f.path_equals is not None else None,
            (applied if f.calibration_applied else sa.not_(applied))
            if f.calibration_applied is not None else None,
            stuck_condition(t, f.stuck_cutoff) if f.stuck_cutoff is not None else None,
        ]
        # The page's paths first, then its rows with their per-row subqueries: in one
        # select PostgreSQL may work those out for every matching row before its sort
        # (120,000 look-ups at one year, 0.5 s) when it costs them as cheap.
        keys = where_all(sa.select(t["path"]).select_from(t.table), conditions)
        keys = order_by(keys, request, allowed, self.DEFAULT_SORT, tiebreak=t["path"])
        # The total counts ms_index rows only: counting the page's select would work out
        # the per-row calibration and image subqueries of every matching row.
        count = where_all(sa.select(sa.func.count()).select_from(t.table), conditions)
        with self.db.connect() as conn:
            total = conn.execute(count).scalar_one()
            paths = conn.execute(keys.limit(request.limit).offset(request.offset)
                                 ).scalars().all()
            stmt = order_by(stmt.select_from(t.table).where(t["path"].in_(paths)), request,
                            allowed, self.DEFAULT_SORT, tiebreak=t["path"])
            rows = frame_from(conn.execute(stmt))
        add_derived_columns(rows)
        return Page(rows=rows, total=int(total), offset=request.offset, limit=request.limit)

    def neighbours(self, path: str) -> tuple[str | None, str | None]:
        """The previous and next measurement set in observation time (mid_mjd, then
        path), or None at either end or when this one has no time."""
        record = self.find(path)
        if record is None or record.mid_mjd is None:
            return None, None
        t = self.db.catalog["ms_index"]
        mid, key = t["mid_mjd"], t["path"]
        here = record.mid_mjd

        def first(condition, *order) -> str | None:  # noqa: ANN001 - SQL expressions
            stmt = sa.select(key).select_from(t.table).where(condition).order_by(*order)
            return conn.execute(stmt.limit(1)).scalar_one_or_none()

        # Each query reads the mid_mjd index in order; an OR of the tie and the strict
        # comparison would scan the table. Same-time observations are ordered by path.
        with self.db.connect() as conn:
            previous = (first(sa.and_(mid == here, key < path), key.desc())
                        or first(mid < here, mid.desc(), key.desc()))
            following = (first(sa.and_(mid == here, key > path), key.asc())
                         or first(mid > here, mid.asc(), key.asc()))
        return previous, following

    def subbands(self, path: str) -> list[str] | None:
        """The subband codes (``sb00``..``sb15``) of the HDF5 files this MS came from,
        matched by its group_id; None when the database has no hdf5 index or no
        group id for it (pipeline-db.md: group_id is the observation's timestamp)."""
        record = self.find(path)
        h = self.db.catalog["hdf5_files"]  # the catalog reads the older name too
        if record is None or not record.group_id or not h.exists:
            return None
        stmt = (sa.select(h["subband_code"]).select_from(h.table)
                .where(h["group_id"] == record.group_id).distinct())
        with self.db.connect() as conn:
            return sorted(c for (c,) in conn.execute(stmt) if c)

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

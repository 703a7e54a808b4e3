"""Calibration tables, the sets they form, where they were applied, and calibration QA.

In the older two-file layout ``caltables`` lives in an attached SQLite file; the catalog
reaches it unqualified, so nothing here depends on the layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..db.catalog import TableView
from ..db.engine import Database
from ..science.qa import PROBLEMATIC_SPW_FLAGGED
from .paging import Page, PageRequest, fetch_page, order_by
from .records import (
    as_bool,
    column_names,
    empty_page,
    in_values,
    json_or_none,
    record_from,
    where_all,
)

@dataclass(frozen=True)
class CalTableRecord:
    id: int
    set_name: str
    path: str
    table_type: str
    order_index: int | None
    cal_field: str | None
    refant: str | None
    created_at: float | None
    valid_start_mjd: float | None
    valid_end_mjd: float | None
    status: str | None
    notes: str | None
    source_ms_path: str | None
    solver_command: str | None
    solver_version: str | None
    #: Parsed JSON; None when NULL or not valid JSON.
    solver_params: Any
    quality_metrics: Any


@dataclass(frozen=True)
class CalibrationSet:
    """The tables sharing a ``set_name``, summarised.

    ``valid_start_mjd``/``valid_end_mjd`` are None when any table's window is open on
    that side. ``status`` is the tables' common status, or ``mixed``.
    """

    set_name: str
    valid_start_mjd: float | None
    valid_end_mjd: float | None
    table_types: tuple[str, ...]
    statuses: tuple[str, ...]
    status: str
    n_tables: int
    created_at: float | None
    expired: bool


@dataclass(frozen=True)
class CalibrationAppliedRecord:
    id: int
    ms_path: str
    caltable_path: str
    applied_at: float | None
    quality: float | None
    success: bool | None
    error_message: str | None


@dataclass(frozen=True)
class CalibrationQARecord:
    id: int
    ms_path: str
    job_id: int | None
    k_metrics: Any
    bp_metrics: Any
    g_metrics: Any
    overall_quality: str | None
    flags_total: float | None
    timestamp: float | None
    #: The parsed per-SPW list (None when NULL or unparseable).
    per_spw_stats: Any
    problematic_spws: tuple[int, ...]


@dataclass(frozen=True)
class CalTableFilter:
    set_name: str | None = None
    table_types: tuple[str, ...] | None = None
    statuses: tuple[str, ...] | None = None
    valid_at_mjd: float | None = None


def problematic_spws(per_spw_stats: Any) -> tuple[int, ...]:
    """SPWs flagged problematic by the pipeline, or averaging > 0.8 flagged when it
    did not say."""
    if not isinstance(per_spw_stats, list):
        return ()
    found = []
    for entry in per_spw_stats:
        if not isinstance(entry, dict) or entry.get("spw_id") is None:
            continue
        flag = entry.get("is_problematic")
        if flag is None:
            fraction = entry.get("fraction_flagged")
            flag = isinstance(fraction, int | float) and fraction > PROBLEMATIC_SPW_FLAGGED
        if flag:
            found.append(entry["spw_id"])
    return tuple(found)


def window_covers(t: TableView, mjd: float) -> sa.ColumnElement:
    """A caltables row's validity window contains ``mjd`` (an open end reaches forever)."""
    # Both ends inclusive, as the pipeline's own registry query has it.
    return sa.and_(
        sa.or_(t["valid_start_mjd"].is_(None), t["valid_start_mjd"] <= mjd),
        sa.or_(t["valid_end_mjd"].is_(None), t["valid_end_mjd"] >= mjd))


def caltable_record(row: Any) -> CalTableRecord:
    return record_from(CalTableRecord, row,
                       solver_params=json_or_none(row.get("solver_params")),
                       quality_metrics=json_or_none(row.get("quality_metrics")))


class CalibrationRepository:
    SORT_KEYS = ("id", "set_name", "table_type", "order_index", "created_at",
                 "valid_start_mjd", "valid_end_mjd", "status")

    def __init__(self, db: Database):
        self.db = db

    def _covers(self, mjd: float) -> sa.ColumnElement:
        return window_covers(self.db.catalog["caltables"], mjd)

    def page(self, filter: CalTableFilter | None = None,
             request: PageRequest | None = None) -> Page[pd.DataFrame]:
        f = filter or CalTableFilter()
        request = request or PageRequest()
        t = self.db.catalog["caltables"]
        stmt = sa.select(*t.columns())
        allowed = {k: t[k] for k in self.SORT_KEYS}
        if not t.exists:
            order_by(stmt, request, allowed, "created_at")
            return empty_page(column_names(t), request)
        stmt = where_all(stmt.select_from(t.table), [
            t["set_name"] == f.set_name if f.set_name is not None else None,
            in_values(t["table_type"], f.table_types),
            in_values(t["status"], f.statuses),
            self._covers(f.valid_at_mjd) if f.valid_at_mjd is not None else None,
        ])
        stmt = order_by(stmt, request, allowed, "created_at", tiebreak=t["id"])
        with self.db.connect() as conn:
            return fetch_page(conn, stmt, request)

    def get(self, caltable_id: int) -> CalTableRecord | None:
        t = self.db.catalog["caltables"]
        if not t.exists:
            return None
        with self.db.connect() as conn:
            row = conn.execute(sa.select(*t.columns()).select_from(t.table)
                               .where(t["id"] == caltable_id)).mappings().first()
        return caltable_record(row) if row else None

    def active_for_mjd(self, mjd: float | None) -> list[CalTableRecord]:
        """The apply list at ``mjd``: active tables whose window covers it, in order."""
        t = self.db.catalog["caltables"]
        if mjd is None or not t.exists:
            return []
        stmt = (sa.select(*t.columns()).select_from(t.table)
                .where(t["status"] == "active", self._covers(mjd))
                .order_by(t["order_index"], t["set_name"], t["id"]))
        with self.db.connect() as conn:
            return [caltable_record(r) for r in conn.execute(stmt).mappings()]

    def sets(self, now_mjd: float | None = None, limit: int = 1000) -> list[CalibrationSet]:
        """One summary per set, newest first. ``expired``: the window ended before
        ``now_mjd`` (never, when no ``now_mjd`` is given or the window is open)."""
        t = self.db.catalog["caltables"]
        if not t.exists:
            return []
        open_start = sa.func.sum(sa.case((t["valid_start_mjd"].is_(None), 1), else_=0))
        open_end = sa.func.sum(sa.case((t["valid_end_mjd"].is_(None), 1), else_=0))
        summary = (
            sa.select(t["set_name"].label("set_name"),
                      sa.func.min(t["valid_start_mjd"]).label("valid_start_mjd"),
                      sa.func.max(t["valid_end_mjd"]).label("valid_end_mjd"),
                      open_start.label("open_start"), open_end.label("open_end"),
                      sa.func.count().label("n_tables"),
                      sa.func.max(t["created_at"]).label("created_at"))
            .select_from(t.table).group_by(t["set_name"])
            .order_by(sa.func.max(t["created_at"]).desc(), t["set_name"]).limit(limit))
        with self.db.connect() as conn:
            rows = conn.execute(summary).mappings().all()
            names = [r["set_name"] for r in rows]
            members = conn.execute(
                sa.select(t["set_name"], t["table_type"], t["status"], t["order_index"])
                .select_from(t.table).where(t["set_name"].in_(names))
                .order_by(t["set_name"], t["order_index"], t["id"])).all() if names else []
        types: dict[str, list[str]] = {}
        statuses: dict[str, list[str]] = {}
        for set_name, table_type, status, _ in members:
            if table_type not in types.setdefault(set_name, []):
                types[set_name].append(table_type)
            if status not in statuses.setdefault(set_name, []):
                statuses[set_name].append(status)
        result = []
        for r in rows:
            start = None if r["open_start"] else r["valid_start_mjd"]
            end = None if r["open_end"] else r["valid_end_mjd"]
            set_statuses = tuple(statuses.get(r["set_name"], ()))
            status = set_statuses[0] if len(set_statuses) == 1 else "mixed"
            expired = now_mjd is not None and end is not None and end < now_mjd
            result.append(CalibrationSet(
                set_name=r["set_name"], valid_start_mjd=start, valid_end_mjd=end,
                table_types=tuple(types.get(r["set_name"], ())), statuses=set_statuses,
                status=status, n_tables=int(r["n_tables"]), created_at=r["created_at"],
                expired=expired))
        return result

    def applied_to(self, ms_path: str) -> list[CalibrationAppliedRecord]:
        t = self.db.catalog["calibration_applied"]
        if not t.exists:
            return []
        stmt = (sa.select(*t.columns()).select_from(t.table)
                .where(t["ms_path"] == ms_path).order_by(t["applied_at"], t["id"]))
        with self.db.connect() as conn:
            return [record_from(CalibrationAppliedRecord, r, success=as_bool(r["success"]))
                    for r in conn.execute(stmt).mappings()]

    def qa_for_ms(self, ms_path: str) -> list[CalibrationQARecord]:
        """Calibration QA rows for an MS, newest first."""
        t = self.db.catalog["calibration_qa"]
        if not t.exists:
            return []
        stmt = (sa.select(*t.columns()).select_from(t.table)
                .where(t["ms_path"] == ms_path).order_by(t["timestamp"].desc(), t["id"].desc()))
        with self.db.connect() as conn:
            return [calibration_qa_record(r) for r in conn.execute(stmt).mappings()]


def calibration_qa_record(row: Any) -> CalibrationQARecord:
    spw = json_or_none(row.get("per_spw_stats"))
    return record_from(
        CalibrationQARecord, row,
        k_metrics=json_or_none(row.get("k_metrics")),
        bp_metrics=json_or_none(row.get("bp_metrics")),
        g_metrics=json_or_none(row.get("g_metrics")),
        per_spw_stats=spw, problematic_spws=problematic_spws(spw))

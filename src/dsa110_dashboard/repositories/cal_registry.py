"""The calibration registry as operators read it: every table with its state and what is
wrong with its row, and the apply-list at an MJD with the warnings it deserves.

``state`` is the stored status, except that an ``active`` table whose window ended before
"now" reads ``expired`` (the pipeline never writes ``expired``; it simply stops applying
the table). Computed in SQL so that it can be filtered and paged there.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..errors import DashboardError, NotFoundError
from ..files import DataRoots
from ..db.engine import Database
from ..science.qa import grade_calibration_flagged
from ..science.times import unix_to_mjd
from .calibration import (
    CalibrationRepository,
    CalTableRecord,
    problematic_spws,
    window_covers,
)
from .paging import Page, PageRequest, fetch_page, frame_from, order_by
from .records import empty_page, in_values, json_or_none, like_contains, where_all

#: The states a registry row can be in, in the order a filter offers them.
STATES = ("active", "expired", "retired", "failed")

#: Stages an observation reaches only after it was imaged.
IMAGED_STAGES = ("imaged", "photometry_complete", "mosaicked", "cataloged")

#: Columns of a registry page, besides those of ``caltables``.
FLAG_COLUMNS = ("state", "inverted_window", "overlaps_active", "path_problem")


@dataclass(frozen=True)
class RegistryFilter:
    set_name: str | None = None
    table_types: tuple[str, ...] | None = None
    states: tuple[str, ...] | None = None
    cal_field: str | None = None
    valid_at_mjd: float | None = None


@dataclass(frozen=True)
class ApplyList:
    """What the pipeline would apply to an observation at ``mjd``."""

    mjd: float
    tables: list[CalTableRecord]
    #: Registered types that have no valid table at ``mjd``.
    missing_types: tuple[str, ...]
    #: (table path, hours left) of applied tables whose window ends within the horizon.
    expiring: tuple[tuple[str, float], ...]

    @property
    def warnings(self) -> list[str]:
        notes = [f"no valid {t} table at this time" for t in self.missing_types]
        # One line per set: its tables usually share one window.
        by_path = {t.path: t for t in self.tables}
        soon: dict[tuple[str, float], list[str]] = {}
        for path, hours in self.expiring:
            table = by_path.get(path)
            key = (table.set_name if table else path, round(hours, 1))
            soon.setdefault(key, []).append(table.table_type if table else "?")
        notes += [f"set {name} ({', '.join(types)}) expires in {hours:.1f} h"
                  for (name, hours), types in soon.items()]
        return notes


class CalibrationRegistry:
    SORT_KEYS = ("id", "set_name", "table_type", "order_index", "created_at",
                 "valid_start_mjd", "valid_end_mjd", "status", "state", "cal_field")

    def __init__(self, db: Database, roots: DataRoots | None = None):
        self.db = db
        self.roots = roots

    def _state(self, now_mjd: float) -> sa.ColumnElement:
        t = self.db.catalog["caltables"]
        return sa.case(
            (sa.and_(t["status"] == "active", t["valid_end_mjd"].is_not(None),
                     t["valid_end_mjd"] < now_mjd), sa.literal("expired")),
            else_=t["status"])

    def _overlaps_active(self) -> sa.ColumnElement:
        """Another active set of the same type whose window shares time with this one.

        Windows that only touch (one ends where the next starts, as weekly sets are
        registered) do not overlap: flagging every such pair would bury the real
        overlaps. Windows open at an end reach to infinity there; an inverted window
        covers no time, so it overlaps nothing (it is flagged on its own)."""
        t = self.db.catalog["caltables"]
        other = t.table.alias("other_cal")

        def o(name: str) -> sa.ColumnElement:
            return other.c[name] if t.has(name) else sa.null()

        def covers_nothing(start: Any, end: Any) -> sa.ColumnElement:
            return sa.and_(start.is_not(None), end.is_not(None), end < start)

        meets = sa.exists().where(
            o("table_type") == t["table_type"], o("set_name") != t["set_name"],
            o("status") == "active",
            sa.or_(o("valid_start_mjd").is_(None), t["valid_end_mjd"].is_(None),
                   o("valid_start_mjd") < t["valid_end_mjd"]),
            sa.or_(o("valid_end_mjd").is_(None), t["valid_start_mjd"].is_(None),
                   o("valid_end_mjd") > t["valid_start_mjd"]),
            sa.not_(covers_nothing(o("valid_start_mjd"), o("valid_end_mjd"))))
        return sa.case(
            (sa.and_(t["status"] == "active",
                     sa.not_(covers_nothing(t["valid_start_mjd"], t["valid_end_mjd"])),
                     meets), 1), else_=0)

    def page(self, filter: RegistryFilter | None, request: PageRequest | None,
             now_mjd: float) -> Page[pd.DataFrame]:
        """One page of tables with ``state`` and the flags; ``path_problem`` is None,
        ``missing`` or ``outside the data roots`` (checked for the page's rows only)."""
        f = filter or RegistryFilter()
        request = request or PageRequest()
        t = self.db.catalog["caltables"]
        state = self._state(now_mjd) if t.exists else sa.null()
        allowed = {k: t[k] for k in self.SORT_KEYS if k != "state"} | {"state": state}
        columns = [c for c in t.definition.c.keys()] + list(FLAG_COLUMNS)
        if not t.exists:
            order_by(sa.select(), request, allowed, "created_at")
            return empty_page(columns, request)
        inverted = sa.case((sa.and_(t["valid_start_mjd"].is_not(None),
                                    t["valid_end_mjd"].is_not(None),
                                    t["valid_end_mjd"] < t["valid_start_mjd"]), 1), else_=0)
        stmt = sa.select(*t.columns(), state.label("state"),
                         inverted.label("inverted_window"),
                         self._overlaps_active().label("overlaps_active"),
                         sa.null().label("path_problem")).select_from(t.table)
        conditions = [
            t["set_name"] == f.set_name if f.set_name else None,
            in_values(t["table_type"], f.table_types),
            in_values(state, f.states),
            like_contains(t["cal_field"], f.cal_field) if f.cal_field else None,
            window_covers(t, f.valid_at_mjd) if f.valid_at_mjd is not None else None,
        ]
        stmt = order_by(where_all(stmt, conditions), request, allowed, "created_at",
                        tiebreak=t["id"])
        # The total without the per-row overlap look-ups, which only the page needs.
        count = where_all(sa.select(sa.func.count()).select_from(t.table), conditions)
        with self.db.connect() as conn:
            page = fetch_page(conn, stmt, request, count_stmt=count)
        rows = page.rows
        if not rows.empty:
            rows["inverted_window"] = rows["inverted_window"].astype(bool)
            rows["overlaps_active"] = rows["overlaps_active"].astype(bool)
            rows["path_problem"] = pd.Series([self.path_problem(p) for p in rows["path"]],
                                             index=rows.index, dtype=object)
            rows["quality_metrics"] = pd.Series(
                [json_or_none(q) for q in rows["quality_metrics"]], index=rows.index,
                dtype=object)
        return replace(page, rows=rows)

    def path_problem(self, path: str | None) -> str | None:
        """Why a registered table path cannot be read, or None when it is there."""
        if self.roots is None:
            return None
        if not path:
            return "missing"
        try:
            self.roots.confine(path, must_exist=True)
        except NotFoundError:
            return "missing"
        except DashboardError:  # forbidden, never served, unresolvable
            return "outside the data roots"
        return None

    def table_types(self) -> list[str]:
        t = self.db.catalog["caltables"]
        if not t.exists:
            return []
        stmt = (sa.select(t["table_type"]).select_from(t.table).group_by(t["table_type"])
                .order_by(sa.func.min(t["order_index"]), t["table_type"]))
        with self.db.connect() as conn:
            return [r[0] for r in conn.execute(stmt)]

    def apply_list(self, mjd: float, horizon_hours: float) -> ApplyList:
        """The pipeline's rule (CalibrationRepository.active_for_mjd) plus warnings:
        a type among the registry's active tables with nothing valid at ``mjd``, and an
        applied table whose window ends within ``horizon_hours`` of ``mjd``."""
        tables = CalibrationRepository(self.db).active_for_mjd(mjd)
        t = self.db.catalog["caltables"]
        known: list[str] = []
        if t.exists:
            stmt = (sa.select(t["table_type"]).select_from(t.table)
                    .where(t["status"] == "active").group_by(t["table_type"])
                    .order_by(sa.func.min(t["order_index"]), t["table_type"]))
            with self.db.connect() as conn:
                known = [r[0] for r in conn.execute(stmt)]
        present = {tab.table_type for tab in tables}
        expiring = []
        for tab in tables:
            if tab.valid_end_mjd is None:
                continue
            hours = (tab.valid_end_mjd - mjd) * 24.0
            if hours <= horizon_hours:
                expiring.append((tab.path, hours))
        return ApplyList(mjd=mjd, tables=tables,
                         missing_types=tuple(k for k in known if k not in present),
                         expiring=tuple(expiring))

    def windows(self, since_mjd: float, until_mjd: float, now_mjd: float,
                limit: int = 2000) -> pd.DataFrame:
        """Tables whose window (inverted ones too) touches [since, until], for the
        timeline: newest windows first, at most ``limit``."""
        t = self.db.catalog["caltables"]
        names = ["id", "set_name", "path", "table_type", "order_index", "cal_field",
                 "valid_start_mjd", "valid_end_mjd", "status"]
        if not t.exists:
            return pd.DataFrame(columns=[*names, "state"])
        start, end = t["valid_start_mjd"], t["valid_end_mjd"]
        stmt = (sa.select(*t.columns(*names), self._state(now_mjd).label("state"))
                .select_from(t.table)
                .where(sa.or_(end.is_(None), end >= since_mjd, start >= since_mjd),
                       sa.or_(start.is_(None), start <= until_mjd, end <= until_mjd))
                .order_by(start.desc().nulls_last(), t["id"].desc()).limit(limit))
        with self.db.connect() as conn:
            return frame_from(conn.execute(stmt))

    def qa_since(self, since_unix: float, limit: int = 2000,
                 until_unix: float | None = None) -> pd.DataFrame | None:
        """Flagged fraction per (calibration-QA row, SPW) since ``since_unix``: columns
        ms_path, mjd (the observation's mid time, else when QA ran), spw, fraction,
        problematic, grade (of the observation's mean over its SPWs, science.md). None when the database has no calibration_qa table."""
        q = self.db.catalog["calibration_qa"]
        if not q.exists:
            return None
        ms = self.db.catalog["ms_index"]
        obs = ms["mid_mjd"] if ms.exists else sa.null()
        source = (q.table.outerjoin(ms.table, ms["path"] == q["ms_path"])
                  if ms.exists else q.table)
        stmt = (sa.select(q["ms_path"], q["timestamp"], q["per_spw_stats"],
                          obs.label("mid_mjd"))
                .select_from(source).where(q["timestamp"] >= since_unix,
                                           *([q["timestamp"] <= until_unix]
                                             if until_unix is not None else []))
                .order_by(q["timestamp"].desc(), q["id"].desc()).limit(limit))
        with self.db.connect() as conn:
            found = conn.execute(stmt).all()
        cells = []
        for ms_path, stamp, raw, mid in found:
            mjd = mid if mid is not None else (unix_to_mjd(stamp) if stamp is not None
                                               else None)
            stats = json_or_none(raw)
            if mjd is None or not isinstance(stats, list):
                continue
            bad = set(problematic_spws(stats))
            row = [(int(entry["spw_id"]), float(entry["fraction_flagged"]))
                   for entry in stats
                   if isinstance(entry, dict) and entry.get("spw_id") is not None
                   and isinstance(entry.get("fraction_flagged"), int | float)]
            if not row:
                continue
            grade = grade_calibration_flagged(sum(f for _, f in row) / len(row))
            cells += [(ms_path, float(mjd), spw, fraction, spw in bad, grade)
                      for spw, fraction in row]
        return pd.DataFrame(cells, columns=["ms_path", "mjd", "spw", "fraction",
                                            "problematic", "grade"])

    def imaged_without_calibration(self, since_mjd: float, until_mjd: float,
                                   limit: int = 2000) -> pd.DataFrame:
        """Observations in [since, until] that reached imaging although no active table
        was valid at their mid time: columns path, mid_mjd, stage."""
        ms = self.db.catalog["ms_index"]
        t = self.db.catalog["caltables"]
        columns = ["path", "mid_mjd", "stage"]
        if not ms.exists:
            return pd.DataFrame(columns=columns)
        mid = ms["mid_mjd"]
        stmt = (sa.select(*ms.columns(*columns)).select_from(ms.table)
                .where(mid >= since_mjd, mid <= until_mjd,
                       ms["stage"].in_(IMAGED_STAGES)))
        if t.exists:
            stmt = stmt.where(~sa.exists().where(t["status"] == "active",
                                                 window_covers(t, mid)))
        stmt = stmt.order_by(mid.desc()).limit(limit)
        with self.db.connect() as conn:
            return frame_from(conn.execute(stmt))

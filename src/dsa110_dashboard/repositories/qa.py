"""The QA tables, and the grades as SQL expressions.

Thresholds, grade words and grade kinds live in ``science/qa.py`` (the one QA module);
this module only turns them into SQL and reads ``image_qa`` / ``calibration_qa``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..db.catalog import TableView
from ..db.engine import Database
from ..science.qa import (  # noqa: F401  (re-exported: many callers import them here)
    DERIVED_FROM_DR,
    DR_EXCELLENT,
    DR_GOOD,
    DR_MARGINAL,
    FAILED_QA_GRADES,
    GRADES,
    MEASURED,
    STAGE_DERIVED,
    grade_calibration_flagged,
    grade_image_dynamic_range,
    image_warnings,
)
from .calibration import problematic_spws
from .paging import frame_from
from .records import empty_frame, json_or_none, record_from


def dynamic_range_grade_sql(dynamic_range: sa.ColumnElement) -> sa.ColumnElement:
    """``grade_image_dynamic_range`` of science/qa.py as a SQL expression (same
    thresholds; tests/repositories/test_qa.py checks they agree)."""
    return sa.case(
        (dynamic_range.is_(None), "unknown"),
        (dynamic_range > DR_EXCELLENT, "excellent"),
        (dynamic_range > DR_GOOD, "good"),
        (dynamic_range > DR_MARGINAL, "marginal"),
        else_="poor")


def latest_grade_sql(qa: TableView, image_path: sa.ColumnElement, *,
                     null_grade: str | None = None) -> sa.ColumnElement:
    """The latest measured grade of the image whose path is ``image_path`` (a column of
    the outer query, correlated): ``overall_quality`` of its image_qa row with the
    greatest (timestamp, id), NULL when never assessed or when ``image_qa`` is missing.
    The one definition of "the image's QA grade"; the dash_idx_image_qa_latest index
    answers it from the index alone. ``null_grade``: what a latest row without a grade
    reads as, so that NULL still means "no row" (the grade counts tell them apart)."""
    if not (qa.exists and qa.has("image_path")):
        return sa.cast(sa.null(), sa.Text)
    grade = qa["overall_quality"]
    if null_grade is not None:
        grade = sa.func.coalesce(grade, null_grade)
    stmt = (sa.select(grade).select_from(qa.table)
            .where(qa["image_path"] == image_path)
            .order_by(qa["timestamp"].desc(), qa["id"].desc()).limit(1))
    outer = getattr(image_path, "table", None)
    if outer is not None:
        stmt = stmt.correlate(outer)
    return stmt.scalar_subquery()


#: Paths per IN list of ``latest_grades`` (below SQLite's oldest 999-parameter limit).
_PATHS_PER_QUERY = 500


def latest_grades(conn: sa.Connection, qa: TableView,
                  image_paths: Iterable[str]) -> dict[str, str | None]:
    """``latest_grade_sql`` of each of ``image_paths`` at once: {path: grade} for the
    assessed ones (a path never assessed is absent; its grade is NULL).

    Why: a lightcurve repeats a few hundred images over thousands of points, and the
    correlated grade once per point cost PostgreSQL ~80 ms for 5,000 points. Here the
    same expression runs once per distinct assessed image (correlated to the image's
    path in a subquery of ``image_qa``), so the rule stays the one above."""
    paths = sorted({p for p in image_paths if p is not None})
    if not paths or not (qa.exists and qa.has("image_path")):
        return {}
    # One statement, its IN list bound at execution (building a literal list of
    # hundreds of paths per call cost more than the lookups).
    wanted = sa.bindparam("paths", expanding=True)
    assessed = (sa.select(qa["image_path"].label("path")).distinct()
                .where(qa["image_path"].in_(wanted)).subquery("assessed"))
    stmt = sa.select(assessed.c.path, latest_grade_sql(qa, assessed.c.path))
    out: dict[str, str | None] = {}
    for start in range(0, len(paths), _PATHS_PER_QUERY):
        out.update(conn.execute(stmt, {"paths": paths[start:start + _PATHS_PER_QUERY]})
                   .tuples().all())
    return out


def failed_qa_grade_sql(grade: sa.ColumnElement) -> sa.ColumnElement:
    """``is_failed_qa(grade)`` of science/qa.py as a SQL expression (NULL is not failed)."""
    return sa.func.coalesce(
        sa.func.lower(sa.func.trim(grade)).in_(sorted(FAILED_QA_GRADES)), False)


@dataclass(frozen=True)
class ImageQARecord:
    id: int
    ms_path: str
    job_id: int | None
    image_path: str
    rms_noise: float | None
    peak_flux: float | None
    dynamic_range: float | None
    beam_major: float | None
    beam_minor: float | None
    beam_pa: float | None
    num_sources: int | None
    thumbnail_path: str | None
    overall_quality: str | None
    timestamp: float | None


SERIES_COLUMNS = ("timestamp", "image_path", "image_id", "rms_noise", "dynamic_range",
                  "overall_quality", "grade_kind")
CAL_SERIES_COLUMNS = ("id", "timestamp", "ms_path", "job_id", "overall_quality",
                      "flags_total", "n_problematic_spws")


def _assessed(q, images) -> sa.ColumnElement:
    """The image has at least one image_qa row."""
    return (sa.select(sa.literal(1)).select_from(q.table)
            .where(q["image_path"] == images["path"]).correlate(images.table).exists())


class QARepository:
    def __init__(self, db: Database):
        self.db = db

    def image_qa_for(self, image_path: str) -> list[ImageQARecord]:
        """Every QA assessment of an image, newest first."""
        q = self.db.catalog["image_qa"]
        if not q.exists:
            return []
        stmt = (sa.select(*q.columns()).select_from(q.table)
                .where(q["image_path"] == image_path)
                .order_by(q["timestamp"].desc(), q["id"].desc()))
        with self.db.connect() as conn:
            return [record_from(ImageQARecord, r) for r in conn.execute(stmt).mappings()]

    def image_qa_series(self, start_unix: float, end_unix: float) -> pd.DataFrame:
        """Image quality over time: measured QA rows in the window, plus images made in
        the window that have no QA row, graded from their dynamic range."""
        images = self.db.catalog["images"]
        q = self.db.catalog["image_qa"]
        parts = []
        if q.exists:
            source = q.table
            image_id = sa.null()
            if images.exists:
                source = q.table.outerjoin(images.table, images["path"] == q["image_path"])
                image_id = images["id"]
            parts.append(
                sa.select(q["timestamp"].label("timestamp"),
                          q["image_path"].label("image_path"),
                          image_id.label("image_id"),
                          q["rms_noise"].label("rms_noise"),
                          q["dynamic_range"].label("dynamic_range"),
                          q["overall_quality"].label("overall_quality"),
                          sa.literal(MEASURED).label("grade_kind"))
                .select_from(source)
                .where(q["timestamp"] >= start_unix, q["timestamp"] <= end_unix))
        if images.exists:
            parts.append(
                sa.select(images["created_at"].label("timestamp"),
                          images["path"].label("image_path"),
                          images["id"].label("image_id"),
                          images["noise_jy"].label("rms_noise"),
                          images["dynamic_range"].label("dynamic_range"),
                          dynamic_range_grade_sql(images["dynamic_range"])
                          .label("overall_quality"),
                          sa.literal(DERIVED_FROM_DR).label("grade_kind"))
                .select_from(images.table)
                .where(images["created_at"] >= start_unix,
                       images["created_at"] <= end_unix,
                       *([~_assessed(q, images)] if q.exists else [])))
        if not parts:
            return empty_frame(SERIES_COLUMNS)
        union = sa.union_all(*parts).subquery()
        stmt = sa.select(union).order_by(union.c.timestamp, union.c.image_path)
        with self.db.connect() as conn:
            return frame_from(conn.execute(stmt), SERIES_COLUMNS)

    def grade_counts(self, since_unix: float | None = None) -> dict[str, dict[str, int]]:
        """Images made since ``since_unix``, one grade each, counted per kind:
        ``{"measured": {...}, "derived-from-dynamic-range": {...}}``. An image's measured
        grade is its latest QA row's (NULL counts as ``unknown``)."""
        images = self.db.catalog["images"]
        q = self.db.catalog["image_qa"]
        counts: dict[str, dict[str, int]] = {MEASURED: {}, DERIVED_FROM_DR: {}}
        if not images.exists:
            return counts
        derived = dynamic_range_grade_sql(images["dynamic_range"])
        # The latest row's grade, 'unknown' for a NULL one, NULL only when the image has
        # no row: one correlated probe of dash_idx_image_qa_latest per image. An EXISTS
        # beside it let PostgreSQL hash all of image_qa (twice, ~200 ms at one year)
        # when it guessed the window held many images.
        measured = latest_grade_sql(q, images["path"], null_grade="unknown")
        inner = sa.select(measured.label("measured"), derived.label("derived")
                          ).select_from(images.table)
        if since_unix is not None:
            inner = inner.where(images["created_at"] >= since_unix)
        inner = inner.subquery()
        kind = sa.case((inner.c.measured.is_(None), DERIVED_FROM_DR), else_=MEASURED)
        grade = sa.func.coalesce(inner.c.measured, inner.c.derived)
        stmt = sa.select(kind, grade, sa.func.count()).group_by(kind, grade)
        with self.db.connect() as conn:
            for kind_value, grade_value, n in conn.execute(stmt):
                counts.setdefault(kind_value, {})[grade_value] = int(n)
        return counts

    def calibration_qa_series(self, start_unix: float, end_unix: float) -> pd.DataFrame:
        """Calibration QA rows in the window, oldest first, with how many SPWs were
        problematic (from ``per_spw_stats``; 0 when it is NULL)."""
        t = self.db.catalog["calibration_qa"]
        if not t.exists:
            return empty_frame(CAL_SERIES_COLUMNS)
        stmt = (sa.select(*t.columns("id", "timestamp", "ms_path", "job_id",
                                     "overall_quality", "flags_total", "per_spw_stats"))
                .select_from(t.table)
                .where(t["timestamp"] >= start_unix, t["timestamp"] <= end_unix)
                .order_by(t["timestamp"], t["id"]))
        with self.db.connect() as conn:
            frame = frame_from(conn.execute(stmt))
        frame["n_problematic_spws"] = [
            len(problematic_spws(json_or_none(s))) for s in frame["per_spw_stats"]]
        return frame.drop(columns=["per_spw_stats"])

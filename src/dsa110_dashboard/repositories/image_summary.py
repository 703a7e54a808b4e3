"""Our per-image summary (``dash_image_summary``, decisions 0033 and 0034).

Two things the pipeline's ``images`` row cannot give a filter cheaply:

* values it lacks (centre, noise, dynamic range NULL): measured by us from the FITS header
  and pixels, so filters can read ``COALESCE(images.x, summary.x)``;
* the image's latest QA grade, indexed, so the QA-grade filter need not look up the latest
  ``image_qa`` row of every image. It is complete up to the marks in
  ``dash_image_summary_state`` (images up to ``images_through``, QA rows up to
  ``qa_through``); later images and images with later QA rows are graded from
  ``image_qa`` directly, so the pipeline's own QA writes are never missed.

A database without revision 0007 (e.g. a pipeline database opened read-only) has neither
table: ``available`` is False and the image queries use the pipeline's columns only.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .. import __version__
from ..db.engine import Database
from .qa import latest_grade_sql

REVISION = "0007_image_summary"
FEATURE = "The image summary (values measured from the FITS files, fast QA-grade filter)"
ENGINE = f"dsa110_dashboard {__version__}"
#: Summary column -> the images column it stands in for.
STANDS_IN_FOR = {"ra_deg": "center_ra_deg", "dec_deg": "center_dec_deg",
                 "noise_jy": "noise_jy", "dynamic_range": "dynamic_range"}
VALUE_COLUMNS = tuple(STANDS_IN_FOR)
#: What "never assessed" is stored as, so ``qa_grade IN (...)`` needs no COALESCE.
UNKNOWN = "unknown"
_STATE_NAME = "image_summary"


@dataclass(frozen=True)
class SummaryMarks:
    """How far the stored grades are complete (see the module docstring)."""

    images_through: int
    qa_through: int
    refreshed_at: float | None


@dataclass(frozen=True)
class ToMeasure:
    image_id: int
    path: str
    #: The summary columns the pipeline's row lacks (header: ra/dec; pixels: the rest).
    columns: tuple[str, ...]

    @property
    def needs_pixels(self) -> bool:
        return "noise_jy" in self.columns or "dynamic_range" in self.columns


class ImageSummaryRepository:
    def __init__(self, db: Database):
        self.db = db

    @property
    def available(self) -> bool:
        catalog = self.db.catalog
        return (catalog.has_table("dash_image_summary")
                and catalog.has_table("dash_image_summary_state"))

    # ------------------------------------------------------------------ reading
    def marks(self, conn: sa.Connection | None = None) -> SummaryMarks | None:
        """The completeness marks, None when the grades were never refreshed."""
        if not self.available:
            return None
        if conn is None:
            with self.db.connect() as own:
                return self.marks(own)
        t = self.db.catalog["dash_image_summary_state"]
        row = conn.execute(sa.select(t["images_through"], t["qa_through"], t["refreshed_at"])
                           .where(t["name"] == _STATE_NAME)).first()
        return SummaryMarks(int(row[0]), int(row[1]), row[2]) if row else None

    def to_measure(self, *, redo: bool = False) -> list[ToMeasure]:
        """Images whose pipeline row lacks a value we have not measured yet (with
        ``redo``: every image lacking one, measured or failed before or not)."""
        catalog = self.db.catalog
        im, s = catalog["images"], catalog["dash_image_summary"]
        if not im.exists:
            return []
        lacks = [im[STANDS_IN_FOR[c]].is_(None) for c in VALUE_COLUMNS]
        stmt = (sa.select(im["id"], im["path"], *lacks)
                .select_from(im.table.outerjoin(s.table, s["image_id"] == im["id"]))
                .where(sa.or_(*lacks)).order_by(im["id"]))
        if not redo:
            # Not yet measured: no row, or a value missing without a recorded failure.
            stmt = stmt.where(s["error"].is_(None), sa.or_(*[
                sa.and_(lack, s[c].is_(None)) for lack, c in zip(lacks, VALUE_COLUMNS)]))
        with self.db.connect() as conn:
            rows = conn.execute(stmt).all()
        return [ToMeasure(int(r[0]), r[1],
                          tuple(c for c, lack in zip(VALUE_COLUMNS, r[2:]) if lack))
                for r in rows]

    # ------------------------------------------------------------------ writing
    def write(self, rows: Iterable[Mapping], conn: sa.Connection | None = None) -> int:
        """Upsert rows of ``image_id`` plus any summary columns; only the columns a row
        gives are changed. Does nothing (returns 0) without the table."""
        rows = [dict(r) for r in rows]
        if not rows or not self.available:
            return 0
        if conn is None:
            with self.db.transaction() as own:
                return self.write(rows, own)
        groups: dict[tuple[str, ...], list[dict]] = {}
        for row in rows:
            row.setdefault("computed_at", time.time())
            row.setdefault("engine", ENGINE)
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for keys, group in groups.items():
            conn.execute(self._upsert(keys), group)
        return len(rows)

    def _upsert(self, keys: tuple[str, ...]) -> sa.Insert:
        table = self.db.catalog["dash_image_summary"].table
        insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
        stmt = insert(table)
        return stmt.on_conflict_do_update(
            index_elements=[table.c.image_id],
            set_={k: stmt.excluded[k] for k in keys if k != "image_id"})

    def refresh_grades(self, *, full: bool = False) -> tuple[int, SummaryMarks]:
        """Give every image a row and bring the stored grades up to date with image_qa,
        then move the marks; returns (rows graded, new marks). Incremental: only images
        newer than the marks, or with QA rows newer than them (``full``: every image)."""
        catalog = self.db.catalog
        im, qa = catalog["images"], catalog["image_qa"]
        now = time.time()
        # A batch step (the image-summary job, scale-db): a full regrade reads every
        # image's QA rows, longer than an interactive query may take.
        with self.db.maintenance_transaction() as conn:
            old = None if full else self.marks(conn)
            images_through = (conn.execute(sa.select(sa.func.max(im["id"])))
                              .scalar() if im.exists else None) or 0
            qa_through = (conn.execute(sa.select(sa.func.max(qa["id"])))
                          .scalar() if qa.exists else None) or 0
            grade = sa.func.coalesce(latest_grade_sql(qa, im["path"]), UNKNOWN)
            touched = sa.select(im["id"], grade.label("g")).where(im["id"] <= images_through)
            if old is not None:
                newer_qa = (sa.select(qa["image_path"]).where(qa["id"] > old.qa_through,
                                                              qa["image_path"].is_not(None)))
                touched = touched.where(sa.or_(im["id"] > old.images_through,
                                               im["path"].in_(newer_qa)))
            graded = ([{"image_id": int(i), "qa_grade": g} for i, g in conn.execute(touched)]
                      if im.exists else [])
            if graded:
                for start in range(0, len(graded), 10_000):
                    conn.execute(self._upsert(("image_id", "qa_grade")),
                                 graded[start:start + 10_000])
            state = catalog["dash_image_summary_state"].table
            insert = postgresql.insert if self.db.dialect == "postgresql" else sqlite.insert
            values = {"name": _STATE_NAME, "images_through": int(images_through),
                      "qa_through": int(qa_through), "refreshed_at": now}
            stmt = insert(state).values(**values)
            conn.execute(stmt.on_conflict_do_update(
                index_elements=[state.c.name],
                set_={k: v for k, v in values.items() if k != "name"}))
        return len(graded), SummaryMarks(int(images_through), int(qa_through), now)

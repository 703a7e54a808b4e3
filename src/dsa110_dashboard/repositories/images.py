"""Image products, with their observation time and latest measured QA grade.

An image's observation time is the ``mid_mjd`` of its Measurement Set. Production has
images whose MS row is missing or has no ``mid_mjd``; those fall back to ``created_at``
(Unix seconds) converted to MJD, and ``mjd_source`` says which one a row carries.

Pages are built in two steps so that the joins cost only what the page shows: the
filtered, sorted and limited ids first (joining ``ms_index`` only when sorting by
``mjd``), then the page's rows with their MJD and QA grade, in one statement.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from ..errors import NotFoundError
from ..science.times import mjd_to_unix, unix_to_mjd
from .calibration import CalibrationAppliedRecord, CalibrationRepository, CalTableRecord
from .jobs import JobRecord, JobRepository
from .measurement_sets import MeasurementSetRecord, MeasurementSetRepository
from .paging import Page, PageRequest, frame_from, order_by
from .records import (
    as_bool,
    empty_frame,
    in_values,
    like_contains,
    record_from,
)

MJD_FROM_MS = "ms_index"
MJD_FROM_CREATED_AT = "created_at"
#: Order of the measured grades when sorting by ``qa_grade`` (other values sort last).
GRADE_RANK = {"excellent": 4, "good": 3, "marginal": 2, "poor": 1, "unknown": 0}
DERIVED_COLUMNS = ("mjd", "mjd_source", "qa_grade")


@dataclass(frozen=True)
class ImageFilter:
    """Every field optional; set fields narrow the result together (AND)."""

    mjd_min: float | None = None
    mjd_max: float | None = None
    created_after: float | None = None
    created_before: float | None = None
    types: tuple[str, ...] | None = None
    field: str | None = None
    dec_min: float | None = None
    dec_max: float | None = None
    noise_min: float | None = None
    noise_max: float | None = None
    dr_min: float | None = None
    dr_max: float | None = None
    #: Latest measured grade; ``unknown`` also matches images never assessed.
    qa_grade: tuple[str, ...] | None = None
    path_contains: str | None = None
    ms_path: str | None = None


@dataclass(frozen=True)
class ImageRecord:
    id: int
    path: str
    ms_path: str
    created_at: float
    type: str
    format: str | None
    beam_major_arcsec: float | None
    beam_minor_arcsec: float | None
    beam_pa_deg: float | None
    noise_jy: float | None
    dynamic_range: float | None
    pbcor: bool | None
    field_name: str | None
    center_ra_deg: float | None
    center_dec_deg: float | None
    imsize_x: int | None
    imsize_y: int | None
    cellsize_arcsec: float | None
    freq_ghz: float | None
    bandwidth_mhz: float | None
    integration_sec: float | None
    #: Observation time (MJD); see ``mjd_source``.
    mjd: float | None
    #: ``ms_index`` (the MS's mid_mjd) or ``created_at`` (the fallback).
    mjd_source: str | None
    #: ``overall_quality`` of the latest image_qa row; None when never assessed.
    qa_grade: str | None


@dataclass(frozen=True)
class Provenance:
    image: ImageRecord
    measurement_set: MeasurementSetRecord | None
    #: Jobs for the image's MS, newest first.
    jobs: tuple[JobRecord, ...]
    #: Active apply list at ``image.mjd`` (whose origin is ``image.mjd_source``).
    calibration_tables: tuple[CalTableRecord, ...]
    calibration_applied: tuple[CalibrationAppliedRecord, ...]


class _Query:
    """The expressions of one database's images, MS and QA tables."""

    def __init__(self, db: Database):
        catalog = db.catalog
        self.images = catalog["images"]
        self.ms = catalog["ms_index"]
        self.qa = catalog["image_qa"]
        im, ms, qa = self.images, self.ms, self.qa
        self.exists = im.exists
        self.image_columns = list(im.definition.c.keys())
        self.joins_ms = ms.exists and ms.has("path") and ms.has("mid_mjd")
        self.created_mjd = unix_to_mjd(im["created_at"])
        if self.joins_ms:
            self.mjd = sa.func.coalesce(ms["mid_mjd"], self.created_mjd)
            self.mjd_source = sa.case((ms["mid_mjd"].is_not(None), MJD_FROM_MS),
                                      else_=MJD_FROM_CREATED_AT)
        else:
            self.mjd = self.created_mjd
            self.mjd_source = sa.literal(MJD_FROM_CREATED_AT)
        if qa.exists and qa.has("image_path"):
            self.qa_grade = (
                sa.select(qa["overall_quality"]).select_from(qa.table)
                .where(qa["image_path"] == im["path"])
                .order_by(qa["timestamp"].desc(), qa["id"].desc()).limit(1)
                .correlate(im.table).scalar_subquery())
            self.has_qa = True
        else:
            self.qa_grade = sa.type_coerce(sa.null(), sa.Text)
            self.has_qa = False
        self.sort_keys = {
            "id": im["id"], "created_at": im["created_at"], "mjd": self.mjd,
            "type": im["type"], "noise_jy": im["noise_jy"],
            "dynamic_range": im["dynamic_range"], "center_dec_deg": im["center_dec_deg"],
            "center_ra_deg": im["center_ra_deg"], "field_name": im["field_name"],
            "path": im["path"],
            "qa_grade": sa.case(GRADE_RANK, value=self.qa_grade, else_=None),
        }

    def source(self, with_ms: bool) -> sa.FromClause:
        if with_ms and self.joins_ms:
            return self.images.table.outerjoin(
                self.ms.table, self.ms["path"] == self.images["ms_path"])
        return self.images.table

    def rows(self) -> sa.Select:
        """Every images column plus mjd, mjd_source and qa_grade, from images + MS."""
        stmt = sa.select(*self.images.columns(),
                         self.mjd.label("mjd"), self.mjd_source.label("mjd_source"),
                         self.qa_grade.label("qa_grade"))
        return stmt.select_from(self.source(True)) if self.exists else stmt

    def conditions(self, f: ImageFilter) -> list[sa.ColumnElement]:
        im = self.images
        found: list[sa.ColumnElement | None] = [
            self._mjd_range(f.mjd_min, f.mjd_max)
            if f.mjd_min is not None or f.mjd_max is not None else None,
            im["created_at"] >= f.created_after if f.created_after is not None else None,
            im["created_at"] <= f.created_before if f.created_before is not None else None,
            in_values(im["type"], f.types),
            im["field_name"] == f.field if f.field is not None else None,
            im["center_dec_deg"] >= f.dec_min if f.dec_min is not None else None,
            im["center_dec_deg"] <= f.dec_max if f.dec_max is not None else None,
            im["noise_jy"] >= f.noise_min if f.noise_min is not None else None,
            im["noise_jy"] <= f.noise_max if f.noise_max is not None else None,
            im["dynamic_range"] >= f.dr_min if f.dr_min is not None else None,
            im["dynamic_range"] <= f.dr_max if f.dr_max is not None else None,
            sa.func.coalesce(self.qa_grade, "unknown").in_(list(f.qa_grade))
            if f.qa_grade is not None else None,
            like_contains(im["path"], f.path_contains) if f.path_contains else None,
            im["ms_path"] == f.ms_path if f.ms_path is not None else None,
        ]
        return [c for c in found if c is not None]

    def _mjd_range(self, lo: float | None, hi: float | None) -> sa.ColumnElement:
        """Observation time in [lo, hi], as ids from two index-driven branches: MS rows
        in range (mid_mjd index, then images by ms_path) and images in the created_at
        range (created_at index) whose MS gives no mid_mjd. A join over the whole table
        would be slower, and an OR over correlated subqueries defeats PostgreSQL."""
        im, ms = self.images, self.ms

        def between(column: sa.ColumnElement, low, high) -> list[sa.ColumnElement]:
            return ([column >= low] if low is not None else []) + (
                [column <= high] if high is not None else [])

        lo_unix = mjd_to_unix(lo) if lo is not None else None
        hi_unix = mjd_to_unix(hi) if hi is not None else None
        if not self.joins_ms:
            return sa.and_(*between(im["created_at"], lo_unix, hi_unix))
        inner_im = im.table.alias("mjd_images")
        inner_ms = ms.table.alias("mjd_ms")
        by_ms = (sa.select(inner_im.c.id)
                 .select_from(inner_im.join(inner_ms, inner_ms.c.path == inner_im.c.ms_path))
                 .where(*between(inner_ms.c.mid_mjd, lo, hi)))
        by_created = (sa.select(inner_im.c.id)
                      .select_from(inner_im.outerjoin(
                          inner_ms, inner_ms.c.path == inner_im.c.ms_path))
                      .where(inner_ms.c.mid_mjd.is_(None),
                             *between(inner_im.c.created_at, lo_unix, hi_unix)))
        return im["id"].in_(sa.union_all(by_ms, by_created))

def _image_record(row) -> ImageRecord:
    return record_from(ImageRecord, row, pbcor=as_bool(row.get("pbcor")))


class ImageRepository:
    SORT_KEYS = ("id", "created_at", "mjd", "type", "noise_jy", "dynamic_range",
                 "center_dec_deg", "center_ra_deg", "field_name", "path", "qa_grade")
    DEFAULT_SORT = "created_at"

    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------- single rows
    def get(self, image_id: int) -> ImageRecord:
        record = self._first(lambda q: q.images["id"] == image_id)
        if record is None:
            raise NotFoundError(f"no image with id {image_id}")
        return record

    def get_by_path(self, path: str) -> ImageRecord:
        record = self._first(lambda q: q.images["path"] == path)
        if record is None:
            raise NotFoundError(f"no image {path!r}")
        return record

    def latest(self) -> ImageRecord | None:
        """The most recently made image."""
        q = _Query(self.db)
        if not q.exists:
            return None
        stmt = q.rows().order_by(q.images["created_at"].desc(), q.images["id"].desc())
        with self.db.connect() as conn:
            row = conn.execute(stmt.limit(1)).mappings().first()
        return _image_record(row) if row else None

    def _first(self, condition) -> ImageRecord | None:
        q = _Query(self.db)
        if not q.exists:
            return None
        with self.db.connect() as conn:
            row = conn.execute(q.rows().where(condition(q)).limit(1)).mappings().first()
        return _image_record(row) if row else None

    # ----------------------------------------------------------------- lists
    def page(self, filter: ImageFilter | None = None,
             request: PageRequest | None = None) -> Page[pd.DataFrame]:
        """One page of images with mjd, mjd_source and qa_grade, and the total."""
        request = request or PageRequest()
        q = _Query(self.db)
        key = request.sort or self.DEFAULT_SORT
        columns = q.image_columns + list(DERIVED_COLUMNS)
        # Validates the sort key even when there is nothing to sort.
        keys = order_by(sa.select(q.images["id"].label("id"),
                                  q.sort_keys.get(key, sa.null()).label("sort_key")),
                        request, q.sort_keys, self.DEFAULT_SORT, tiebreak=q.images["id"])
        if not q.exists:
            return Page(rows=empty_frame(columns), total=0, offset=request.offset,
                        limit=request.limit)
        conditions = q.conditions(filter or ImageFilter())
        im = q.images
        count = sa.select(sa.func.count()).select_from(im.table).where(*conditions)
        keys = (keys.select_from(q.source(with_ms=key == "mjd")).where(*conditions)
                .limit(request.limit).offset(request.offset).subquery("page_keys"))
        page_rows = keys.join(im.table, im["id"] == keys.c.id)
        if q.joins_ms:
            page_rows = page_rows.outerjoin(q.ms.table, q.ms["path"] == im["ms_path"])
        rows = sa.select(*im.columns(), q.mjd.label("mjd"),
                         q.mjd_source.label("mjd_source"), q.qa_grade.label("qa_grade")
                         ).select_from(page_rows)
        rows = order_by(rows, request, {key: keys.c.sort_key}, key, tiebreak=keys.c.id)
        with self.db.connect() as conn:
            total = conn.execute(count).scalar_one()
            frame = frame_from(conn.execute(rows), columns)
        return Page(rows=frame, total=int(total), offset=request.offset,
                    limit=request.limit)

    def iter_rows(self, filter: ImageFilter | None = None,
                  request: PageRequest | None = None,
                  chunk_size: int = 5000) -> Iterator[pd.DataFrame]:
        """Every filtered row in the requested order, ``chunk_size`` rows at a time.

        One statement read through a server-side cursor (PostgreSQL) or SQLite's lazy
        cursor, so memory stays bounded by the chunk; offset and limit are ignored.
        The connection stays open until the iterator is exhausted or closed.
        """
        request = request or PageRequest()
        q = _Query(self.db)
        # Built before iterating so that a bad sort key fails at the call.
        stmt = order_by(q.rows(), request, q.sort_keys, self.DEFAULT_SORT,
                        tiebreak=q.images["id"])
        if not q.exists:
            return iter(())
        stmt = stmt.where(*q.conditions(filter or ImageFilter()))
        return self._stream(stmt, q.image_columns + list(DERIVED_COLUMNS), chunk_size)

    def _stream(self, stmt: sa.Select, columns: list[str],
                chunk_size: int) -> Iterator[pd.DataFrame]:
        with self.db.connect() as conn:
            result = conn.execution_options(yield_per=chunk_size).execute(stmt)
            for part in result.partitions(chunk_size):
                yield pd.DataFrame(part, columns=columns)

    def neighbours(self, image_id: int) -> tuple[int | None, int | None]:
        """Ids of the images just before and after this one in observation time
        (ties broken by id)."""
        image = self.get(image_id)
        q = _Query(self.db)
        im = q.images
        mjd, this_id = image.mjd, image.id
        before = sa.or_(q.mjd < mjd, sa.and_(q.mjd == mjd, im["id"] < this_id))
        after = sa.or_(q.mjd > mjd, sa.and_(q.mjd == mjd, im["id"] > this_id))
        base = sa.select(im["id"]).select_from(q.source(True))
        prev_stmt = base.where(before).order_by(q.mjd.desc(), im["id"].desc()).limit(1)
        next_stmt = base.where(after).order_by(q.mjd.asc(), im["id"].asc()).limit(1)
        with self.db.connect() as conn:
            return conn.execute(prev_stmt).scalar(), conn.execute(next_stmt).scalar()

    def centres(self, since_unix: float | None = None, limit: int = 10000) -> pd.DataFrame:
        """Image centres for a sky-coverage map, newest first: id, ra, dec, mjd.
        Images with no recorded centre are left out."""
        q = _Query(self.db)
        columns = ["id", "ra", "dec", "mjd"]
        if not q.exists:
            return empty_frame(columns)
        im = q.images
        stmt = (sa.select(im["id"].label("id"), im["center_ra_deg"].label("ra"),
                          im["center_dec_deg"].label("dec"), q.mjd.label("mjd"))
                .select_from(q.source(True))
                .where(im["center_ra_deg"].is_not(None), im["center_dec_deg"].is_not(None))
                .order_by(im["created_at"].desc(), im["id"].desc()).limit(limit))
        if since_unix is not None:
            stmt = stmt.where(im["created_at"] >= since_unix)
        with self.db.connect() as conn:
            return frame_from(conn.execute(stmt), columns)

    def types(self) -> list[str]:
        """The image types present, as stored (any vocabulary)."""
        im = self.db.catalog["images"]
        if not im.exists:
            return []
        stmt = (sa.select(im["type"]).select_from(im.table).where(im["type"].is_not(None))
                .distinct().order_by(im["type"]))
        with self.db.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def provenance(self, image_id: int) -> Provenance:
        image = self.get(image_id)
        calibration = CalibrationRepository(self.db)
        return Provenance(
            image=image,
            measurement_set=MeasurementSetRepository(self.db).find(image.ms_path),
            jobs=tuple(JobRepository(self.db).for_ms(image.ms_path)),
            calibration_tables=tuple(calibration.active_for_mjd(image.mjd)),
            calibration_applied=tuple(calibration.applied_to(image.ms_path)))

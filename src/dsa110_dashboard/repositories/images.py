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
from dataclasses import dataclass, replace

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from ..errors import NotFoundError
from ..science.times import mjd_to_unix, unix_to_mjd
from .calibration import CalibrationAppliedRecord, CalibrationRepository, CalTableRecord
from .image_summary import STANDS_IN_FOR, ImageSummaryRepository, SummaryMarks
from .image_summary import UNKNOWN as UNKNOWN_GRADE
from .jobs import JobRecord, JobRepository
from .measurement_sets import MeasurementSetRecord, MeasurementSetRepository
from .paging import Page, PageRequest, frame_from, order_by, raw_frame
from .qa import latest_grade_sql
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
#: A page in time order is read by walking the time indexes (each image tested) when at
#: least this many times the rows up to the page's end match: the walk then reads at most
#: 1/WALK_FACTOR of the images. Fewer matches: their ids are fetched and sorted.
WALK_FACTOR = 20
#: Filters our summary can answer where the pipeline's value is NULL:
#: (ImageFilter field prefix, images column, dash_image_summary column).
VALUE_FILTERS = (("dec", "center_dec_deg", "dec_deg"), ("noise", "noise_jy", "noise_jy"),
                 ("dr", "dynamic_range", "dynamic_range"))


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
    #: Let images whose filtered dec/noise/dynamic range is unknown (NULL in the pipeline
    #: and not measured by us) through those filters instead of leaving them out.
    with_unknown: bool = False

    def value_bounds(self) -> dict[str, tuple[float | None, float | None]]:
        """The active dec/noise/dr bounds by prefix (``VALUE_FILTERS``)."""
        out = {}
        for prefix, _, _ in VALUE_FILTERS:
            lo, hi = getattr(self, f"{prefix}_min"), getattr(self, f"{prefix}_max")
            if lo is not None or hi is not None:
                out[prefix] = (lo, hi)
        return out


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

    def __init__(self, db: Database, marks: SummaryMarks | None = None):
        catalog = db.catalog
        self.marks = marks
        self.summary = catalog["dash_image_summary"]
        self.has_summary = ImageSummaryRepository(db).available
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
        self.qa_grade = latest_grade_sql(qa, im["path"])
        self.sort_keys = {
            "id": im["id"], "created_at": im["created_at"], "mjd": self.mjd,
            "type": im["type"], "noise_jy": self.value("noise_jy"),
            "dynamic_range": self.value("dynamic_range"),
            "center_dec_deg": self.value("center_dec_deg"),
            "center_ra_deg": self.value("center_ra_deg"), "field_name": im["field_name"],
            "path": im["path"],
            "qa_grade": sa.case(GRADE_RANK, value=self.qa_grade, else_=None),
        }

    def untimed_by_ms(self, ms_path: sa.ColumnElement) -> sa.ColumnElement:
        """The image whose MS is ``ms_path`` takes its time from created_at: no MS row, or
        one without mid_mjd. A scalar subquery (one primary-key lookup per image) rather
        than an outer join: the created_at branches read a few images from their index,
        and PostgreSQL, unable to size that range at planning time, hashed the whole MS
        table for the join (~190 ms at one year; decision 0075)."""
        timed = self.ms.table.alias("ms_time")
        return (sa.select(timed.c.mid_mjd).where(timed.c.path == ms_path)
                .correlate_except(timed).scalar_subquery().is_(None))

    def value(self, column: str) -> sa.ColumnElement:
        """An images column, completed by our measured value where the pipeline has
        none (needs ``source(with_summary=True)``)."""
        summary_column = {c: s for s, c in STANDS_IN_FOR.items()}.get(column)
        if summary_column is None or not self.has_summary:
            return self.images[column]
        return sa.func.coalesce(self.images[column], self.summary[summary_column])

    def display_columns(self) -> list[sa.ColumnElement]:
        """Every images column, the four a summary completes as ``value``."""
        return [self.value(c).label(c) if c in STANDS_IN_FOR.values() else self.images.col(c)
                for c in self.image_columns]

    def source(self, with_ms: bool, with_summary: bool = False) -> sa.FromClause:
        joined = self.images.table
        if with_ms and self.joins_ms:
            joined = joined.outerjoin(self.ms.table, self.ms["path"] == self.images["ms_path"])
        if with_summary and self.has_summary:
            joined = joined.outerjoin(self.summary.table,
                                      self.summary["image_id"] == self.images["id"])
        return joined

    def rows(self, with_summary: bool = False) -> sa.Select:
        """Every images column plus mjd, mjd_source and qa_grade, from images + MS
        (``with_summary``: values the pipeline lacks completed by ours)."""
        columns = self.display_columns() if with_summary else self.images.columns()
        stmt = sa.select(*columns,
                         self.mjd.label("mjd"), self.mjd_source.label("mjd_source"),
                         self.qa_grade.label("qa_grade"))
        return stmt.select_from(self.source(True, with_summary)) if self.exists else stmt

    def conditions(self, f: ImageFilter, *, walk_order: bool = False) -> list[sa.ColumnElement]:
        """The filter's WHERE clauses. ``walk_order``: the caller reads an index in the
        page's order and wants each image tested, not the matching ids fetched and sorted
        (the better plan when many images match)."""
        im = self.images
        found: list[sa.ColumnElement | None] = [
            self._mjd_range(f.mjd_min, f.mjd_max)
            if f.mjd_min is not None or f.mjd_max is not None else None,
            im["created_at"] >= f.created_after if f.created_after is not None else None,
            im["created_at"] <= f.created_before if f.created_before is not None else None,
            in_values(im["type"], f.types),
            im["field_name"] == f.field if f.field is not None else None,
            *[self._in_range(prefix, lo, hi, f.with_unknown)
              for prefix, (lo, hi) in f.value_bounds().items()],
            self._grade_in(f.qa_grade, walk_order) if f.qa_grade is not None else None,
            like_contains(im["path"], f.path_contains) if f.path_contains else None,
            im["ms_path"] == f.ms_path if f.ms_path is not None else None,
        ]
        return [c for c in found if c is not None]

    def mjd_page_keys(self, conditions: list[sa.ColumnElement], request: PageRequest,
                      walk_order: bool = False) -> sa.Subquery:
        """(id, sort_key) of one page in observation-time order, from two index-driven
        branches instead of sorting every image by COALESCE(mid_mjd, created_at):
        the first offset+limit images by their MS's mid_mjd (mid_mjd index), and the
        images without one by created_at (its index), only as far as the first branch's
        last key; the page is the merge of the two (decision 0034)."""
        im, ms = self.images, self.ms
        desc = request.descending
        top = request.offset + request.limit

        def ordered(column: sa.ColumnElement) -> list[sa.ColumnElement]:
            return [column.desc(), im["id"].desc()] if desc else [column.asc(), im["id"].asc()]

        pair = im["ms_path"] == ms["path"]
        if walk_order:
            # The MS table read first, in mid_mjd order, each MS's images tested in the
            # join: as a LEFT JOIN whose ON holds the filter, SQLite keeps that order (an
            # inner join lets it scan and sort all images when it cannot size a filter,
            # or build a Bloom filter over them all for a walk that stops after a page).
            by_ms = (sa.select(im["id"].label("id"), ms["mid_mjd"].label("sort_key"))
                     .select_from(ms.table.outerjoin(im.table, sa.and_(pair, *conditions)))
                     .where(ms["mid_mjd"].is_not(None), im["id"].is_not(None)))
        else:
            by_ms = (sa.select(im["id"].label("id"), ms["mid_mjd"].label("sort_key"))
                     .select_from(ms.table.join(im.table, pair))
                     .where(ms["mid_mjd"].is_not(None), *conditions))
        by_ms = by_ms.order_by(*ordered(ms["mid_mjd"])).limit(top)
        # Read twice (the page's rows, and the bound below): a common table expression,
        # so that the walk runs once; as a subquery PostgreSQL ran it twice, which
        # doubled the cost of a QA-grade filter's walk (decision 0075).
        first = by_ms.cte("mjd_by_ms")
        # The first branch's last key once it has a full page's worth: an image without
        # mid_mjd observed beyond it cannot be on the page. One second of slack for the
        # MJD <-> Unix conversion; extra rows only cost their sort.
        last = sa.select(sa.case((sa.func.count() >= top,
                                  (sa.func.min if desc else sa.func.max)(first.c.sort_key)),
                                 else_=None)).scalar_subquery()
        last_unix = mjd_to_unix(last)
        bound = (im["created_at"] >= sa.func.coalesce(last_unix - 1.0, -1e300) if desc
                 else im["created_at"] <= sa.func.coalesce(last_unix + 1.0, 1e300))
        by_created = (sa.select(im["id"].label("id"), self.created_mjd.label("sort_key"))
                      .select_from(im.table)
                      .where(self.untimed_by_ms(im["ms_path"]), bound, *conditions)
                      .order_by(*ordered(im["created_at"])).limit(top))
        # Each branch as a subquery: SQLite takes no ORDER BY/LIMIT on a compound's parts.
        second = by_created.subquery("mjd_by_created")
        merged = sa.union_all(sa.select(first.c.id, first.c.sort_key),
                              sa.select(second.c.id, second.c.sort_key)).subquery("mjd_merged")
        key = merged.c.sort_key.desc() if desc else merged.c.sort_key.asc()
        tie = merged.c.id.desc() if desc else merged.c.id.asc()
        return (sa.select(merged.c.id, merged.c.sort_key).order_by(key.nulls_last(), tie)
                .limit(request.limit).offset(request.offset).subquery("page_keys"))

    def _in_range(self, prefix: str, lo: float | None, hi: float | None,
                  with_unknown: bool) -> sa.ColumnElement:
        """COALESCE(images.x, summary.x) in [lo, hi], written as an OR of the pipeline's
        column and the summary's ids so that each side can use its own index."""
        _, column, summary_column = next(v for v in VALUE_FILTERS if v[0] == prefix)

        def bounds(c: sa.ColumnElement) -> list[sa.ColumnElement]:
            return ([c >= lo] if lo is not None else []) + ([c <= hi] if hi is not None else [])

        im = self.images
        found = sa.and_(*bounds(im[column]))
        if self.has_summary:
            measured = (sa.select(self.summary["image_id"])
                        .where(*bounds(self.summary[summary_column])))
            found = sa.or_(found, sa.and_(im[column].is_(None), im["id"].in_(measured)))
        return sa.or_(found, self.unknown(prefix)) if with_unknown else found

    def unknown(self, prefix: str) -> sa.ColumnElement:
        """The value filtered by ``prefix`` is known neither to the pipeline nor to us."""
        _, column, summary_column = next(v for v in VALUE_FILTERS if v[0] == prefix)
        im = self.images
        if not self.has_summary:
            return im[column].is_(None)
        known = (sa.select(self.summary["image_id"])
                 .where(self.summary[summary_column].is_not(None)))
        return sa.and_(im[column].is_(None), im["id"].not_in(known))

    def _grade_in(self, grades: tuple[str, ...], walk_order: bool = False) -> sa.ColumnElement:
        """The latest grade is one of ``grades`` (NULL and never assessed: "unknown").

        With summary marks, images up to the marks whose QA rows are all up to the marks
        are answered by the summary's grade index; the rest (new images, images with new
        QA rows) by the image_qa lookup, so the pipeline's own QA writes count at once
        (decision 0034)."""
        grades = list(grades)
        marks, im, qa = self.marks, self.images, self.qa
        if marks is None or not self.has_summary:
            return sa.func.coalesce(self.qa_grade, UNKNOWN_GRADE).in_(grades)
        s = self.summary
        newer_qa = None
        if qa.exists and qa.has("image_path"):
            newer_qa = sa.select(qa["image_path"]).where(qa["id"] > marks.qa_through,
                                                         qa["image_path"].is_not(None))
        if walk_order:
            # Tested image by image as the time index is read: the summary row by its key,
            # the lookup only for images behind the marks.
            stored = (sa.select(sa.literal(1)).select_from(s.table)
                      .where(s["image_id"] == im["id"], s["qa_grade"].in_(grades))
                      .correlate(im.table).exists())
            behind = im["id"] > marks.images_through
            up_to_date = [im["id"] <= marks.images_through]
            if newer_qa is not None:
                behind = sa.or_(behind, im["path"].in_(newer_qa))
                up_to_date.append(im["path"].not_in(newer_qa))
            looked_up = sa.func.coalesce(self.qa_grade, UNKNOWN_GRADE).in_(grades)
            return sa.or_(sa.and_(*up_to_date, stored), sa.and_(behind, looked_up))
        return im["id"].in_(self.graded_ids(tuple(grades)))

    def graded_ids(self, grades: tuple[str, ...]) -> sa.CompoundSelect | None:
        """The ids of the images whose latest grade is one of ``grades``, each once, from
        the summary's grade index and the lookup for images behind the marks; None
        without marks. As a list the database builds once and starts from: the better
        plan when few images match, and a count that reads no more than the index."""
        marks, im, qa, s = self.marks, self.images, self.qa, self.summary
        if marks is None or not self.has_summary:
            return None
        grades = list(grades)
        newer_qa = None
        if qa.exists and qa.has("image_path"):
            newer_qa = sa.select(qa["image_path"]).where(qa["id"] > marks.qa_through,
                                                         qa["image_path"].is_not(None))
        other = im.table.alias("graded_images")
        other_grade = sa.func.coalesce(latest_grade_sql(qa, other.c.path), UNKNOWN_GRADE)
        summarised = (sa.select(s["image_id"].label("id"))
                      .where(s["qa_grade"].in_(grades), s["image_id"] <= marks.images_through))
        # The images behind the marks, looked up: the new ones (a range of the primary
        # key) and, apart, the older ones with new QA rows (by path). One OR of the two
        # made PostgreSQL read every image (decision 0075).
        parts = [summarised, sa.select(other.c.id).where(other.c.id > marks.images_through,
                                                        other_grade.in_(grades))]
        if newer_qa is not None:
            regraded = sa.select(other.c.id).where(other.c.path.in_(newer_qa))
            summarised = parts[0] = summarised.where(s["image_id"].not_in(regraded))
            parts.append(sa.select(other.c.id).where(other.c.id <= marks.images_through,
                                                     other.c.path.in_(newer_qa),
                                                     other_grade.in_(grades)))
        # Disjoint: a summarised id is up to the marks and not regraded.
        return sa.union_all(*parts)

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
        by_created = (sa.select(inner_im.c.id).select_from(inner_im)
                      .where(self.untimed_by_ms(inner_im.c.ms_path),
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

    def path_of(self, image_id: int) -> str:
        """The image's file path alone (NotFoundError when there is no such image)."""
        images = self.db.catalog["images"]
        path = None
        if images.exists:
            with self.db.connect() as conn:
                path = conn.execute(sa.select(images["path"])
                                    .where(images["id"] == image_id)).scalar()
        if path is None:
            raise NotFoundError(f"no image with id {image_id}")
        return path

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
        filter = filter or ImageFilter()
        q = _Query(self.db, self._marks(filter))
        key = request.sort or self.DEFAULT_SORT
        columns = q.image_columns + list(DERIVED_COLUMNS)
        # Validates the sort key even when there is nothing to sort.
        keys = order_by(sa.select(q.images["id"].label("id"),
                                  q.sort_keys.get(key, sa.null()).label("sort_key")),
                        request, q.sort_keys, self.DEFAULT_SORT, tiebreak=q.images["id"])
        if not q.exists:
            return Page(rows=empty_frame(columns), total=0, offset=request.offset,
                        limit=request.limit)
        conditions = q.conditions(filter)
        im = q.images
        count = sa.select(sa.func.count()).select_from(im.table).where(*conditions)
        graded = q.graded_ids(tuple(filter.qa_grade)) if filter.qa_grade is not None else None
        if graded is not None:
            # The disjoint parts counted apart and added: each streams from its index
            # into the count, where their union would be collected into a temporary table.
            others = q.conditions(replace(filter, qa_grade=None))
            parts = []
            for part in graded.selects:
                ids = part.subquery()
                parts.append(sa.select(sa.func.count())
                             .select_from(im.table.join(ids, im["id"] == ids.c.id))
                             .where(*others).scalar_subquery())
            count = sa.select(sum(parts[1:], parts[0]))
        with self.db.connect() as conn:
            total = conn.execute(count).scalar_one()
        if key == "mjd" and q.joins_ms:
            # Many matches: read the time indexes in order and test each image; few: fetch
            # the matching ids and sort them.
            walk = total >= WALK_FACTOR * (request.offset + request.limit)
            keys = q.mjd_page_keys(q.conditions(filter, walk_order=walk), request, walk)
        else:
            keys = (keys.select_from(q.source(with_ms=False,
                                              with_summary=key in STANDS_IN_FOR.values()))
                    .where(*conditions)
                    .limit(request.limit).offset(request.offset).subquery("page_keys"))
        page_rows = keys.join(im.table, im["id"] == keys.c.id)
        if q.joins_ms:
            page_rows = page_rows.outerjoin(q.ms.table, q.ms["path"] == im["ms_path"])
        if q.has_summary:
            page_rows = page_rows.outerjoin(q.summary.table,
                                            q.summary["image_id"] == im["id"])
        rows = sa.select(*q.display_columns(), q.mjd.label("mjd"),
                         q.mjd_source.label("mjd_source"), q.qa_grade.label("qa_grade")
                         ).select_from(page_rows)
        rows = order_by(rows, request, {key: keys.c.sort_key}, key, tiebreak=keys.c.id)
        with self.db.connect() as conn:
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
        filter = filter or ImageFilter()
        q = _Query(self.db, self._marks(filter))
        # Built before iterating so that a bad sort key fails at the call.
        stmt = order_by(q.rows(with_summary=True), request, q.sort_keys, self.DEFAULT_SORT,
                        tiebreak=q.images["id"])
        if not q.exists:
            return iter(())
        stmt = stmt.where(*q.conditions(filter))
        return self._stream(stmt, q.image_columns + list(DERIVED_COLUMNS), chunk_size)

    def unknown_counts(self, filter: ImageFilter) -> dict[str, int]:
        """Images that match ``filter`` but for a dec/noise/dynamic-range filter whose
        value is unknown (NULL in the pipeline, not measured by us): how many per filter
        prefix (``dec``, ``noise``, ``dr``) and ``any`` for them together. These are the
        images ``with_unknown`` adds. Empty when no such filter is set."""
        bounds = filter.value_bounds()
        q = _Query(self.db, self._marks(filter))
        if not bounds or not q.exists:
            return {}
        unknown = {prefix: q.unknown(prefix) for prefix in bounds}
        stmt = (sa.select(sa.func.count(),
                          *[sa.func.coalesce(sa.func.sum(sa.case((u, 1), else_=0)), 0)
                            for u in unknown.values()])
                .select_from(q.images.table)
                .where(*q.conditions(replace(filter, with_unknown=True)),
                       sa.or_(*unknown.values())))
        with self.db.connect() as conn:
            row = conn.execute(stmt).one()
        return {"any": int(row[0]), **{p: int(n) for p, n in zip(unknown, row[1:])}}

    @property
    def summary_available(self) -> bool:
        """Whether our summary (revision 0007) completes the pipeline's values."""
        return ImageSummaryRepository(self.db).available

    def _marks(self, filter: ImageFilter) -> SummaryMarks | None:
        # Read only for a grade filter: nothing else uses them.
        if filter.qa_grade is None:
            return None
        return ImageSummaryRepository(self.db).marks()

    def _stream(self, stmt: sa.Select, columns: list[str],
                chunk_size: int) -> Iterator[pd.DataFrame]:
        with self.db.connect() as conn:
            result = conn.execution_options(yield_per=chunk_size).execute(stmt)
            for part in result.partitions(chunk_size):
                yield pd.DataFrame(part, columns=columns)

    def neighbours(self, image_id: int, image: ImageRecord | None = None
                   ) -> tuple[int | None, int | None]:
        """Ids of the images just before and after this one in observation time
        (ties broken by id). ``image``: its record, when the caller has read it."""
        image = image if image is not None else self.get(image_id)
        if image.mjd is None:
            return None, None
        with self.db.connect() as conn:
            return (self._neighbour(conn, image, before=True),
                    self._neighbour(conn, image, before=False))

    def _neighbour(self, conn, image: ImageRecord, *, before: bool) -> int | None:
        """The nearest image on one side in (observation time, id) order, from the two
        index-driven branches of ``mjd_page_keys`` (decision 0075): the nearest image by
        its MS's mid_mjd (mid_mjd index), then, only within the few seconds between that
        one and this image, images without one by created_at (its index). One ORDER BY
        over COALESCE(mid_mjd, created_at) reads and sorts every image instead."""
        q = _Query(self.db)
        im, ms = q.images, q.ms
        mjd, this_id = image.mjd, image.id

        def beyond(key: sa.ColumnElement) -> sa.ColumnElement:
            # (key, id) strictly on this side of (mjd, this_id); the plain bound first so
            # that the index on key is read as a range.
            if before:
                return sa.and_(key <= mjd, sa.or_(key < mjd, im["id"] < this_id))
            return sa.and_(key >= mjd, sa.or_(key > mjd, im["id"] > this_id))

        def nearest(key: sa.ColumnElement) -> list[sa.ColumnElement]:
            return ([key.desc(), im["id"].desc()] if before else [key.asc(), im["id"].asc()])

        found: tuple[int, float] | None = None
        if q.joins_ms:
            by_ms = (sa.select(im["id"], ms["mid_mjd"])
                     .select_from(ms.table.join(im.table, im["ms_path"] == ms["path"]))
                     .where(ms["mid_mjd"].is_not(None), beyond(ms["mid_mjd"]))
                     .order_by(*nearest(ms["mid_mjd"])).limit(1))
            row = conn.execute(by_ms).first()
            found = (row[0], row[1]) if row else None
        # Images timed by created_at: only those between this image and the one found
        # can be nearer (one second of slack for the MJD <-> Unix conversion).
        near, far = mjd_to_unix(mjd), (mjd_to_unix(found[1]) if found else None)
        if before:
            window = [im["created_at"] <= near + 1.0] + (
                [im["created_at"] >= far - 1.0] if far is not None else [])
        else:
            window = [im["created_at"] >= near - 1.0] + (
                [im["created_at"] <= far + 1.0] if far is not None else [])
        by_created = sa.select(im["id"], q.created_mjd).select_from(im.table)
        if q.joins_ms:
            by_created = by_created.where(q.untimed_by_ms(im["ms_path"]))
        by_created = (by_created.where(*window, beyond(q.created_mjd))
                      .order_by(*nearest(im["created_at"])).limit(1))
        row = conn.execute(by_created).first()
        if row is not None and (found is None or (
                (row[1], row[0]) > (found[1], found[0]) if before
                else (row[1], row[0]) < (found[1], found[0]))):
            found = (row[0], row[1])
        return found[0] if found else None

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
            if self.db.dialect == "postgresql":
                # Its top-N of 5,000 rows got a parallel plan at one year: twice the
                # time of the plain index walk (~40 ms against ~20 ms), and two more
                # busy processes beside the server building the Overview's page.
                # SET LOCAL: only this read's transaction, not the pooled connection.
                conn.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
            # Plain numbers: the driver's rows, without SQLAlchemy's per-row work.
            return raw_frame(conn, stmt)

    def types(self) -> list[str]:
        """The image types present, as stored (any vocabulary)."""
        im = self.db.catalog["images"]
        if not im.exists:
            return []
        stmt = (sa.select(im["type"]).select_from(im.table).where(im["type"].is_not(None))
                .distinct().order_by(im["type"]))
        with self.db.connect() as conn:
            return list(conn.execute(stmt).scalars())

    def provenance(self, image_id: int, image: ImageRecord | None = None) -> Provenance:
        """``image``: its record, when the caller has read it."""
        image = image if image is not None else self.get(image_id)
        calibration = CalibrationRepository(self.db)
        return Provenance(
            image=image,
            measurement_set=MeasurementSetRepository(self.db).find(image.ms_path),
            jobs=tuple(JobRepository(self.db).for_ms(image.ms_path)),
            calibration_tables=tuple(calibration.active_for_mjd(image.mjd)),
            calibration_applied=tuple(calibration.applied_to(image.ms_path)))

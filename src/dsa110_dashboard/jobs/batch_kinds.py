"""The kinds of work a batch runs, and how each selects its items.

=============  ==============================  ===========================================
kind           items                           per item
=============  ==============================  ===========================================
thumbnails     images (the /images filters)    render the thumbnail into the shared cache
qa             images (the /images filters)    measure image QA from the pixels (image_qa)
variability    sources (consecutive ranges)    recompute the statistics of the range
rerun          measurement sets                queue a rerun of the MS's latest job and
                                               wait for it (runs where the runner runs)
=============  ==============================  ===========================================

The per-item functions are module-level so a process pool or a Dask worker can run them;
they return plain values, and the runner writes the results to the database (one writer,
short transactions). An item's ``ms_path`` is the measurement set it concerns (empty for a
range of sources); ``data_id`` names the item: an image id, a JSON source range, a job id.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..db.engine import Database
from ..errors import ForbiddenPathError, ImageReadError, InvalidInputError, NotFoundError
from ..files import DataRoots
from ..repositories.image_summary import UNKNOWN as UNKNOWN_GRADE
from ..repositories.image_summary import ImageSummaryRepository
from ..repositories.images import ImageRepository
from ..repositories.measurement_sets import MeasurementSetFilter, MeasurementSetRepository
from ..repositories.paging import PageRequest
from ..settings import Settings

SOURCES_PER_ITEM = 200


@dataclass(frozen=True)
class NewItem:
    ms_path: str
    data_id: str | None


@dataclass(frozen=True)
class Selection:
    """What a batch runs over, as stored in ``batch_jobs.params``."""

    images: str | None = None              # /images query string: "type=5min&grade=poor"
    ms: tuple[str, ...] = ()               # measurement set paths
    ms_status: tuple[str, ...] = ()        # or every MS with these ms_index statuses
    ms_stage: tuple[str, ...] = ()         # ... or stages
    sources: str | None = None             # "all", or text the source ids contain

    def as_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v)
                for k, v in self.__dict__.items() if v not in (None, ())}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Selection:
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in data.items()})


# --------------------------------------------------------------------- selecting
def select_images(db: Database, query: str | None) -> list[NewItem]:
    from ..queries.image_query import parse  # the /images URL's own codec

    if query is None:
        raise InvalidInputError("this kind runs over images: give --images with the "
                                "/images filters (e.g. 'type=5min&grade=poor', or '' for "
                                "every image)", parameter="images")
    args = urllib.parse.parse_qs(query.lstrip("?"), keep_blank_values=False,
                                 strict_parsing=False)
    image_filter = parse(args, strict_keys=True).image_filter()
    items = []
    for frame in ImageRepository(db).iter_rows(image_filter,
                                               PageRequest(sort="created_at",
                                                           descending=False)):
        items += [NewItem(ms, str(int(i))) for i, ms in zip(frame["id"], frame["ms_path"])]
    return items


def select_measurement_sets(db: Database, selection: Selection) -> list[NewItem]:
    if not (selection.ms or selection.ms_status or selection.ms_stage):
        raise InvalidInputError("this kind runs over measurement sets: give --ms PATH, "
                                "--ms-status S or --ms-stage S", parameter="ms")
    repo = MeasurementSetRepository(db)
    paths = list(dict.fromkeys(selection.ms))
    for path in paths:
        repo.get(path)  # NotFoundError names a path that is not in ms_index
    if selection.ms_status or selection.ms_stage:
        filt = MeasurementSetFilter(statuses=selection.ms_status or None,
                                    stages=selection.ms_stage or None)
        offset = 0
        while True:
            page = repo.page(filt, PageRequest(offset=offset, limit=500, sort="mid_mjd",
                                               descending=False))
            paths += [p for p in page.rows["path"] if p not in paths]
            offset += 500
            if offset >= page.total:
                break
    return [NewItem(path, None) for path in paths]


def select_source_ranges(db: Database, selection: Selection) -> list[NewItem]:
    from .variability import source_ids

    if not selection.sources:
        raise InvalidInputError("this kind runs over sources: give --sources all, or text "
                                "the source ids contain", parameter="sources")
    ids = source_ids(db)
    if selection.sources != "all":
        ids = [i for i in ids if selection.sources in i]
    # Consecutive ids in the database's order: a range read covers exactly them and,
    # for a filtered selection, the unselected sources between them (recomputing those
    # too is harmless).
    return [NewItem("", json.dumps([ids[k], ids[min(k + SOURCES_PER_ITEM, len(ids)) - 1]]))
            for k in range(0, len(ids), SOURCES_PER_ITEM)]


# ---------------------------------------------------- per-item work (picklable)
def render_thumbnail(context: dict[str, Any], path: str) -> dict[str, Any]:
    from ..fits.prerender import render_one

    settings: Settings = context["settings"]
    params = context["options"].get("thumbnail", {})
    _, outcome, reason = render_one(str(settings.effective_cache_dir / "thumbnails"),
                                    settings.thumbnail_cache_bytes, path, params)
    if outcome == "failed":
        raise ItemFailed(reason or "the thumbnail could not be rendered")
    from .image_summary import measure_image_summary

    # The file rendered, so it reads: its summary values come along (decision 0033).
    return {"outcome": outcome, "summary": measure_image_summary(path)}


def measure_qa(context: dict[str, Any], path: str) -> dict[str, Any]:
    from ..fits.header import summarize
    from ..fits.reader import open_image
    from .image_qa import measure_plane_qa

    plane = open_image(path)
    header = summarize(plane.header)
    return {**measure_plane_qa(plane),
            "centre": {"ra_deg": header.ra_deg, "dec_deg": header.dec_deg}}


_DATABASES: dict[str, Database] = {}


def compute_variability(context: dict[str, Any], source_range: list[str]) -> Any:
    from .variability import compute_range

    settings: Settings = context["settings"]
    # One engine per process for all the items it runs (made in this process).
    db = _DATABASES.get(settings.db or "")
    if db is None:
        db = _DATABASES[settings.db or ""] = Database(settings)
    first, last = source_range
    return compute_range(db, first, last,
                         exclude_failed_qa=bool(context["options"].get("exclude_failed_qa")),
                         include_flagged=bool(context["options"].get("include_flagged")),
                         now=float(context["options"].get("now") or time.time()))


class ItemFailed(Exception):
    """An item's work ended without its result; the message says why."""


# --------------------------------------------------------------- the kinds
@dataclass(frozen=True)
class BatchKind:
    name: str
    doc: str
    selects: str                                   # images, ms, sources
    work: Callable[[dict[str, Any], Any], Any] | None
    #: Runs in the runner, in the transaction that marks the item done.
    record: Callable[[sa.Connection, Database, dict[str, Any], Any], None] | None = None
    #: The rerun kind runs in the runner itself (it queues jobs and waits for them).
    local: bool = False

    def select(self, db: Database, selection: Selection) -> list[NewItem]:
        if self.selects == "images":
            return select_images(db, selection.images)
        if self.selects == "ms":
            return select_measurement_sets(db, selection)
        return select_source_ranges(db, selection)

    def payload(self, db: Database, settings: Settings, item: dict[str, Any]) -> Any:
        """What the per-item function receives; raises ItemFailed when the item cannot
        be run (an image outside the data roots, a missing row)."""
        if self.selects == "images":
            path = _image_path(db, int(item["data_id"]))
            try:
                return str(DataRoots.for_server(settings, db.target).confine(path))
            except (ForbiddenPathError, NotFoundError, ImageReadError) as exc:
                raise ItemFailed(exc.user_message) from None
        if self.selects == "sources":
            return json.loads(item["data_id"])
        return item["ms_path"]


def _image_path(db: Database, image_id: int) -> str:
    t = db.catalog["images"]
    with db.connect() as conn:
        path = conn.execute(sa.select(t["path"]).select_from(t.table)
                            .where(t["id"] == image_id)).scalar()
    if path is None:
        raise ItemFailed(f"image {image_id} is no longer in the database")
    return path


def _record_qa(conn: sa.Connection, db: Database, item: dict[str, Any],
               result: dict[str, Any]) -> None:
    """One image_qa row (job_id 0: measured by a batch, not by a pipeline job), and the
    image's summary: the measured values and the grade this row makes its latest."""
    from .image_summary import summary_row

    t = db.catalog["image_qa"]
    result = dict(result)
    centre = result.pop("centre", None) or {}
    row = {"ms_path": item["ms_path"], "job_id": 0, "image_path": item["payload"],
           "timestamp": time.time(), **result}
    conn.execute(sa.insert(t.table).values(**{k: v for k, v in row.items() if t.has(k)}))
    values = {**centre, "noise_jy": result.get("rms_noise"),
              "dynamic_range": result.get("dynamic_range"),
              "qa_grade": result.get("overall_quality") or UNKNOWN_GRADE}
    ImageSummaryRepository(db).write([summary_row(int(item["data_id"]), values, "qa")], conn)


def _record_summary(conn: sa.Connection, db: Database, item: dict[str, Any],
                    result: dict[str, Any]) -> None:
    """The image's summary values measured beside its thumbnail."""
    from .image_summary import summary_row

    values = result.get("summary") if isinstance(result, dict) else None
    if values:
        ImageSummaryRepository(db).write(
            [summary_row(int(item["data_id"]), values, "thumbnails")], conn)


def _record_variability(conn: sa.Connection, db: Database, item: dict[str, Any],
                        result: Any) -> None:
    from .variability import write_range

    write_range(db, result, conn)


KINDS: dict[str, BatchKind] = {k.name: k for k in (
    BatchKind("thumbnails", "render image thumbnails into the shared cache", "images",
              render_thumbnail, _record_summary),
    BatchKind("qa", "measure image QA (noise, peak, dynamic range) from the pixels",
              "images", measure_qa, _record_qa),
    BatchKind("variability", "recompute the variability statistics of sources",
              "sources", compute_variability, _record_variability),
    BatchKind("rerun", "rerun the latest job of each measurement set", "ms", None,
              local=True),
)}


def kind_named(name: str) -> BatchKind:
    kind = KINDS.get(name)
    if kind is None:
        raise InvalidInputError(f"unknown batch kind {name!r}; the kinds are: "
                                f"{', '.join(KINDS)}", parameter="kind")
    return kind


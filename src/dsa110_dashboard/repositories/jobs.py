"""Pipeline jobs and batch jobs, with the queue's run state and history (reads).

The writes (queueing, claiming, cancelling) are in ``jobs/queue.py``; a database without
the queue's tables (revision 0006) reads as before, every job without run state."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from ..errors import InvalidInputError, NotFoundError
from .paging import Page, PageRequest, fetch_page, order_by
from .records import (
    column_names,
    empty_page,
    in_values,
    parse_json,
    record_from,
    run_id_for,
    where_all,
)


@dataclass(frozen=True)
class JobRecord:
    id: int
    type: str
    status: str
    ms_path: str
    #: Parsed JSON, or the stored text when it is not valid JSON (then ``*_invalid``).
    params: Any
    params_invalid: bool
    logs: str | None
    artifacts: Any
    artifacts_invalid: bool
    created_at: float | None
    started_at: float | None
    finished_at: float | None
    #: Name of the job's log file under CONTIMG_LOGS_DIR (``{run_id}.log``).
    run_id: str | None


@dataclass(frozen=True)
class QueueState:
    """What the queue adds to a job it runs (``dash_job_state``)."""

    job_id: int
    run_id: str
    command: Any            # the argument list (JSON), fixed when queued
    log_path: str | None
    attempt: int
    rerun_of: int | None
    requested_by: str | None
    overrides: Any          # {key: {"from": old, "to": new}}
    worker: str | None
    host: str | None
    pid: int | None
    claimed_at: float | None
    heartbeat_at: float | None
    cancel_requested_at: float | None
    cancel_requested_by: str | None
    exit_code: int | None
    error: str | None


@dataclass(frozen=True)
class JobEvent:
    at: float
    status: str
    previous: str | None
    worker: str | None
    detail: str | None


@dataclass(frozen=True)
class JobFilter:
    statuses: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None
    ms_path: str | None = None
    created_after: float | None = None
    created_before: float | None = None
    #: The jobs that show this run id (a queued job's own, or the one derived from a
    #: pipeline job's measurement set).
    run_id: str | None = None
    #: Text contained in the measurement set's path.
    ms_contains: str | None = None
    #: Text contained in the run id (the queue's, or the one derived from the MS name).
    run_id_contains: str | None = None


_JOB_ID = re.compile(r"\d{1,18}")
_PIPELINE_RUN_ID = re.compile(r"job-(\d{4}-\d{2}-\d{2})-(\d{2})(\d{2})(\d{2})")


def ms_stem_of_run_id(run_id: str) -> str | None:
    """The MS file stem a pipeline run id was derived from (inverse of ``run_id_for``)."""
    match = _PIPELINE_RUN_ID.fullmatch(run_id)
    if match:
        day, hh, mm, ss = match.groups()
        return f"{day}T{hh}:{mm}:{ss}"
    if run_id.startswith("job-") and len(run_id) > 4:
        return run_id[4:]
    return None


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _contains(column: sa.ColumnElement, text: str) -> sa.ColumnElement:
    return column.like("%" + _like_escape(text) + "%", escape="\\")


_RUN_ID_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})-(\d{1,6})")


def ms_fragment_of_run_id(text: str) -> str:
    """What a piece of a pipeline run id looks like in the MS path it was derived from
    (``job-2025-10-17-1440`` -> ``2025-10-17T14:40``), so that a run id typed in part is
    found in SQL: the derived run id is not a column."""
    text = text[4:] if text.startswith("job-") else text
    match = _RUN_ID_TIME.search(text)
    if match is None:
        return text
    digits = match.group(2)
    clock = ":".join(digits[i:i + 2] for i in range(0, len(digits), 2))
    return text[:match.start()] + f"{match.group(1)}T{clock}" + text[match.end():]


def job_record(row: Any) -> JobRecord:
    params, params_ok = parse_json(row.get("params"))
    artifacts, artifacts_ok = parse_json(row.get("artifacts"))
    return record_from(JobRecord, row, params=params, params_invalid=not params_ok,
                       artifacts=artifacts, artifacts_invalid=not artifacts_ok,
                       run_id=run_id_for(row.get("ms_path")))


class JobRepository:
    SORT_KEYS = ("id", "created_at", "started_at", "finished_at", "status", "type",
                 "ms_path")
    #: Lists leave out the logs, which can be megabytes; ``get`` has them.
    LIST_COLUMNS = ("id", "type", "status", "ms_path", "params", "artifacts",
                    "created_at", "started_at", "finished_at")
    #: From the queue's run state; None for a job the queue never ran.
    QUEUE_COLUMNS = ("requested_by", "attempt", "exit_code", "rerun_of")

    def __init__(self, db: Database):
        self.db = db

    def get(self, job_id: int) -> JobRecord:
        t = self.db.catalog["jobs"]
        row = None
        if t.exists:
            with self.db.connect() as conn:
                row = conn.execute(sa.select(*t.columns()).select_from(t.table)
                                   .where(t["id"] == job_id)).mappings().first()
        if row is None:
            raise NotFoundError(f"no job {job_id}")
        record = job_record(row)
        state = self.queue_state(job_id)
        if state is not None:
            record = dataclasses.replace(record, run_id=state.run_id)
        return record

    def status_of(self, job_id: int) -> str:
        """Only the job's status (cheap: a page following a job asks every second)."""
        t = self.db.catalog["jobs"]
        if not t.exists:
            raise NotFoundError("this database has no jobs table")
        with self.db.connect() as conn:
            status = conn.execute(sa.select(t["status"]).select_from(t.table)
                                  .where(t["id"] == job_id)).scalar()
        if status is None:
            raise NotFoundError(f"no job {job_id}")
        return str(status)

    def queue_state(self, job_id: int) -> QueueState | None:
        """The queue's run state of a job; None for a job the queue never ran (or on a
        database without the queue's tables)."""
        s = self.db.catalog["dash_job_state"]
        if not s.exists:
            return None
        with self.db.connect() as conn:
            row = conn.execute(sa.select(*s.columns()).select_from(s.table)
                               .where(s["job_id"] == job_id)).mappings().first()
        if row is None:
            return None
        return record_from(QueueState, row, command=parse_json(row["command"])[0],
                           overrides=parse_json(row["overrides"])[0])

    def events(self, job_id: int) -> list[JobEvent]:
        """Every state change of a queued job, oldest first."""
        e = self.db.catalog["dash_job_events"]
        if not e.exists:
            return []
        stmt = (sa.select(*e.columns("at", "status", "previous", "worker", "detail"))
                .select_from(e.table).where(e["job_id"] == job_id)
                .order_by(e["at"], e["id"]))
        with self.db.connect() as conn:
            return [record_from(JobEvent, r) for r in conn.execute(stmt).mappings()]

    def resolve(self, ref: str | int) -> int:
        """The job id of a numeric id, a queued job's run id, or a pipeline run id
        (``job-YYYY-MM-DD-HHMMSS``, derived from the MS name) that names one job."""
        text = str(ref).strip()
        t = self.db.catalog["jobs"]
        if not t.exists:
            raise NotFoundError("this database has no jobs table")
        if _JOB_ID.fullmatch(text):
            with self.db.connect() as conn:
                found = conn.execute(sa.select(t["id"]).select_from(t.table)
                                     .where(t["id"] == int(text))).scalar()
            if found is None:
                raise NotFoundError(f"no job {int(text)}")
            return int(found)
        s = self.db.catalog["dash_job_state"]
        if s.exists:
            with self.db.connect() as conn:
                found = conn.execute(sa.select(s["job_id"]).select_from(s.table)
                                     .where(s["run_id"] == text)).scalar()
            if found is not None:
                return int(found)
        stem = ms_stem_of_run_id(text)
        if stem is None:
            raise InvalidInputError(f"{text[:80]!r} is neither a job id nor a run id "
                                    "(job-YYYY-MM-DD-HHMMSS)", parameter="job")
        ms = t["ms_path"]
        source, queued_elsewhere = t.table, None
        if s.exists:
            # A queued job (a rerun) goes by its own run id (``...-jN``), as the table
            # shows it; counting it here made the original's run id name several jobs.
            source = t.table.outerjoin(s.table, s["job_id"] == t["id"])
            queued_elsewhere = s["run_id"].is_(None)
        stmt = (sa.select(t["id"], ms).select_from(source)
                .where(sa.or_(ms.like("%/" + _like_escape(stem) + ".ms", escape="\\"),
                              ms == stem + ".ms"))
                .order_by(t["id"]))
        if queued_elsewhere is not None:
            stmt = stmt.where(queued_elsewhere)
        with self.db.connect() as conn:
            ids = [int(i) for i, path in conn.execute(stmt) if run_id_for(path) == text]
        if not ids:
            raise NotFoundError(f"no job has run id {text}")
        if len(ids) > 1:
            shown = ", ".join(str(i) for i in ids[:10]) + (" ..." if len(ids) > 10 else "")
            raise InvalidInputError(f"run id {text} names {len(ids)} jobs of one "
                                    f"measurement set (ids {shown}); give the job id",
                                    parameter="job")
        return ids[0]

    def page(self, filter: JobFilter | None = None,
             request: PageRequest | None = None) -> Page[pd.DataFrame]:
        """A page of jobs; with the queue's tables also who asked, the attempt, the exit
        code and the job it reruns (None for the pipeline's own jobs)."""
        f = filter or JobFilter()
        request = request or PageRequest()
        t = self.db.catalog["jobs"]
        stmt = sa.select(*t.columns(*self.LIST_COLUMNS))
        allowed = {k: t[k] for k in self.SORT_KEYS}
        if not t.exists:
            order_by(stmt, request, allowed, "created_at")
            return empty_page(self.LIST_COLUMNS + ("run_id",) + self.QUEUE_COLUMNS, request)
        state = self.db.catalog["dash_job_state"]
        source = t.table
        run_id_match = None
        if state.exists:
            source = t.table.outerjoin(state.table, state["job_id"] == t["id"])
            stmt = stmt.add_columns(state["run_id"].label("queue_run_id"),
                                    *state.columns(*self.QUEUE_COLUMNS))
        if f.run_id_contains:
            text = f.run_id_contains.strip()
            derived = sa.and_(_contains(t["ms_path"], ms_fragment_of_run_id(text)),
                              state["run_id"].is_(None) if state.exists else sa.true())
            run_id_match = (sa.or_(_contains(state["run_id"], text), derived)
                            if state.exists else derived)
        stmt = where_all(stmt.select_from(source), [
            in_values(t["status"], f.statuses),
            in_values(t["type"], f.types),
            t["ms_path"] == f.ms_path if f.ms_path is not None else None,
            _contains(t["ms_path"], f.ms_contains) if f.ms_contains else None,
            run_id_match,
            self._shows_run_id(f.run_id, state) if f.run_id is not None else None,
            t["created_at"] >= f.created_after if f.created_after is not None else None,
            t["created_at"] <= f.created_before if f.created_before is not None else None,
        ])
        stmt = order_by(stmt, request, allowed, "created_at", tiebreak=t["id"])
        with self.db.connect() as conn:
            page = fetch_page(conn, stmt, request)
        queued = (page.rows.pop("queue_run_id") if state.exists
                  else [None] * len(page.rows))
        page.rows["run_id"] = [q if isinstance(q, str) else run_id_for(p)
                               for q, p in zip(queued, page.rows["ms_path"])]
        for name in self.QUEUE_COLUMNS:
            if name not in page.rows:
                page.rows[name] = None
        return page

    def types(self) -> list[str]:
        """Every job type in the table, for a filter's choices."""
        t = self.db.catalog["jobs"]
        if not t.exists:
            return []
        stmt = sa.select(t["type"]).select_from(t.table).distinct().order_by(t["type"])
        with self.db.connect() as conn:
            return [str(v) for v in conn.execute(stmt).scalars() if v is not None]

    def _shows_run_id(self, run_id: str, state) -> sa.ColumnElement:  # noqa: ANN001
        t = self.db.catalog["jobs"]
        stem = ms_stem_of_run_id(run_id)
        derived = (sa.or_(t["ms_path"].like("%/" + _like_escape(stem) + ".ms", escape="\\"),
                          t["ms_path"] == stem + ".ms") if stem else sa.false())
        if not state.exists:
            return derived
        return sa.or_(state["run_id"] == run_id,
                      sa.and_(state["run_id"].is_(None), derived))

    def counts_created_between(self, after: float,
                               before: float | None = None) -> tuple[int, int]:
        """Jobs created in [after, before] (no upper bound without ``before``) and how
        many of them failed, in one query (the Overview's health light and the wall;
        two ``page`` calls took four)."""
        t = self.db.catalog["jobs"]
        if not t.exists:
            return 0, 0
        failed = sa.func.coalesce(sa.func.sum(sa.case((t["status"] == "failed", 1),
                                                      else_=0)), 0)
        window = [t["created_at"] >= after]
        if before is not None:
            window.append(t["created_at"] <= before)
        stmt = sa.select(sa.func.count(), failed).select_from(t.table).where(*window)
        with self.db.connect() as conn:
            total, n_failed = conn.execute(stmt).one()
        return int(total), int(n_failed)

    def counts_by_status(self) -> dict[str | None, int]:
        t = self.db.catalog["jobs"]
        if not t.exists:
            return {}
        stmt = sa.select(t["status"], sa.func.count()).select_from(t.table).group_by(
            t["status"])
        with self.db.connect() as conn:
            return {status: int(n) for status, n in conn.execute(stmt)}

    def for_ms(self, ms_path: str) -> list[JobRecord]:
        """Every job for an MS, newest first."""
        t = self.db.catalog["jobs"]
        if not t.exists:
            return []
        stmt = (sa.select(*t.columns()).select_from(t.table)
                .where(t["ms_path"] == ms_path)
                .order_by(t["created_at"].desc(), t["id"].desc()))
        with self.db.connect() as conn:
            return [job_record(r) for r in conn.execute(stmt).mappings()]


# ----------------------------------------------------------------- batch jobs

@dataclass(frozen=True)
class BatchJobItemRecord:
    id: int
    batch_id: int
    ms_path: str
    job_id: int | None
    status: str
    error: str | None
    started_at: float | None
    completed_at: float | None
    data_id: str | None


@dataclass(frozen=True)
class BatchCounts:
    """Counted from the items; the stored counters on ``batch_jobs`` may lag."""

    total: int
    pending: int
    running: int
    done: int
    failed: int
    cancelled: int
    other: int


@dataclass(frozen=True)
class BatchJobRecord:
    id: int
    type: str
    created_at: float | None
    #: As stored; may lag behind the items.
    status: str
    total_items: int | None
    completed_items: int | None
    failed_items: int | None
    params: Any
    params_invalid: bool
    items: tuple[BatchJobItemRecord, ...]
    counts: BatchCounts
    #: From the items, by the pipeline's rule (see ``derived_status``).
    derived_status: str


@dataclass(frozen=True)
class BatchJobFilter:
    statuses: tuple[str, ...] | None = None
    types: tuple[str, ...] | None = None
    created_after: float | None = None
    created_before: float | None = None


_KNOWN_ITEM_STATUSES = ("pending", "running", "done", "failed", "cancelled")


def batch_counts(statuses: Iterable[str | None]) -> BatchCounts:
    return batch_counts_from_tally(Counter(statuses))


def batch_counts_from_tally(tally: Mapping[str | None, int]) -> BatchCounts:
    total = sum(tally.values())
    known = {s: tally.get(s, 0) for s in _KNOWN_ITEM_STATUSES}
    return BatchCounts(total=total, other=total - sum(known.values()), **known)


def derived_status(items: Iterable[BatchJobItemRecord | str | None]) -> str:
    """``done`` when nothing is pending or running and nothing failed, ``failed`` when
    nothing is pending or running and something failed, else ``running``.

    Accepts item records or their status strings. A batch without items is ``done``
    by this rule.
    """
    statuses = [i.status if isinstance(i, BatchJobItemRecord) else i for i in items]
    return _status_from_counts(batch_counts(statuses))


def _status_from_counts(counts: BatchCounts) -> str:
    if counts.pending or counts.running:
        return "running"
    return "failed" if counts.failed else "done"


class BatchJobRepository:
    SORT_KEYS = ("id", "created_at", "status", "type", "total_items")
    COUNT_COLUMNS = ("items_total", "items_pending", "items_running", "items_done",
                     "items_failed", "items_cancelled", "derived_status")

    def __init__(self, db: Database):
        self.db = db

    derived_status = staticmethod(derived_status)

    def page(self, filter: BatchJobFilter | None = None,
             request: PageRequest | None = None) -> Page[pd.DataFrame]:
        """A page of batches with their item counts and derived status (two queries)."""
        f = filter or BatchJobFilter()
        request = request or PageRequest()
        t = self.db.catalog["batch_jobs"]
        stmt = sa.select(*t.columns())
        allowed = {k: t[k] for k in self.SORT_KEYS}
        if not t.exists:
            order_by(stmt, request, allowed, "created_at")
            return empty_page(column_names(t) + list(self.COUNT_COLUMNS), request)
        stmt = where_all(stmt.select_from(t.table), [
            in_values(t["status"], f.statuses),
            in_values(t["type"], f.types),
            t["created_at"] >= f.created_after if f.created_after is not None else None,
            t["created_at"] <= f.created_before if f.created_before is not None else None,
        ])
        stmt = order_by(stmt, request, allowed, "created_at", tiebreak=t["id"])
        with self.db.connect() as conn:
            page = fetch_page(conn, stmt, request)
            tallies = self._item_tallies(conn, [int(i) for i in page.rows["id"]])
        counts = [batch_counts_from_tally(tallies.get(int(i), {})) for i in page.rows["id"]]
        frame = page.rows
        frame["items_total"] = [c.total for c in counts]
        for name in ("pending", "running", "done", "failed", "cancelled"):
            frame[f"items_{name}"] = [getattr(c, name) for c in counts]
        frame["derived_status"] = [_status_from_counts(c) for c in counts]
        return page

    def _item_tallies(self, conn: sa.Connection,
                      batch_ids: list[int]) -> dict[int, dict[str | None, int]]:
        items = self.db.catalog["batch_job_items"]
        if not batch_ids or not items.exists:
            return {}
        stmt = (sa.select(items["batch_id"], items["status"], sa.func.count())
                .select_from(items.table).where(items["batch_id"].in_(batch_ids))
                .group_by(items["batch_id"], items["status"]))
        tallies: dict[int, dict[str | None, int]] = {}
        for batch_id, status, n in conn.execute(stmt):
            tallies.setdefault(int(batch_id), {})[status] = int(n)
        return tallies

    def runner_state(self, batch_id: int) -> dict[str, Any] | None:
        """Who runs a batch the dashboard started, since when, and any cancel request
        (``dash_batch_state``); None for the pipeline's own batches."""
        s = self.db.catalog["dash_batch_state"]
        if not s.exists:
            return None
        with self.db.connect() as conn:
            row = conn.execute(sa.select(*s.columns()).select_from(s.table)
                               .where(s["batch_id"] == batch_id)).mappings().first()
        return dict(row) if row else None

    def get(self, batch_id: int) -> BatchJobRecord:
        t = self.db.catalog["batch_jobs"]
        items = self.db.catalog["batch_job_items"]
        row = None
        item_rows: list = []
        if t.exists:
            with self.db.connect() as conn:
                row = conn.execute(sa.select(*t.columns()).select_from(t.table)
                                   .where(t["id"] == batch_id)).mappings().first()
                if row is not None and items.exists:
                    item_rows = conn.execute(
                        sa.select(*items.columns()).select_from(items.table)
                        .where(items["batch_id"] == batch_id).order_by(items["id"])
                    ).mappings().all()
        if row is None:
            raise NotFoundError(f"no batch job {batch_id}")
        item_records = tuple(record_from(BatchJobItemRecord, r) for r in item_rows)
        counts = batch_counts(i.status for i in item_records)
        params, ok = parse_json(row.get("params"))
        return record_from(BatchJobRecord, row, params=params, params_invalid=not ok,
                           items=item_records, counts=counts,
                           derived_status=_status_from_counts(counts))

    def failed_items(self, batch_id: int, limit: int = 20) -> list[BatchJobItemRecord]:
        """A batch's failed items with their errors, first failed first (bounded: a batch
        can have thousands)."""
        items = self.db.catalog["batch_job_items"]
        if not items.exists:
            return []
        stmt = (sa.select(*items.columns()).select_from(items.table)
                .where(items["batch_id"] == batch_id, items["status"] == "failed")
                .order_by(items["id"]).limit(limit))
        with self.db.connect() as conn:
            return [record_from(BatchJobItemRecord, r) for r in conn.execute(stmt).mappings()]


def artifact_paths(artifacts: Any) -> list[str]:
    """The file paths among a job's artifacts (its JSON: a mapping, a list, or nested)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if value.startswith("/") and value not in found:
                found.append(value)
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(artifacts)
    return found


def images_made_by(db: Database, job_id: int, paths: Iterable[str]) -> list[tuple[int, str]]:
    """(image id, path) of the images a job made: those its artifacts name, and those
    whose QA row names the job."""
    images, qa = db.catalog["images"], db.catalog["image_qa"]
    if not images.exists:
        return []
    wanted = list(paths)
    conditions = [images["path"].in_(wanted)] if wanted else []
    if qa.exists:
        conditions.append(images["path"].in_(
            sa.select(qa["image_path"]).select_from(qa.table).where(qa["job_id"] == job_id)))
    if not conditions:
        return []
    stmt = (sa.select(images["id"], images["path"]).select_from(images.table)
            .where(sa.or_(*conditions)).order_by(images["id"]).limit(100))
    with db.connect() as conn:
        return [(int(i), str(p)) for i, p in conn.execute(stmt)]

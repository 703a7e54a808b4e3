"""State of /jobs: the jobs table (filters, sort, page as in the URL), the queue and the
batches.

Filtering, sorting and paging happen in SQL (``JobRepository.page``); the model holds one
page. ``fetch`` is blocking (a worker thread) and returns a result or the expected error;
``apply`` puts it on the model unless the search changed meanwhile. The queue model is
refreshed on its own (``QueueModel``). No Panel here.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd
import param

from ..db.engine import Database
from ..errors import DashboardError, DatabaseUnavailableError, InvalidInputError
from ..jobs.queue import CANCELLED, COMPLETED, FAILED, PENDING, RUNNING
from ..repositories.jobs import (
    BatchJobFilter,
    BatchJobItemRecord,
    BatchJobRepository,
    JobFilter,
    JobRepository,
)
from ..repositories.paging import PageRequest
from ..repositories.queue_status import QueueStatusRepository, QueueSummary
from .paged_table import PagedTable, range_text

STATUSES = (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED)
PAGE_SIZE = 50
#: Sort keys a person picks, and the repository's key for each.
SORTS = {"created": "created_at", "started": "started_at", "finished": "finished_at",
         "status": "status", "type": "type", "ms": "ms_path", "id": "id"}
#: Text sorts start ascending when chosen; times and ids newest first.
ASCENDING_FIRST = ("status", "type", "ms")
#: The model's search parameters (each is a URL key of the page).
QUERY_PARAMS = ("status", "type", "ms", "run", "sort", "order", "page")
FILTER_PARAMS = ("status", "type", "ms", "run")
#: Batches shown on the page (newest first), and failed items listed per batch.
BATCHES_SHOWN = 10
ITEM_ERRORS_SHOWN = 20


def job_url(job_id: int) -> str:
    """The job page; the numeric id always names one job (a pipeline run id, derived
    from the MS name, names every job of that MS)."""
    return f"/jobs/{int(job_id)}"


def duration(started: Any, finished: Any, now: float | None = None) -> float | None:
    """Seconds from start to finish (to ``now`` for a running job); None if unknown."""
    try:
        start = float(started)
    except (TypeError, ValueError):
        return None
    if math.isnan(start):
        return None
    end = finished
    try:
        end = float(end) if end is not None else None
    except (TypeError, ValueError):
        end = None
    if end is None or math.isnan(end):
        if now is None:
            return None
        end = now
    return max(0.0, end - start)


@dataclass(frozen=True)
class JobsQuery:
    status: str = ""
    type: str = ""
    ms: str = ""
    run: str = ""
    sort: str = "created"
    order: str = "desc"
    page: int = 1

    def job_filter(self) -> JobFilter:
        return JobFilter(statuses=(self.status,) if self.status else None,
                         types=(self.type,) if self.type else None,
                         ms_contains=self.ms.strip() or None,
                         run_id_contains=self.run.strip() or None)

    def page_request(self) -> PageRequest:
        return PageRequest(offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                           sort=SORTS[self.sort], descending=self.order == "desc")


@dataclass(frozen=True)
class JobsResult:
    query: JobsQuery
    rows: pd.DataFrame
    total: int
    types: list[str]
    at: float


@dataclass(frozen=True)
class JobsFailure:
    query: JobsQuery
    error: DashboardError


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=[*JobRepository.LIST_COLUMNS, "run_id",
                                 *JobRepository.QUEUE_COLUMNS])


class JobsModel(PagedTable, param.Parameterized):
    SORTS = SORTS
    ASCENDING_FIRST = ASCENDING_FIRST
    PAGE_SIZE = PAGE_SIZE

    # ----------------------------------------------------- the search (URL state)
    status = param.Selector(default="", objects=["", *STATUSES])
    type = param.String(default="")
    ms = param.String(default="", doc="Text contained in the measurement set's path.")
    run = param.String(default="", doc="Text contained in the run id.")
    sort = param.Selector(default="created", objects=list(SORTS))
    order = param.Selector(default="desc", objects=["asc", "desc"])
    page = param.Integer(default=1, bounds=(1, None))

    # ------------------------------------------------------------------ results
    rows = param.DataFrame(default=empty_rows(), doc="The current page only.")
    total = param.Integer(default=None, allow_None=True)
    type_options = param.List(default=[])
    error = param.String(default=None, allow_None=True)
    error_parameter = param.String(default=None, allow_None=True)
    #: Ignored URL values, said once (see views/urlstate.py).
    input_notes = param.List(default=[])
    #: When the rows were read (unix seconds).
    read_at = param.Number(default=None, allow_None=True)

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.db = db
        self.repository = JobRepository(db)
        self.param.watch(self._back_to_first_page, [*FILTER_PARAMS, "sort", "order"])

    @property
    def query(self) -> JobsQuery:
        return JobsQuery(**{name: getattr(self, name) for name in QUERY_PARAMS})

    # ------------------------------------------------------------------ actions
    def clear_filters(self) -> None:
        self.param.update(**{name: "" for name in FILTER_PARAMS})

    # ---------------------------------------------------------------- derived
    @property
    def range_text(self) -> str:
        return range_text(self.total, self.page, PAGE_SIZE, len(self.rows), "jobs")

    # --------------------------------------------------------------- loading
    def fetch(self, query: JobsQuery | None = None) -> JobsResult | JobsFailure:
        """Blocking: one page, its total and the job types, for ``query``."""
        query = query or self.query
        try:
            page = self.repository.page(query.job_filter(), query.page_request())
            types = self.repository.types()
        except (InvalidInputError, DatabaseUnavailableError) as exc:
            return JobsFailure(query=query, error=exc)
        return JobsResult(query=query, rows=page.rows, total=page.total, types=types,
                          at=time.time())

    def apply(self, result: JobsResult | JobsFailure) -> bool:
        """Show ``result`` unless the search changed meanwhile; True when shown."""
        if result.query != self.query:
            return False
        if isinstance(result, JobsFailure):
            self.param.update(error=result.error.user_message,
                              error_parameter=getattr(result.error, "parameter", None))
            if isinstance(result.error, InvalidInputError):
                self.param.update(rows=empty_rows(), total=0)
            return True
        updates: dict[str, Any] = dict(total=result.total, error=None,
                                       error_parameter=None, read_at=result.at,
                                       type_options=sorted({*result.types, *(
                                           [self.type] if self.type else [])}))
        # Unchanged rows are not sent again: a periodic refresh must not redraw the table
        # under the reader for nothing.
        if not (result.rows.shape == self.rows.shape and result.rows.equals(self.rows)):
            updates["rows"] = result.rows
        self.param.update(**updates)
        if result.total and self.page > self.page_count:
            self.page = self.page_count  # a URL with a page past the end
            return False
        return True

    def refresh(self) -> None:
        """Fetch and apply in the calling thread (tests, notebooks, the periodic
        refresh on a worker thread)."""
        for _ in range(2):
            if self.apply(self.fetch()):
                return


# --------------------------------------------------------------------- queue


@dataclass(frozen=True)
class BatchView:
    """One batch as the page shows it: its row and its failed items' errors."""

    id: int
    type: str
    status: str
    created_at: float | None
    total: int
    done: int
    failed: int
    running: int
    pending: int
    cancelled: int
    errors: tuple[BatchJobItemRecord, ...]

    @property
    def finished_fraction(self) -> float:
        return (self.done + self.failed + self.cancelled) / self.total if self.total else 1.0


@dataclass(frozen=True)
class QueueResult:
    summary: QueueSummary
    batches: tuple[BatchView, ...]


class QueueModel(param.Parameterized):
    summary = param.ClassSelector(class_=QueueSummary, default=None, allow_None=True)
    batches = param.List(default=[])
    error = param.String(default=None, allow_None=True)

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.db = db
        self.queue = QueueStatusRepository(db)
        self.batch_repository = BatchJobRepository(db)

    def fetch(self) -> QueueResult | DashboardError:
        try:
            summary = self.queue.summary()
            page = self.batch_repository.page(
                BatchJobFilter(), PageRequest(limit=BATCHES_SHOWN, sort="created_at"))
            batches = []
            for row in page.rows.to_dict("records"):
                errors = (self.batch_repository.failed_items(int(row["id"]),
                                                             ITEM_ERRORS_SHOWN)
                          if row["items_failed"] else ())
                batches.append(BatchView(
                    id=int(row["id"]), type=str(row["type"]), status=row["derived_status"],
                    created_at=row.get("created_at"), total=int(row["items_total"]),
                    done=int(row["items_done"]), failed=int(row["items_failed"]),
                    running=int(row["items_running"]), pending=int(row["items_pending"]),
                    cancelled=int(row["items_cancelled"]), errors=tuple(errors)))
        except DatabaseUnavailableError as exc:
            return exc
        return QueueResult(summary=summary, batches=tuple(batches))

    def apply(self, result: QueueResult | DashboardError) -> None:
        if isinstance(result, DashboardError):
            self.error = result.user_message
            return
        updates: dict[str, Any] = {"error": None}
        if result.summary != self.summary:
            updates["summary"] = result.summary
        if list(result.batches) != self.batches:
            updates["batches"] = list(result.batches)
        self.param.update(**updates)

    def refresh(self) -> None:
        self.apply(self.fetch())

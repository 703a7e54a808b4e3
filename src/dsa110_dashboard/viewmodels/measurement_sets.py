"""State of /ms: the pipeline funnel (per stage, with the stuck ones) and the table of
measurement sets (filters, sort, page as in the URL; decision 0051).

Filtering, sorting and paging happen in SQL (``MeasurementSetRepository.page``) through
the query codec the API shares (``queries/ms_query.py``). ``fetch`` is blocking and
returns a result or the expected error; ``apply`` shows it unless the search changed
meanwhile. No Panel here.
"""

from __future__ import annotations

import time
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import param

from ..db.engine import Database
from ..errors import DashboardError, DatabaseUnavailableError, InvalidInputError
from ..queries.ms_query import MsQuery
from ..repositories.measurement_sets import MeasurementSetRepository
from ..repositories.ms_detail import missing_tables
from ..repositories.ms_funnel import (
    STUCK_LISTED,
    FunnelCount,
    MeasurementSetFunnel,
    StuckMeasurementSet,
)
from ..science.times import unix_to_mjd
from .ms_history import WINDOWS, FunnelHistory, funnel_history
from .paged_table import PagedTable, range_text

PAGE_SIZE = 50
QUERY_PARAMS = ("stage", "status", "cal", "stuck", "q", "sort", "order", "page")
FILTER_PARAMS = ("stage", "status", "cal", "stuck", "q")
#: Text sorts start ascending when chosen; times newest first.
ASCENDING_FIRST = ("path", "stage", "status", "group_id", "field_name")


@dataclass(frozen=True)
class StageSummary:
    """One stage of the funnel: its count, how many are stuck, and per status."""

    stage: str | None
    count: int
    stuck: int
    statuses: dict[str | None, int] = field(default_factory=dict)


def stage_summaries(counts: list[FunnelCount]) -> list[StageSummary]:
    """Per stage, in the order ``counts`` come (pipeline order)."""
    out: dict[str | None, StageSummary] = {}
    for c in counts:
        s = out.get(c.stage) or StageSummary(c.stage, 0, 0, {})
        s.statuses[c.status] = s.statuses.get(c.status, 0) + c.count
        out[c.stage] = StageSummary(s.stage, s.count + c.count, s.stuck + c.stuck,
                                    s.statuses)
    return list(out.values())


def ms_page_url(path: str) -> str:
    """The /ms/{path} page of one MS (the path URL-encoded, '/' as %2F)."""
    return f"/ms/{urllib.parse.quote(path, safe='')}"


@dataclass(frozen=True)
class MsResult:
    query: MsQuery
    rows: pd.DataFrame
    total: int
    funnel: list[StageSummary]
    stuck: list[StuckMeasurementSet]
    missing: list[str]
    at: float


@dataclass(frozen=True)
class MsFailure:
    query: MsQuery
    error: DashboardError


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["path", "mid_mjd", "start_mjd", "end_mjd", "field_name",
                                 "pointing_ra_deg", "pointing_dec_deg", "stage", "status",
                                 "stage_updated_at", "calibration_applied", "n_images",
                                 "stuck"])


class MeasurementSetsModel(PagedTable, param.Parameterized):
    SORTS = {key: key for key in MeasurementSetRepository.SORT_KEYS}
    ASCENDING_FIRST = ASCENDING_FIRST
    PAGE_SIZE = PAGE_SIZE

    # ----------------------------------------------------- the search (URL state)
    stage = param.String(default="", doc="A pipeline stage (as stored).")
    status = param.String(default="")
    cal = param.Selector(default="", objects=["", "yes", "no"])
    stuck = param.Boolean(default=False)
    q = param.String(default="", doc="Text contained in the path.")
    sort = param.Selector(default=MeasurementSetRepository.DEFAULT_SORT,
                          objects=list(MeasurementSetRepository.SORT_KEYS))
    order = param.Selector(default="desc", objects=["asc", "desc"])
    page = param.Integer(default=1, bounds=(1, None))
    #: The funnel-over-time window (its own URL key; not a filter of the table).
    history = param.Selector(default="24h", objects=list(WINDOWS))

    # ------------------------------------------------------------------ results
    rows = param.DataFrame(default=empty_rows(), doc="The current page only.")
    total = param.Integer(default=None, allow_None=True)
    funnel = param.List(default=[])
    stuck_list = param.List(default=[], doc="The stuck ones waiting longest, with reasons.")
    missing = param.List(default=[], doc="Pipeline tables this database lacks.")
    error = param.String(default=None, allow_None=True)
    error_parameter = param.String(default=None, allow_None=True)
    input_notes = param.List(default=[])
    read_at = param.Number(default=None, allow_None=True)
    history_result = param.ClassSelector(class_=FunnelHistory, default=None, allow_None=True)

    def __init__(self, db: Database, stuck_hours: float, **params):
        super().__init__(**params)
        self.db = db
        self.stuck_hours = stuck_hours
        self.repository = MeasurementSetRepository(db)
        self.funnel_repository = MeasurementSetFunnel(db)
        self.param.watch(self._back_to_first_page, [*FILTER_PARAMS, "sort", "order"])

    @property
    def query(self) -> MsQuery:
        return MsQuery(stages=(self.stage,) if self.stage else (),
                       statuses=(self.status,) if self.status else (), cal=self.cal,
                       stuck=self.stuck, search=self.q.strip(), sort=self.sort,
                       order=self.order, page=self.page, size=PAGE_SIZE)

    # ------------------------------------------------------------------ actions
    def show_stage(self, stage: str | None, stuck: bool = False) -> None:
        """What a click on a stage's count (or its stuck count) shows. The NULL stage
        cannot be a filter value: it shows every stage."""
        self.param.update(stage=stage or "", status="", stuck=stuck)

    def clear_filters(self) -> None:
        self.param.update(stage="", status="", cal="", stuck=False, q="")

    # ---------------------------------------------------------------- derived
    @property
    def range_text(self) -> str:
        return range_text(self.total, self.page, PAGE_SIZE, len(self.rows), "measurement sets")

    @property
    def missing_text(self) -> str | None:
        """What the page cannot show on this database, said plainly."""
        if not self.missing:
            return None
        what = {"calibration_applied": "calibration applied is read from ms_index.cal_applied "
                                       "alone",
                "images": "image counts are unknown",
                "caltables": "applied tables cannot be matched to the registry",
                "calibration_qa": "there is no calibration QA",
                "hdf5_files": "the HDF5 subbands are unknown",
                "jobs": "there are no jobs"}
        parts = [f"{name} ({what[name]})" for name in self.missing if name in what]
        return "This database has no " + "; no ".join(parts) + "." if parts else None

    # --------------------------------------------------------------- loading
    def fetch(self, query: MsQuery | None = None, now: float | None = None
              ) -> MsResult | MsFailure:
        """Blocking: the funnel, one page and its total, for ``query``."""
        query = query or self.query
        cutoff = (time.time() if now is None else now) - self.stuck_hours * 3600.0
        try:
            flt = query.ms_filter(cutoff)
            page = self.repository.page(flt, query.page_request(), stuck_cutoff=cutoff)
            funnel = stage_summaries(self.funnel_repository.counts(cutoff))
            stuck = self.funnel_repository.stuck(cutoff, limit=STUCK_LISTED)
            missing = missing_tables(self.db)
        except (InvalidInputError, DatabaseUnavailableError) as exc:
            return MsFailure(query=query, error=exc)
        return MsResult(query=query, rows=page.rows, total=page.total, funnel=funnel,
                        stuck=stuck, missing=missing, at=time.time())

    def apply(self, result: MsResult | MsFailure) -> bool:
        """Show ``result`` unless the search changed meanwhile; True when shown."""
        if result.query != self.query:
            return False
        if isinstance(result, MsFailure):
            self.param.update(error=result.error.user_message,
                              error_parameter=getattr(result.error, "parameter", None))
            if isinstance(result.error, InvalidInputError):
                self.param.update(rows=empty_rows(), total=0)
            return True
        updates: dict[str, Any] = dict(total=result.total, error=None, error_parameter=None,
                                       read_at=result.at, funnel=result.funnel,
                                       stuck_list=result.stuck,
                                       missing=result.missing, rows=result.rows)
        self.param.update(**updates)
        if result.total and self.page > self.page_count:
            self.page = self.page_count
            return False
        return True

    def fetch_history(self, now: float | None = None) -> FunnelHistory | DashboardError:
        """Blocking: the funnel over the chosen window."""
        now_mjd = float(unix_to_mjd(time.time() if now is None else now))
        try:
            return funnel_history(self.funnel_repository, self.history, now_mjd)
        except DatabaseUnavailableError as exc:
            return exc

    def apply_history(self, result: FunnelHistory | DashboardError) -> None:
        if isinstance(result, FunnelHistory):
            if result.window == self.history:
                self.history_result = result
        else:
            self.error = result.user_message

    def refresh(self) -> None:
        self.apply_history(self.fetch_history())
        for _ in range(2):
            if self.apply(self.fetch()):
                return

"""State of /calibration: the registry table (filters, sort, page as in the URL), the
apply-list at a chosen time, the validity timeline and the calibration-QA heat map.

``at`` is what the person typed (an MJD or an ISO UTC date/time; empty means now); the
apply-list and the timeline's marker follow it. Blocking ``refresh_*`` methods run on a
worker thread in the page. No Panel here.
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import param

from ..db.engine import Database
from ..errors import DatabaseUnavailableError, InvalidInputError
from ..files import DataRoots
from ..queries.image_query import parse_time
from ..repositories.cal_registry import STATES, ApplyList, CalibrationRegistry, RegistryFilter
from ..repositories.paging import PageRequest
from ..science.times import mjd_to_unix, unix_to_mjd
from .paged_table import PagedTable

PAGE_SIZE = 50
#: Sort keys a person picks, and the repository's key for each.
SORTS = {"created": "created_at", "start": "valid_start_mjd", "end": "valid_end_mjd",
         "type": "order_index", "state": "state", "set": "set_name"}
ASCENDING_FIRST = ("type", "state", "set")
QUERY_PARAMS = ("type", "state", "field", "sort", "order", "page", "at")
FILTER_PARAMS = ("type", "state", "field")
#: How far back the timeline and the QA heat map reach, in days.
HISTORY_DAYS = 7.0


def empty_rows() -> pd.DataFrame:
    return pd.DataFrame(columns=["id", "set_name", "path", "table_type", "cal_field",
                                 "refant", "valid_start_mjd", "valid_end_mjd", "state",
                                 "quality_metrics", "inverted_window", "overlaps_active",
                                 "path_problem"])


class CalibrationModel(PagedTable, param.Parameterized):
    SORTS = SORTS
    ASCENDING_FIRST = ASCENDING_FIRST
    PAGE_SIZE = PAGE_SIZE

    # ----------------------------------------------------- the search (URL state)
    type = param.String(default="", doc="Table type (K, BP, G, ...).")
    state = param.Selector(default="", objects=["", *STATES])
    field = param.String(default="", doc="Text contained in the calibrator field.")
    sort = param.Selector(default="created", objects=list(SORTS))
    order = param.Selector(default="desc", objects=["asc", "desc"])
    page = param.Integer(default=1, bounds=(1, None))
    at = param.String(default="", doc="MJD or ISO UTC time of the apply-list; empty: now.")

    # ------------------------------------------------------------------ results
    rows = param.DataFrame(default=empty_rows(), doc="The current page only.")
    total = param.Integer(default=None, allow_None=True)
    type_options = param.List(default=[])
    error = param.String(default=None, allow_None=True)
    input_notes = param.List(default=[])
    apply_list = param.ClassSelector(class_=ApplyList, default=None, allow_None=True)
    apply_error = param.String(default=None, allow_None=True)
    windows = param.DataFrame(default=None, allow_None=True)
    #: Observations imaged while no active table was valid (marked on the timeline).
    uncalibrated = param.DataFrame(default=None, allow_None=True)
    #: Per-SPW flagged fractions; None when the database has no calibration_qa.
    qa_cells = param.DataFrame(default=None, allow_None=True)
    now_mjd = param.Number(default=None, allow_None=True)

    def __init__(self, db: Database, roots: DataRoots | None = None,
                 horizon_hours: float = 24.0, **params):
        super().__init__(**params)
        self.registry = CalibrationRegistry(db, roots)
        self.horizon_hours = horizon_hours
        self.param.watch(self._back_to_first_page, [*FILTER_PARAMS, "sort", "order"])

    # ------------------------------------------------------------------ actions
    # ---------------------------------------------------------------- derived
    @property
    def range_text(self) -> str:
        if self.total is None:
            return "Loading…"
        if self.total == 0:
            return "No calibration tables match."
        first = (self.page - 1) * PAGE_SIZE + 1
        last = min(self.total, first + len(self.rows) - 1)
        return f"Tables {first:,}–{last:,} of {self.total:,}"

    def at_mjd(self, now_mjd: float) -> float:
        """The chosen time as an MJD (InvalidInputError naming ``at``)."""
        chosen = parse_time(self.at, "at")
        return now_mjd if chosen is None else chosen

    # --------------------------------------------------------------- loading
    # Each read_* is blocking and changes nothing: it returns the updates, so that the
    # page can read while it is being created and show the result in one batch.
    @property
    def query(self) -> tuple:
        return tuple(getattr(self, name) for name in QUERY_PARAMS)

    def read_registry(self) -> dict[str, Any]:
        now = unix_to_mjd(time.time())
        flt = RegistryFilter(table_types=(self.type,) if self.type else None,
                             states=(self.state,) if self.state else None,
                             cal_field=self.field.strip() or None)
        request = PageRequest(offset=(self.page - 1) * PAGE_SIZE, limit=PAGE_SIZE,
                              sort=SORTS[self.sort], descending=self.order == "desc")
        try:
            page = self.registry.page(flt, request, now)
            types = self.registry.table_types()
        except (InvalidInputError, DatabaseUnavailableError) as exc:
            return dict(error=exc.user_message, rows=empty_rows(), total=0)
        return dict(rows=page.rows, total=page.total, error=None, now_mjd=now,
                    type_options=sorted({*types, *([self.type] if self.type else [])}))

    def read_apply_list(self) -> dict[str, Any]:
        now = unix_to_mjd(time.time())
        try:
            mjd = self.at_mjd(now)
            applied = self.registry.apply_list(mjd, self.horizon_hours)
        except (InvalidInputError, DatabaseUnavailableError) as exc:
            return dict(apply_error=exc.user_message, apply_list=None)
        return dict(apply_list=applied, apply_error=None, now_mjd=now)

    def read_history(self) -> dict[str, Any]:
        """The timeline's windows and the QA cells of the last days (and around the
        chosen time, when it is older)."""
        now = unix_to_mjd(time.time())
        try:
            at = self.at_mjd(now)
        except InvalidInputError:
            at = now
        since = min(now, at) - HISTORY_DAYS
        until = max(now, at) + 2.0
        try:
            windows = self.registry.windows(since, until, now)
            uncalibrated = self.registry.imaged_without_calibration(since, until)
            cells = self.registry.qa_since(mjd_to_unix(since))
        except DatabaseUnavailableError as exc:
            return dict(error=exc.user_message)
        return dict(uncalibrated=uncalibrated, windows=windows, qa_cells=cells, now_mjd=now)

    def read_all(self) -> tuple[tuple, dict[str, Any]]:
        """(the query it was read for, every update), for the first load."""
        query = self.query
        return query, {**self.read_history(), **self.read_apply_list(),
                       **self.read_registry()}

    def refresh_registry(self) -> None:
        self.param.update(**self.read_registry())

    def refresh_apply_list(self) -> None:
        self.param.update(**self.read_apply_list())

    def refresh_history(self) -> None:
        self.param.update(**self.read_history())

    def refresh(self) -> None:
        self.param.update(**self.read_all()[1])

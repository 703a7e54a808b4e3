"""State of the sources search (``/sources``): what is asked, and the page of results.

Everything a user types lives in parameters (synced to the URL by the view); ``fetch()``
is the blocking database work (run it in a worker thread) and ``apply()`` puts its
result on the parameters. No Panel here.
"""

from __future__ import annotations

import math
import time
import urllib.parse
from dataclasses import dataclass

import pandas as pd
import param

from ..db.engine import Database
from ..errors import DashboardError, InvalidInputError, clipped
from ..repositories.paging import PageRequest
from ..repositories.sources import SourceRepository
from ..repositories.variability import VariabilityRepository
from ..science.coordinates import format_radius, parse_position, parse_radius
from ..science.numbers import parse_number
from .paged_table import PagedTable, range_text

PAGE_SIZE = 50

#: Statistic filters: (parameter prefix, repository key, label). Each has _min and _max.
FILTERS = (("eta", "eta_metric", "η"), ("v", "v", "V"), ("chi2", "chi2_nu", "χ²ν"),
           ("sigma", "sigma_deviation", "σ deviation"), ("n", "n_epochs", "epochs"),
           ("mean", "mean_flux_mjy", "mean flux (mJy)"),
           ("nvss", "nvss_flux_mjy", "NVSS flux (mJy)"))
SORTS = {"relevance": None, "eta": "eta_metric", "v": "v", "chi2": "chi2_nu",
         "sigma": "sigma_deviation", "epochs": "n_epochs", "mean": "mean_flux_mjy",
         "nvss": "nvss_flux_mjy", "name": "name", "ra": "ra_deg", "dec": "dec_deg",
         "last": "last_mjd", "sep": "sep_arcsec"}
#: Sort keys whose natural order is high first (statistics, fluxes, the latest epoch);
#: the others (names, positions, separations) run low first.
HIGH_FIRST = frozenset({"eta_metric", "v", "chi2_nu", "sigma_deviation", "n_epochs",
                        "mean_flux_mjy", "nvss_flux_mjy", "last_mjd"})
RESULT_COLUMNS = ["source_id", "ra_deg", "dec_deg", "nvss_flux_mjy", "n_epochs",
                  "mean_flux_mjy", "eta_metric", "v", "chi2_nu", "sigma_deviation",
                  "last_mjd", "ese_status"]
ESE_STATUSES = ("active", "investigated", "dismissed")
#: The label a person knows each input by (messages name the input once, by this).
LABELS = {"name_query": "Name", "position": "Cone centre", "radius": "Cone radius",
          "sort": "Sort", "descending": "Descending", "page": "Page",
          **{f"{p}_{end}": f"{label} {sign}" for p, _key, label in FILTERS
             for end, sign in (("min", "≥"), ("max", "≤"))}}


def source_url(source_id: str) -> str:
    """The source page's path; ids hold spaces and '+', so every byte is quoted."""
    return "/sources/" + urllib.parse.quote(source_id, safe="")


def cone_text(cone: tuple[float, float, float]) -> str:
    """``within 30 arcmin of RA 116.85800°, Dec +54.90000°``: the radius in the unit a
    person would write it in."""
    ra, dec, radius = cone
    return f"within {format_radius(radius)} of RA {ra:.5f}°, Dec {dec:+.5f}°"


@dataclass(frozen=True)
class SearchResult:
    rows: pd.DataFrame
    total: int
    cone: tuple[float, float, float] | None
    #: The page the rows are: the one asked for, or the last one when that was past
    #: the end (a shared link outlives data that shrank).
    page: int = 1
    asked_page: int = 1


def _filter_params() -> dict[str, param.Parameter]:
    out = {}
    for prefix, _key, label in FILTERS:
        for end, word in (("min", "at least"), ("max", "at most")):
            out[f"{prefix}_{end}"] = param.Number(default=None, allow_None=True,
                                                  doc=f"{label} {word} this (inclusive).")
    return out


class SourceSearchModel(param.Parameterized):
    """A search of the source table: name prefix, cone, bounds, sort and page."""

    name_query = param.String(default="", doc="Name prefix, case-insensitive (NVSS optional).")
    position = param.String(default="", doc="Cone centre: sexagesimal or degrees.")
    radius = param.String(default="2 arcmin", doc="Cone radius with its unit.")
    locals().update(_filter_params())
    sort = param.Selector(default="relevance", objects=list(SORTS))
    descending = param.Boolean(
        default=None, allow_None=True,
        doc="True: descending, False: ascending, None: the natural order of what is "
            "sorted by (high first for statistics, low first for names, positions and "
            "separations). Back to None when what is sorted by changes.")
    page = param.Integer(default=1, bounds=(1, None))
    page_size = param.Integer(default=PAGE_SIZE, bounds=(1, 500))

    rows = param.DataFrame(default=pd.DataFrame(columns=RESULT_COLUMNS), doc="One page.")
    total = param.Integer(default=0)
    error = param.String(default=None, allow_None=True,
                         doc="Why the search failed, naming the input once by its label.")
    error_field = param.String(default=None, allow_None=True,
                               doc="Which parameter is wrong (for code; see LABELS).")
    cone = param.Tuple(default=None, allow_None=True, length=3,
                       doc="Parsed (ra, dec, radius) in degrees of the last search.")
    loaded_at = param.Number(default=None, allow_None=True)
    input_notes = param.List(default=[], item_type=str,
                             doc="Inputs that were ignored or corrected (a bad URL value, "
                                 "a page past the end); cleared when the user changes the "
                                 "search.")

    QUERY = ("name_query", "position", "radius", "sort", "descending", "page",
             *[f"{p}_{e}" for p, _, _ in FILTERS for e in ("min", "max")])

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.repo = SourceRepository(db)
        # True while ``apply`` puts a result on the parameters (its own page correction
        # is not the user changing the search).
        self.applying = False
        #: The page whose rows are shown (None before the first result, while a search
        #: runs and after an error): a page change to it needs no new search.
        self.shown_page: int | None = None
        self.param.watch(self._forget_notes, list(self.QUERY))
        self._sorted_by = self.sort_key()
        self.param.watch(self._natural_order, ["sort", "name_query", "position", "descending"])

    def _forget_notes(self, *_events) -> None:
        """A note about an ignored or corrected input is stale once the user changes
        the search (the page ``apply`` corrects writes its own note)."""
        if self.input_notes and not self.applying:
            self.input_notes = []

    # -------------------------------------------------------------- the query
    def bounds(self) -> dict[str, tuple[float | None, float | None]]:
        out = {}
        for prefix, key, label in FILTERS:
            low, high = getattr(self, f"{prefix}_min"), getattr(self, f"{prefix}_max")
            for value, end in ((low, "min"), (high, "max")):
                parse_number(value, f"{prefix}_{end}")
            if low is not None and high is not None and low > high:
                raise InvalidInputError(f"{label} filter: the minimum {low:g} is above the "
                                        f"maximum {high:g}", parameter=f"{prefix}_min")
            if low is not None or high is not None:
                out[key] = (low, high)
        return out

    def parsed_cone(self) -> tuple[float, float, float] | None:
        """(ra, dec, radius) in degrees, or None without a centre. The parsers word
        their messages with the field name given: the label, so it is said once."""
        if not self.position.strip():
            return None
        try:
            ra, dec = parse_position(self.position, LABELS["position"])
        except InvalidInputError as exc:
            raise InvalidInputError(str(exc), parameter="position") from None
        try:
            radius = parse_radius(self.radius, LABELS["radius"])
        except InvalidInputError as exc:
            raise InvalidInputError(str(exc), parameter="radius") from None
        return ra, dec, radius

    def describe(self, cone: tuple[float, float, float] | None = None) -> str:
        """What is asked, in words: "name starting with 'J09', within 2 arcmin of
        RA 188.73600°, Dec +42.05300°, η ≥ 2". Empty when nothing is."""
        parts = []
        if self.name_query.strip():
            parts.append(f"name starting with {clipped(self.name_query.strip(), quote=True)}")
        if cone is not None:
            parts.append(cone_text(cone))
        for name in self.QUERY:
            if name.endswith(("_min", "_max")) and getattr(self, name) is not None:
                parts.append(f"{LABELS[name]} {getattr(self, name):g}")
        return ", ".join(parts)

    def no_match_message(self) -> str:
        """Why the table is empty, when the search ran and found nothing."""
        asked = self.describe(self.cone)
        return f"No source matches {asked}." if asked else "There are no sources yet."

    def sort_key(self, cone: bool | None = None) -> str:
        """The key the results are sorted by: the one chosen, or for the default sort
        the separation (a cone), the name (a name search), else eta."""
        cone = bool(self.position.strip()) if cone is None else cone
        key = SORTS[self.sort]
        if key == "sep_arcsec" and not cone:
            key = None
        if key is None:
            key = "sep_arcsec" if cone else ("name" if self.name_query.strip()
                                             else "eta_metric")
        return key

    def effective_descending(self, cone: bool | None = None) -> bool:
        """The order the results are in (what the Descending box shows)."""
        if self.descending is not None:
            return self.descending
        return self.sort_key(cone) in HIGH_FIRST

    def _natural_order(self, *events) -> None:
        """What is sorted by changed (another sort, or the default sort turned from eta
        to name or to separation): its natural order, unless the same change set the
        order too (a shared link)."""
        key = self.sort_key()
        if key != self._sorted_by and not any(e.name == "descending" for e in events):
            self.descending = None
        self._sorted_by = key

    def request(self, cone: bool, page: int | None = None) -> PageRequest:
        page = self.page if page is None else page
        return PageRequest(offset=(page - 1) * self.page_size, limit=self.page_size,
                           sort=self.sort_key(cone),
                           descending=self.effective_descending(cone))

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    def reset(self) -> None:
        """Every input back to its default (one URL update)."""
        self.param.update(**{name: self.param[name].default for name in self.QUERY})

    # ------------------------------------------------------------------ work
    def fetch(self) -> SearchResult | DashboardError:
        """Blocking: run it in a worker thread. The page of sources, or the error.
        A page past the end is fetched again as the last page."""
        self.shown_page = None  # a search is under way: any page change must search
        asked = self.page
        try:
            cone = self.parsed_cone()
            bounds = self.bounds()

            def search(page: int):
                return self.repo.search(name=self.name_query or None, cone=cone,
                                        bounds=bounds,
                                        request=self.request(cone is not None, page))

            page, number = search(asked), asked
            last = max(1, math.ceil(page.total / self.page_size))
            if asked > last:
                number = last
                if page.total:
                    page = search(last)
        except DashboardError as exc:
            return exc
        rows = page.rows.copy()
        if "ese_status" in rows:
            rows["ese_status"] = rows["ese_status"].astype(object).where(
                rows["ese_status"].notna(), None)
        return SearchResult(rows, page.total, cone, number, asked)

    def apply(self, result: SearchResult | DashboardError) -> None:
        self.applying = True
        try:
            if isinstance(result, DashboardError):
                # Nothing of the last search stays: its cone and total would describe
                # input the user has since replaced.
                field = getattr(result, "parameter", None)
                message = result.user_message
                if not isinstance(result, InvalidInputError) or field not in LABELS:
                    message = f"Search failed: {message}"
                self.shown_page = None
                self.param.update(error=message, error_field=field, cone=None,
                                  rows=pd.DataFrame(columns=RESULT_COLUMNS), total=0)
                return
            update = dict(rows=result.rows, total=result.total, cone=result.cone,
                          error=None, error_field=None, loaded_at=time.time())
            if result.page != result.asked_page and result.asked_page == self.page:
                update["page"] = result.page
                if result.total:
                    update["input_notes"] = [*self.input_notes, (
                        f"Page {result.asked_page:,} is past the end of the results: "
                        f"showing page {result.page:,}, the last.")]
            self.shown_page = update.get("page", self.page)
            self.param.update(**update)
        finally:
            self.applying = False

    def refresh(self) -> None:
        self.apply(self.fetch())


class EseCandidatesModel(PagedTable, param.Parameterized):
    """The ESE candidate flags with their status (one row per flag: thousands in a year,
    read at once), shown a page at a time."""

    PAGE_SIZE = 10

    status = param.Selector(default="active", objects=["all", *ESE_STATUSES])
    rows = param.DataFrame(default=pd.DataFrame(
        columns=["source_id", "status", "significance", "flag_type", "flagged_at", "notes"]))
    total = param.Integer(default=None, allow_None=True, doc="Flags of the status.")
    page = param.Integer(default=1, bounds=(1, None))
    error = param.String(default=None, allow_None=True)
    input_notes = param.List(default=[], item_type=str,
                             doc="Inputs that were ignored (a bad URL value); cleared when "
                                 "the user picks a status.")

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.repo = VariabilityRepository(db)
        self.param.watch(lambda _e: self.param.update(input_notes=[]), ["status"])

    def fetch(self) -> pd.DataFrame | DashboardError:
        try:
            statuses = None if self.status == "all" else (self.status,)
            return self.repo.ese_candidates(statuses)
        except DashboardError as exc:
            return exc

    def apply(self, result: pd.DataFrame | DashboardError) -> None:
        if isinstance(result, DashboardError):
            # No list of another status left under the one now chosen.
            self.param.update(rows=self.param.rows.default, total=None, page=1,
                              error=result.user_message)
            return
        frame = result.copy()
        frame["flagged_at"] = pd.to_datetime(pd.to_numeric(frame["flagged_at"],
                                                           errors="coerce"), unit="s",
                                             utc=True).dt.strftime("%Y-%m-%d %H:%M")
        self.param.update(rows=frame, total=len(frame), page=1, error=None)

    def refresh(self) -> None:
        self.apply(self.fetch())

    def page_rows(self) -> pd.DataFrame:
        first = (self.page - 1) * self.PAGE_SIZE
        return self.rows.iloc[first:first + self.PAGE_SIZE]

    @property
    def range_text(self) -> str:
        return range_text(self.total, self.page, self.PAGE_SIZE, len(self.page_rows()),
                          "ESE flags")

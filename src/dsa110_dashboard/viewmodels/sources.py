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
from ..errors import DashboardError, InvalidInputError
from ..repositories.paging import PageRequest
from ..repositories.sources import SourceRepository, VariabilityRepository
from ..science.coordinates import parse_position, parse_radius

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
RESULT_COLUMNS = ["source_id", "ra_deg", "dec_deg", "nvss_flux_mjy", "n_epochs",
                  "mean_flux_mjy", "eta_metric", "v", "chi2_nu", "sigma_deviation",
                  "last_mjd", "ese_status"]
ESE_STATUSES = ("active", "investigated", "dismissed")


def source_url(source_id: str) -> str:
    """The source page's path; ids hold spaces and '+', so every byte is quoted."""
    return "/sources/" + urllib.parse.quote(source_id, safe="")


@dataclass(frozen=True)
class SearchResult:
    rows: pd.DataFrame
    total: int
    cone: tuple[float, float, float] | None


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
    descending = param.Boolean(default=True)
    page = param.Integer(default=1, bounds=(1, None))
    page_size = param.Integer(default=PAGE_SIZE, bounds=(1, 500))

    rows = param.DataFrame(default=pd.DataFrame(columns=RESULT_COLUMNS), doc="One page.")
    total = param.Integer(default=0)
    error = param.String(default=None, allow_None=True, doc="Why the search failed.")
    error_field = param.String(default=None, allow_None=True, doc="Which input is wrong.")
    cone = param.Tuple(default=None, allow_None=True, length=3,
                       doc="Parsed (ra, dec, radius) in degrees of the last search.")
    loaded_at = param.Number(default=None, allow_None=True)

    QUERY = ("name_query", "position", "radius", "sort", "descending", "page",
             *[f"{p}_{e}" for p, _, _ in FILTERS for e in ("min", "max")])

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.repo = SourceRepository(db)

    # -------------------------------------------------------------- the query
    def bounds(self) -> dict[str, tuple[float | None, float | None]]:
        out = {}
        for prefix, key, label in FILTERS:
            low, high = getattr(self, f"{prefix}_min"), getattr(self, f"{prefix}_max")
            for value, end in ((low, "min"), (high, "max")):
                if value is not None and not math.isfinite(value):
                    raise InvalidInputError(f"{label}: the bound must be a finite number",
                                            parameter=f"{prefix}_{end}")
            if low is not None and high is not None and low > high:
                raise InvalidInputError(f"{label}: the minimum {low:g} is above the "
                                        f"maximum {high:g}", parameter=f"{prefix}_min")
            if low is not None or high is not None:
                out[key] = (low, high)
        return out

    def parsed_cone(self) -> tuple[float, float, float] | None:
        if not self.position.strip():
            return None
        ra, dec = parse_position(self.position, "position")
        return ra, dec, parse_radius(self.radius, "radius")

    def request(self, cone: bool) -> PageRequest:
        key = SORTS[self.sort]
        if key == "sep_arcsec" and not cone:
            key = None
        return PageRequest(offset=(self.page - 1) * self.page_size, limit=self.page_size,
                           sort=key, descending=self.descending)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    def reset(self) -> None:
        """Every input back to its default (one URL update)."""
        self.param.update(**{name: self.param[name].default for name in self.QUERY})

    # ------------------------------------------------------------------ work
    def fetch(self) -> SearchResult | DashboardError:
        """Blocking: run it in a worker thread. The page of sources, or the error."""
        try:
            cone = self.parsed_cone()
            page = self.repo.search(name=self.name_query or None, cone=cone,
                                    bounds=self.bounds(), request=self.request(cone is not None))
        except DashboardError as exc:
            return exc
        rows = page.rows.copy()
        if "ese_status" in rows:
            rows["ese_status"] = rows["ese_status"].astype(object).where(
                rows["ese_status"].notna(), None)
        return SearchResult(rows, page.total, cone)

    def apply(self, result: SearchResult | DashboardError) -> None:
        if isinstance(result, DashboardError):
            self.param.update(error=result.user_message,
                              error_field=getattr(result, "parameter", None),
                              rows=pd.DataFrame(columns=RESULT_COLUMNS), total=0)
            return
        self.param.update(rows=result.rows, total=result.total, cone=result.cone,
                          error=None, error_field=None, loaded_at=time.time())

    def refresh(self) -> None:
        self.apply(self.fetch())


class EseCandidatesModel(param.Parameterized):
    """The ESE candidate flags with their status; small (one row per flag)."""

    status = param.Selector(default="active", objects=["all", *ESE_STATUSES])
    rows = param.DataFrame(default=pd.DataFrame(
        columns=["source_id", "status", "significance", "flag_type", "flagged_at", "notes"]))
    error = param.String(default=None, allow_None=True)

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.repo = VariabilityRepository(db)

    def fetch(self) -> pd.DataFrame | DashboardError:
        try:
            statuses = None if self.status == "all" else (self.status,)
            return self.repo.ese_candidates(statuses)
        except DashboardError as exc:
            return exc

    def apply(self, result: pd.DataFrame | DashboardError) -> None:
        if isinstance(result, DashboardError):
            self.error = result.user_message
            return
        frame = result.copy()
        frame["flagged_at"] = pd.to_datetime(pd.to_numeric(frame["flagged_at"],
                                                           errors="coerce"), unit="s",
                                             utc=True).dt.strftime("%Y-%m-%d %H:%M")
        self.param.update(rows=frame, error=None)

    def refresh(self) -> None:
        self.apply(self.fetch())

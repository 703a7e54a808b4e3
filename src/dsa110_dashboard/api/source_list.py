"""Sources: the list with name and cone search and statistic filters, one source, and
its variability.

- ``GET /api/v1/sources?name=&ra=&dec=&radius=&eta_min=&eta_max=&...&sort=&order=&offset=&limit=``:
  a page of sources with the total. ``name`` is a name prefix (``J1234``, ``nvss j1234``);
  ``ra``, ``dec`` and ``radius`` (degrees, all three) a cone, which adds ``sep_arcsec``;
  ``{eta,v,chi2,sigma,n,mean,nvss}_{min,max}`` bound the statistics (inclusive). Default
  order: nearest first for a cone, name for a name search, else eta descending.
- ``GET /api/v1/sources/{source_id}``: one source's record and links.
- ``GET /api/v1/sources/{source_id}/variability``: its stored variability statistics
  (the pipeline's variability_stats, our two-epoch ones, V, ESE status).
"""

from __future__ import annotations

import dataclasses
import urllib.parse
from typing import Any, Literal

from pydantic import Field, create_model

from ..errors import InvalidInputError
from ..repositories.paging import DEFAULT_LIMIT, PageRequest
from ..repositories.sources import SourceRepository
from .models import Page, Paging
from .operators import OperatorApiHandler, plain, rows
from .spec import Loose, Op

#: Statistic filters: parameter prefix -> repository key (each with _min and _max).
BOUNDS = {"eta": "eta_metric", "v": "v", "chi2": "chi2_nu", "sigma": "sigma_deviation",
          "n": "n_epochs", "mean": "mean_flux_mjy", "nvss": "nvss_flux_mjy"}
SORTS = (*SourceRepository.SORTS, "sep_arcsec")


def _bound(prefix: str, side: str) -> tuple[Any, Any]:
    return (float | None, Field(None, allow_inf_nan=False,
                                description=f"{BOUNDS[prefix]} {side}imum (inclusive)"))


class _SourceSearch(Paging):
    name: str | None = Field(None, max_length=100, description="name prefix")
    ra: float | None = Field(None, ge=0, le=360, allow_inf_nan=False,
                             description="cone centre RA, degrees")
    dec: float | None = Field(None, ge=-90, le=90, allow_inf_nan=False,
                              description="cone centre Dec, degrees")
    radius: float | None = Field(None, gt=0, le=90, allow_inf_nan=False,
                                 description="cone radius, degrees")
    sort: Literal[SORTS] | None = None  # type: ignore[valid-type]


SourceSearch = create_model(
    "SourceSearch", __base__=_SourceSearch,
    **{f"{p}_{side}": _bound(p, side) for p in BOUNDS for side in ("min", "max")})


def source_links(source_id: str) -> dict[str, str]:
    base = f"/api/v1/sources/{urllib.parse.quote(source_id, safe='')}"
    return {"url": base, "page": f"/sources/{urllib.parse.quote(source_id, safe='')}",
            "lightcurve": f"{base}/lightcurve", "variability": f"{base}/variability"}


class SourceItem(Loose):
    source_id: str
    ra_deg: float | None = None
    dec_deg: float | None = None
    url: str


class SourcePage(Page):
    sources: list[SourceItem]


class SourcesHandler(OperatorApiHandler):
    operations = {"get": Op("A page of sources: name and cone search, statistic filters",
                            query=SourceSearch, response=SourcePage, tag="sources")}

    async def get(self) -> None:
        q = self.query
        cone_given = [k for k in ("ra", "dec", "radius") if getattr(q, k) is not None]
        if cone_given and len(cone_given) < 3:
            missing = next(k for k in ("ra", "dec", "radius") if getattr(q, k) is None)
            raise InvalidInputError("a cone search needs ra, dec and radius", parameter=missing)
        cone = (q.ra, q.dec, q.radius) if cone_given else None
        if q.sort == "sep_arcsec" and cone is None:
            raise InvalidInputError("sort=sep_arcsec needs a cone (ra, dec, radius)",
                                    parameter="sort")
        bounds = {}
        for prefix, key in BOUNDS.items():
            low, high = getattr(q, f"{prefix}_min"), getattr(q, f"{prefix}_max")
            if low is not None and high is not None and low > high:
                raise InvalidInputError(f"{prefix}_min is larger than {prefix}_max",
                                        parameter=f"{prefix}_min")
            if low is not None or high is not None:
                bounds[key] = (low, high)
        limit = q.limit or DEFAULT_LIMIT
        if limit > self.ctx.settings.page_size_max:
            raise InvalidInputError(f"limit must be between 1 and "
                                    f"{self.ctx.settings.page_size_max}", parameter="limit")
        request = PageRequest(offset=q.offset, limit=limit, sort=q.sort,
                              descending=q.order != "asc")
        repo = SourceRepository(self.ctx.db)
        page = await self.blocking(lambda: repo.search(
            name=q.name, cone=cone, bounds=bounds, request=request))
        items = rows(page.rows)
        for item in items:
            item.update(source_links(item["source_id"]))
        self.write_json({"total": page.total, "offset": page.offset, "limit": page.limit,
                         "sort": q.sort, "order": q.order or None, "sources": items})


class SourceDetail(Loose):
    source_id: str
    name: str | None = None
    ra_deg: float | None = None
    dec_deg: float | None = None
    url: str


class SourceHandler(OperatorApiHandler):
    operations = {"get": Op("One source", response=SourceDetail, tag="sources")}

    async def get(self, source_id: str) -> None:
        record = await self.blocking(SourceRepository(self.ctx.db).get, source_id)
        self.write_json(plain({**dataclasses.asdict(record), **source_links(source_id)}))


VARIABILITY = ("n_obs", "n_epochs", "first_mjd", "last_mjd", "mean_flux_mjy",
               "std_flux_mjy", "min_flux_mjy", "max_flux_mjy", "chi2_nu", "sigma_deviation",
               "eta_metric", "v", "vs_max", "m_at_vs_max", "is_two_epoch_variable",
               "stats_flux_column", "ese_status", "ese_significance", "last_measured_at")


class Variability(Loose):
    source_id: str
    eta_metric: float | None
    v: float | None
    chi2_nu: float | None
    ese_status: str | None


class SourceVariabilityHandler(OperatorApiHandler):
    operations = {"get": Op("A source's stored variability statistics",
                            response=Variability, tag="sources",
                            description="eta, V (std/mean), chi2_nu, sigma deviation, the "
                                        "two-epoch Vs and m, and the ESE candidate status; "
                                        "null where the pipeline has not computed one")}

    async def get(self, source_id: str) -> None:
        record = await self.blocking(SourceRepository(self.ctx.db).get, source_id)
        values = dataclasses.asdict(record)
        body: dict[str, Any] = {"source_id": record.source_id,
                                **{k: values[k] for k in VARIABILITY}}
        body.update(source_links(record.source_id))
        self.write_json(plain(body))

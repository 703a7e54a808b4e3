"""The caches and the service checks (issue 16; the paths issue 17 names).

- ``GET /api/v1/cache``: every cache of this process (``status.caches``): entries, bytes,
  limit, hits, misses, hit rate.
- ``POST /api/v1/cache/clear`` with ``{"caches": ["thumbnails", "queries"]}`` (all when
  empty): an operator's action (XSRF or token, decision 0047), audited as
  ``clear-cache``; answers the entries removed per cache.
- ``GET /api/v1/services``: the configured health checks (name, kind, target, timeout).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..errors import InvalidInputError
from ..status.caches import cache_report, clear_caches, parse_caches
from .models import Record
from .operators import OperatorApiHandler
from .spec import Body, Loose, Op


class Caches(Loose):
    caches: list[Record]


class ClearBody(Body):
    caches: list[str] | None = Field(None, description="cache names; all when left out")


class Cleared(Loose):
    cleared: list[str]
    removed: dict[str, Any]


class Services(Loose):
    interval_s: float | None
    services: list[Record]


class CacheHandler(OperatorApiHandler):
    operations = {"get": Op("Every cache of this process: entries, bytes, hit rate",
                            response=Caches, tag="health")}

    async def get(self) -> None:
        caches = await self.blocking(cache_report, self.ctx.settings)
        items = []
        for info in caches:
            item = info.as_dict()
            item["location"] = None if info.location is None else \
                self.shown_text(info.location)
            item["problem"] = None if info.problem is None else self.shown_text(info.problem)
            items.append(item)
        self.write_json({"caches": items})


class CacheClearHandler(OperatorApiHandler):
    SUPPORTED_METHODS = ("POST",)
    operations = {"post": Op("Clear caches (operator; audited)", body=ClearBody,
                             response=Cleared, errors=(409,), tag="health")}

    async def post(self) -> None:
        body = self.json_body(("caches",))
        names = body.get("caches")
        if names is not None and not (isinstance(names, list)
                                      and all(isinstance(n, str) for n in names)):
            raise InvalidInputError("caches must be a list of cache names",
                                    parameter="caches")
        chosen = parse_caches(names)
        removed = await self.blocking(clear_caches, self.ctx.settings, self.ctx.db,
                                      self.actor(), chosen)
        self.write_json({"cleared": list(chosen), "removed": removed})


class ServicesHandler(OperatorApiHandler):
    operations = {"get": Op("The configured service checks", response=Services,
                            tag="health")}

    async def get(self) -> None:
        monitor = self.ctx.health
        services = [] if monitor is None else monitor.describe()
        for item in services:
            item["target"] = self.shown_text(item["target"])
        self.write_json({"interval_s": None if monitor is None else monitor.interval_s,
                         "services": services})

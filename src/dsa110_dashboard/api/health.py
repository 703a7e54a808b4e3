"""``GET /api/v1/health``: is this server up, can it reach its database, is the pipeline
keeping up, can it keep thumbnails? 503 when the database is unreachable, else 200; the
body (``status.report``) says what is wrong either way.

Public even with sign-in on, for monitoring probes: without a session it shows the
database by its name relative to the data roots and no server paths.

``?detailed=true`` adds the service checks of ``status.checks`` (issue 16): ``overall``
and ``checks`` (each with status, latency_ms, checked_at, error, detail and a summary of
its history). The status code and the plain fields stay those of decision 0027. With
sign-in on, the detailed form needs a session or token (it names internal services).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic import Field

from ..errors import DatabaseUnavailableError, NotAuthenticatedError
from ..fits.cache import cache_for
from ..repositories.stats import Freshness, StatsRepository
from ..status.report import DatabaseCheck, health_report
from .base import ApiHandler
from .spec import Loose, Op, Query


class HealthQuery(Query):
    detailed: str | None = Field(None, max_length=10, description="true: add the service "
                                 "checks (needs a sign-in or token when sign-in is on)")


class Health(Loose):
    status: str
    checked_at: float
    database: Any


class HealthHandler(ApiHandler):
    public = True
    operations = {"get": Op("Server, database, pipeline freshness and cache",
                            query=HealthQuery, response=Health, bodies={503: Health},
                            public=True,
                            tag="health", description="503 when the database is "
                            "unreachable, with the same body")}

    async def get(self) -> None:
        detailed = self.argument("detailed", _flag, False)
        if detailed and self.identity is None:
            raise NotAuthenticatedError("the detailed health report needs a sign-in "
                                        "(/login) or an API token (Authorization: Bearer)")
        timeout = self.ctx.settings.timeouts.quick_check
        db = self.ctx.db
        now = time.time()

        def probe() -> tuple[float, Freshness]:
            latency = db.ping(timeout)
            return latency, StatsRepository(db).freshness(now)

        latency = freshness = error = None
        try:
            latency, freshness = await self.blocking(probe, timeout=timeout)
        except DatabaseUnavailableError as exc:
            error = exc.user_message
        except asyncio.TimeoutError:
            error = f"no answer within {timeout:g} s"
        cache_problem = await self.blocking(cache_for(self.ctx.settings).probe)
        check = DatabaseCheck(target=self._target(), dialect=db.dialect,
                              read_only=db.read_only, latency_s=latency, error=error)
        status, body = health_report(check, freshness, cache_problem, now,
                                     shown=self.shown_text)
        if detailed and self.ctx.health is not None:
            body.update(self._checks())
        self.write_json(body, status)

    def _checks(self) -> dict:
        monitor = self.ctx.health
        results = monitor.results()
        checks = []
        for r in results:
            item = r.as_dict()
            item["target"] = self.shown_text(r.target)
            item["error"] = None if r.error is None else self.shown_text(r.error)
            item["history"] = monitor.summary(r.name)
            checks.append(item)
        return {"overall": monitor.overall(), "interval_s": monitor.interval_s,
                "history_s": monitor.history_s, "checks": checks}

    def _target(self) -> str:
        target = self.ctx.db.target
        if self.authenticated:
            return target.display()
        if target.sqlite_path is not None:
            return self.ctx.roots.shown(target.sqlite_path)
        return f"{target.dialect} database {target.url.database or ''}".strip()


def _flag(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes"):
        return True
    if lowered in ("0", "false", "no"):
        return False
    raise ValueError(raw)

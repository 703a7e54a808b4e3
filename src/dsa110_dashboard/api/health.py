"""``GET /api/v1/health``: is this server up, can it reach its database, is the pipeline
keeping up, can it keep thumbnails? 503 when the database is unreachable, else 200; the
body (``status.report``) says what is wrong either way.

Public even with sign-in on, for monitoring probes: without a session it shows the
database by its name relative to the data roots and no server paths.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from ..errors import DatabaseUnavailableError
from ..fits.cache import cache_for
from ..repositories.stats import Freshness, StatsRepository
from ..status.report import DatabaseCheck, health_report
from .base import ApiHandler
from .spec import Loose, Op


class Health(Loose):
    status: str
    checked_at: float
    database: Any


class HealthHandler(ApiHandler):
    public = True
    operations = {"get": Op("Server, database, pipeline freshness and cache",
                            response=Health, bodies={503: Health}, public=True,
                            tag="health", description="503 when the database is "
                            "unreachable, with the same body")}

    async def get(self) -> None:
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
        self.write_json(body, status)

    def _target(self) -> str:
        target = self.ctx.db.target
        if self.authenticated:
            return target.display()
        if target.sqlite_path is not None:
            return self.ctx.roots.shown(target.sqlite_path)
        return f"{target.dialect} database {target.url.database or ''}".strip()

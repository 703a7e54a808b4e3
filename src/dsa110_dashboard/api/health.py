"""``GET /api/v1/health``: is this server up, and can it reach its database?"""

from __future__ import annotations

import asyncio
import time

from ..errors import DatabaseUnavailableError
from .base import ApiHandler


class HealthHandler(ApiHandler):
    public = True

    async def get(self) -> None:
        timeout = self.ctx.settings.timeouts.quick_check
        database: dict[str, object] = {"target": self.ctx.db.target.display(),
                                       "dialect": self.ctx.db.dialect,
                                       "read_only": self.ctx.db.read_only}
        try:
            latency = await self.blocking(self.ctx.db.ping, timeout, timeout=timeout)
            database.update(ok=True, latency_ms=round(latency * 1000, 2))
        except DatabaseUnavailableError as exc:
            database.update(ok=False, error=exc.user_message)
        except asyncio.TimeoutError:
            database.update(ok=False, error=f"no answer within {timeout:g} s")
        status = "ok" if database["ok"] else "degraded"
        self.write_json({"status": status, "checked_at": time.time(),
                         "database": database})

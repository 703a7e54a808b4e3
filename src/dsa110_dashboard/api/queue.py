"""``GET /api/v1/queue``: pending and running jobs per type with the age of each type's
oldest pending job, the age of the oldest pending job overall, and every worker seen lately, idle ones too (host, pid, state: idle,
running, stale or stopped, current jobs and batches, last heartbeat)."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from ..repositories.queue_status import QueueStatusRepository
from .operators import OperatorApiHandler
from .spec import Loose, Op


class QueueState(Loose):
    checked_at: float
    by_type: dict[str, Any]
    pending: int
    running: int
    workers: list[dict[str, Any]]


class QueueHandler(OperatorApiHandler):
    operations = {"get": Op("Pending and running jobs per type, and the workers",
                            response=QueueState, tag="queue")}

    async def get(self) -> None:
        now = time.time()
        summary = await self.blocking(QueueStatusRepository(self.ctx.db).summary, now)
        stale_after = self.ctx.settings.timeouts.job_heartbeat_stale
        workers = []
        for w in summary.workers:
            seen = dataclasses.asdict(w)
            seen["heartbeat_age_s"] = (None if w.heartbeat_at is None
                                       else max(0.0, now - w.heartbeat_at))
            seen["stale"] = w.state == "stale"
            workers.append(seen)
        oldest = summary.oldest_pending_at
        by_type = {}
        for kind, counts in summary.by_type.items():
            first = summary.oldest_pending_by_type.get(kind)
            by_type[kind] = {**counts, "oldest_pending_at": first,
                             "oldest_pending_age_s": (None if first is None
                                                      else max(0.0, now - first))}
        self.write_json({
            "checked_at": now,
            "by_type": by_type,
            "pending": sum(c["pending"] for c in summary.by_type.values()),
            "running": sum(c["running"] for c in summary.by_type.values()),
            "oldest_pending_at": oldest,
            "oldest_pending_age_s": None if oldest is None else max(0.0, now - oldest),
            "heartbeat_stale_after_s": stale_after,
            "workers": workers,
        })

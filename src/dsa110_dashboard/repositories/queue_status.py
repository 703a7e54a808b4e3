"""The queue at a glance: pending and running jobs per type, the age of the oldest
pending job, and the workers seen running something (reads only).

Workers leave no row of their own while idle; a worker is seen through the jobs it runs
(``dash_job_state``) and the batches it runs (``dash_batch_state``), with its last
heartbeat. A database without the queue's tables shows the counts and no workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..db.engine import Database

PENDING, RUNNING = "pending", "running"


@dataclass
class WorkerSeen:
    name: str                      # host:pid
    host: str | None
    heartbeat_at: float | None     # the newest heartbeat of anything it runs
    jobs: list[dict[str, Any]] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class QueueSummary:
    #: {type: {"pending": n, "running": n}}
    by_type: dict[str, dict[str, int]]
    oldest_pending_at: float | None
    workers: list[WorkerSeen]


class QueueStatusRepository:
    def __init__(self, db: Database):
        self.db = db

    def summary(self) -> QueueSummary:
        jobs = self.db.catalog["jobs"]
        if not jobs.exists:
            return QueueSummary({}, None, [])
        active = jobs["status"].in_((PENDING, RUNNING))
        with self.db.connect() as conn:
            counts = conn.execute(
                sa.select(jobs["type"], jobs["status"], sa.func.count())
                .select_from(jobs.table).where(active)
                .group_by(jobs["type"], jobs["status"])).all()
            oldest = conn.execute(sa.select(sa.func.min(jobs["created_at"]))
                                  .select_from(jobs.table)
                                  .where(jobs["status"] == PENDING)).scalar()
            workers = self._workers(conn)
        by_type: dict[str, dict[str, int]] = {}
        for job_type, status, n in counts:
            by_type.setdefault(job_type or "", {PENDING: 0, RUNNING: 0})[status] = int(n)
        return QueueSummary(dict(sorted(by_type.items())),
                            None if oldest is None else float(oldest), workers)

    def _workers(self, conn: sa.Connection) -> list[WorkerSeen]:
        seen: dict[str, WorkerSeen] = {}

        def worker(name: str, host: str | None) -> WorkerSeen:
            if name not in seen:
                seen[name] = WorkerSeen(name, host or name.rpartition(":")[0] or None, None)
            return seen[name]

        def beat(w: WorkerSeen, at: float | None) -> None:
            if at is not None and (w.heartbeat_at is None or at > w.heartbeat_at):
                w.heartbeat_at = float(at)

        jobs, state = self.db.catalog["jobs"], self.db.catalog["dash_job_state"]
        if state.exists:
            rows = conn.execute(
                sa.select(state["worker"], state["host"], state["heartbeat_at"],
                          state["job_id"], state["run_id"], jobs["type"])
                .select_from(state.table.join(jobs.table, jobs["id"] == state["job_id"]))
                .where(jobs["status"] == RUNNING, state["worker"].is_not(None))
                .order_by(state["job_id"])).all()
            for name, host, heartbeat, job_id, run_id, job_type in rows:
                w = worker(name, host)
                w.jobs.append({"job_id": int(job_id), "run_id": run_id, "type": job_type,
                               "heartbeat_at": heartbeat})
                beat(w, heartbeat)
        batches = self.db.catalog["dash_batch_state"]
        if batches.exists:
            rows = conn.execute(
                sa.select(batches["runner"], batches["heartbeat_at"], batches["batch_id"])
                .select_from(batches.table)
                .where(batches["runner"].is_not(None), batches["finished_at"].is_(None))
                .order_by(batches["batch_id"])).all()
            for name, heartbeat, batch_id in rows:
                w = worker(name, None)
                w.batches.append(int(batch_id))
                beat(w, heartbeat)
        return sorted(seen.values(), key=lambda w: w.name)

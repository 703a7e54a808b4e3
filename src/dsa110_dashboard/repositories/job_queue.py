"""The queue at a glance: pending and running jobs per type, and the workers.

There is no table of workers: a worker is known by the run state it writes on the jobs
it claims (``dash_job_state.worker``, ``host``, ``heartbeat_at``). The workers shown are
those that sent a heartbeat within ``WORKER_WINDOW_S``, each with the job it runs now
(if any) and its last heartbeat; an idle worker's last heartbeat is that of its last job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import sqlalchemy as sa

from ..db.engine import Database

#: How far back a worker's last heartbeat may be for it to be listed.
WORKER_WINDOW_S = 24 * 3600.0
MAX_WORKERS = 50


@dataclass(frozen=True)
class TypeCounts:
    type: str
    pending: int
    running: int
    #: created_at of the oldest pending job of this type.
    oldest_pending_at: float | None


@dataclass(frozen=True)
class WorkerSeen:
    worker: str
    host: str | None
    last_heartbeat: float | None
    #: The job it is running now (None when idle).
    current_job_id: int | None
    current_run_id: str | None


@dataclass(frozen=True)
class QueueSummary:
    by_type: tuple[TypeCounts, ...]
    workers: tuple[WorkerSeen, ...]
    at: float

    @property
    def pending(self) -> int:
        return sum(c.pending for c in self.by_type)

    @property
    def running(self) -> int:
        return sum(c.running for c in self.by_type)

    @property
    def oldest_pending_at(self) -> float | None:
        times = [c.oldest_pending_at for c in self.by_type if c.oldest_pending_at is not None]
        return min(times) if times else None


class QueueRepository:
    def __init__(self, db: Database):
        self.db = db

    def summary(self, now: float | None = None) -> QueueSummary:
        now = time.time() if now is None else now
        t = self.db.catalog["jobs"]
        if not t.exists:
            return QueueSummary(by_type=(), workers=(), at=now)
        status = t["status"]
        pending = status == "pending"
        counts = (sa.select(t["type"],
                            sa.func.sum(sa.case((pending, 1), else_=0)),
                            sa.func.sum(sa.case((status == "running", 1), else_=0)),
                            sa.func.min(sa.case((pending, t["created_at"]), else_=None)))
                  .select_from(t.table).where(status.in_(("pending", "running")))
                  .group_by(t["type"]).order_by(t["type"]))
        with self.db.connect() as conn:
            by_type = tuple(
                TypeCounts(type=str(kind), pending=int(p or 0), running=int(r or 0),
                           oldest_pending_at=None if oldest is None else float(oldest))
                for kind, p, r, oldest in conn.execute(counts))
            workers = self._workers(conn, now)
        return QueueSummary(by_type=by_type, workers=workers, at=now)

    def _workers(self, conn: sa.Connection, now: float) -> tuple[WorkerSeen, ...]:
        s = self.db.catalog["dash_job_state"]
        t = self.db.catalog["jobs"]
        if not s.exists:
            return ()
        last = (sa.select(s["worker"], sa.func.max(s["host"]),
                          sa.func.max(s["heartbeat_at"]).label("last"))
                .select_from(s.table)
                .where(s["worker"].is_not(None), s["heartbeat_at"] >= now - WORKER_WINDOW_S)
                .group_by(s["worker"]).order_by(sa.desc("last")).limit(MAX_WORKERS))
        seen = conn.execute(last).all()
        if not seen:
            return ()
        running = (sa.select(s["worker"], s["job_id"], s["run_id"])
                   .select_from(s.table.join(t.table, t["id"] == s["job_id"]))
                   .where(t["status"] == "running",
                          s["worker"].in_([w for w, _h, _l in seen]))
                   .order_by(s["job_id"]))
        current: dict[str, tuple[int, str]] = {}
        for worker, job_id, run_id in conn.execute(running):
            current.setdefault(worker, (int(job_id), run_id))
        return tuple(
            WorkerSeen(worker=worker, host=host,
                       last_heartbeat=None if last_at is None else float(last_at),
                       current_job_id=current.get(worker, (None, None))[0],
                       current_run_id=current.get(worker, (None, None))[1])
            for worker, host, last_at in seen)

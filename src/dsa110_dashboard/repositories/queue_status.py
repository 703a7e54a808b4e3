"""The queue at a glance: pending and running jobs per type, the age of the oldest
pending job, and every worker seen lately (reads only).

A worker is listed from its own ``dash_workers`` row (revision 0008: idle ones too, and
stopped or dead ones for ``WINDOW_FACTOR`` stale timeouts) and from the jobs
(``dash_job_state``) and batches (``dash_batch_state``) it runs, with its last heartbeat.
A database without ``dash_workers`` lists only the workers running something; one
without the queue's tables shows the counts and no workers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import time

import sqlalchemy as sa

from ..db.engine import Database

PENDING, RUNNING = "pending", "running"
IDLE, STALE, STOPPED = "idle", "stale", "stopped"
#: A stopped or silent worker stays listed for this many heartbeat-stale timeouts.
WINDOW_FACTOR = 10


@dataclass
class WorkerSeen:
    name: str                      # host:pid
    host: str | None
    heartbeat_at: float | None     # the newest heartbeat of anything it runs
    jobs: list[dict[str, Any]] = field(default_factory=list)
    batches: list[int] = field(default_factory=list)
    pid: int | None = None
    started_at: float | None = None
    stopped_at: float | None = None
    current_job_id: int | None = None  # from its own row (one of its slots' jobs)
    state: str = RUNNING               # idle, running, stale or stopped

    def judge(self, now: float, stale_after: float) -> None:
        silent = None if self.heartbeat_at is None else now - self.heartbeat_at
        if self.stopped_at is not None:
            self.state = STOPPED
        elif silent is None or silent > stale_after:
            self.state = STALE
        elif self.jobs or self.batches or self.current_job_id is not None:
            self.state = RUNNING
        else:
            self.state = IDLE


@dataclass(frozen=True)
class QueueSummary:
    #: {type: {"pending": n, "running": n}}
    by_type: dict[str, dict[str, int]]
    oldest_pending_at: float | None
    workers: list[WorkerSeen]
    #: {type: created_at of its oldest pending job}, for the types with a pending job
    oldest_pending_by_type: dict[str, float] = field(default_factory=dict)


class QueueStatusRepository:
    def __init__(self, db: Database):
        self.db = db

    def summary(self, now: float | None = None) -> QueueSummary:
        jobs = self.db.catalog["jobs"]
        if not jobs.exists:
            return QueueSummary({}, None, [])
        active = jobs["status"].in_((PENDING, RUNNING))
        with self.db.connect() as conn:
            # One grouped read gives the counts and, for pending, the oldest per type.
            counts = conn.execute(
                sa.select(jobs["type"], jobs["status"], sa.func.count(),
                          sa.func.min(jobs["created_at"]))
                .select_from(jobs.table).where(active)
                .group_by(jobs["type"], jobs["status"])).all()
            workers = self._workers(conn, time.time() if now is None else now)
        by_type: dict[str, dict[str, int]] = {}
        oldest_by_type: dict[str, float] = {}
        for job_type, status, n, first in counts:
            kind = job_type or ""
            by_type.setdefault(kind, {PENDING: 0, RUNNING: 0})[status] = int(n)
            if status == PENDING and first is not None:
                oldest_by_type[kind] = float(first)
        oldest = min(oldest_by_type.values(), default=None)
        return QueueSummary(dict(sorted(by_type.items())), oldest, workers,
                            dict(sorted(oldest_by_type.items())))

    def _workers(self, conn: sa.Connection, now: float) -> list[WorkerSeen]:
        seen: dict[str, WorkerSeen] = {}
        stale_after = self.db.settings.timeouts.job_heartbeat_stale
        own = self.db.catalog["dash_workers"]
        if own.exists:
            rows = conn.execute(
                sa.select(own["name"], own["host"], own["pid"], own["started_at"],
                          own["last_seen"], own["current_job_id"], own["stopped_at"])
                .select_from(own.table)
                .where(own["last_seen"] >= now - WINDOW_FACTOR * stale_after)).all()
            for name, host, pid, started, last_seen, current, stopped in rows:
                seen[name] = WorkerSeen(
                    name, host, None if last_seen is None else float(last_seen),
                    pid=pid, started_at=started, stopped_at=stopped,
                    current_job_id=None if current is None else int(current))

        def worker(name: str, host: str | None) -> WorkerSeen:
            # A slot (host:pid/N) of a worker with its own row is shown on that row.
            base = name.split("/", 1)[0]
            if base in seen and seen[base].started_at is not None:
                return seen[base]
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
        for w in seen.values():
            w.judge(now, stale_after)
        return sorted(seen.values(), key=lambda w: w.name)

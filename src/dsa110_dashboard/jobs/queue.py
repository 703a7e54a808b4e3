"""The job queue over the pipeline's ``jobs`` table: queue, claim, heartbeat, finish.

A job is ours to run when it has a ``dash_job_state`` row; the pipeline's own pending
jobs are never touched. Claiming is atomic on both backends: on PostgreSQL the pending
row is locked with ``FOR UPDATE SKIP LOCKED`` (other workers skip it rather than wait),
on SQLite the claim runs in a ``BEGIN IMMEDIATE`` transaction (the write lock is taken
before the pending row is read, so two workers cannot read the same row as pending).
Every later write by a worker is conditional on the (worker, attempt) that claimed the
job, so a worker presumed dead can never overwrite what its successor did.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..db.dashboard_schema import dash_job_events, dash_job_state
from ..db.engine import DRIVER_ERRORS, Database
from ..db.errors import translate
from ..errors import ConflictError, NotFoundError
from ..repositories.records import run_id_for
from ..settings import Settings
from .commands import CommandTemplate

log = logging.getLogger(__name__)

PENDING, RUNNING, COMPLETED, FAILED, CANCELLED = (
    "pending", "running", "completed", "failed", "cancelled")
FINISHED = (COMPLETED, FAILED, CANCELLED)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def job_run_id(ms_path: str | None, job_id: int) -> str:
    """The run id of a job we queue: the MS's run id (``job-YYYY-MM-DD-HHMMSS``) plus
    ``-j<job id>``, because reruns of one MS would otherwise share one log file.
    Only ``[A-Za-z0-9._-]`` survive, so the id is always a plain file name."""
    base = run_id_for(ms_path) or "job"
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in base)
    return f"{safe}-j{job_id}"


@dataclass(frozen=True)
class Claim:
    """A job a worker has claimed: what to run and how its later writes identify it."""

    job_id: int
    run_id: str
    attempt: int
    argv: list[str]
    log_path: Path
    worker: str


@dataclass(frozen=True)
class Takeover:
    """A running job whose worker stopped sending heartbeats, taken over by a live
    worker: its processes are stopped first, then it is retried or failed."""

    job_id: int
    dead_worker: str | None
    attempt: int
    silent_for: float | None
    host: str | None
    pid: int | None
    pid_start: str | None


@contextmanager
def write_lock(db: Database) -> Iterator[sa.Connection]:
    """A transaction that holds the write lock from its start on SQLite
    (``BEGIN IMMEDIATE``); on PostgreSQL an ordinary one (rows are locked one by one)."""
    try:
        with db.engine.connect() as conn:
            if db.dialect == "sqlite":
                conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
            with conn.begin():
                yield conn
    except DRIVER_ERRORS as exc:
        raise translate(exc) or exc from exc


class JobQueue:
    def __init__(self, db: Database, settings: Settings,
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.settings = settings
        self.clock = clock

    @property
    def jobs(self) -> sa.Table:
        view = self.db.catalog["jobs"]
        if not view.exists:
            raise NotFoundError("this database has no jobs table")
        return view.table

    # ------------------------------------------------------------------ queueing
    def enqueue(self, conn: sa.Connection, *, job_type: str, ms_path: str,
                params: Mapping[str, Any], template: CommandTemplate,
                values: Mapping[str, Any], requested_by: str,
                rerun_of: int | None = None,
                overrides: Mapping[str, Any] | None = None) -> tuple[int, str, list[str]]:
        """Insert a pending job and its run state; returns (job id, run id, argv).

        The argument list is fixed now, so what runs is what was asked for, even if the
        worker's own settings differ.
        """
        jobs = self.jobs
        now = self.clock()
        row = {"type": job_type, "status": PENDING, "ms_path": ms_path,
               "params": json.dumps(dict(params)), "created_at": now}
        row = {k: v for k, v in row.items() if k in jobs.c}
        job_id = int(conn.execute(sa.insert(jobs).values(**row)
                                  .returning(jobs.c.id)).scalar_one())
        run_id = job_run_id(ms_path, job_id)
        argv = template.argv({**values, "run_id": run_id}, job=f"job {job_id}")
        # SQLite reuses the id of a deleted last row: what we kept about a job of that
        # id (deleted by someone else) belongs to no job any more.
        conn.execute(sa.delete(dash_job_state).where(dash_job_state.c.job_id == job_id))
        conn.execute(sa.delete(dash_job_events).where(dash_job_events.c.job_id == job_id))
        log_path = self.settings.effective_logs_dir / f"{run_id}.log"
        conn.execute(sa.insert(dash_job_state).values(
            job_id=job_id, run_id=run_id, command=json.dumps(argv), log_path=str(log_path),
            attempt=0, rerun_of=rerun_of, requested_by=requested_by,
            overrides=json.dumps(dict(overrides)) if overrides else None))
        self.event(conn, job_id, PENDING, None, None,
                   f"queued by {requested_by}" + (f" as a rerun of job {rerun_of}"
                                                  if rerun_of is not None else ""), now)
        return job_id, run_id, argv

    def event(self, conn: sa.Connection, job_id: int, status: str, previous: str | None,
              worker: str | None, detail: str | None, at: float | None = None) -> None:
        conn.execute(sa.insert(dash_job_events).values(
            job_id=job_id, at=self.clock() if at is None else at, status=status,
            previous=previous, worker=worker, detail=detail))

    # ------------------------------------------------------------------ claiming
    def claim(self, worker: str) -> tuple[Claim | None, list[Takeover]]:
        """Claim the oldest pending job, or take over the jobs of dead workers.

        When some running job's heartbeat is stale, this call claims nothing and returns
        those jobs, now held by ``worker`` (with a fresh heartbeat, still ``running``):
        the caller stops what they left running and then calls ``release``, so a retry
        never starts while the first attempt's processes are still alive.
        """
        jobs, s = self.jobs, dash_job_state
        now = self.clock()
        with write_lock(self.db) as conn:
            takeovers = self._take_over_stale(conn, worker, now)
            if takeovers:
                return None, takeovers
            stmt = (sa.select(jobs.c.id).select_from(jobs.join(s, s.c.job_id == jobs.c.id))
                    .where(jobs.c.status == PENDING)
                    .order_by(jobs.c.created_at, jobs.c.id).limit(1))
            if self.db.dialect == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True, of=jobs)
            job_id = conn.execute(stmt).scalar()
            if job_id is None:
                return None, []
            updates = {"status": RUNNING}
            if "started_at" in jobs.c:
                updates["started_at"] = now
            claimed = conn.execute(sa.update(jobs).where(jobs.c.id == job_id,
                                                         jobs.c.status == PENDING)
                                   .values(**updates)).rowcount
            if claimed != 1:  # cannot happen under the lock; never run it twice anyway
                return None, []
            state = conn.execute(
                sa.update(s).where(s.c.job_id == job_id)
                .values(worker=worker, host=socket.gethostname(), attempt=s.c.attempt + 1,
                        claimed_at=now, heartbeat_at=now, pid=None, pid_start=None,
                        exit_code=None, error=None)
                .returning(s.c.run_id, s.c.attempt, s.c.command, s.c.log_path)).one()
            self.event(conn, job_id, RUNNING, PENDING, worker, f"attempt {state.attempt}",
                       now)
        return Claim(job_id=int(job_id), run_id=state.run_id, attempt=int(state.attempt),
                     argv=list(json.loads(state.command)), log_path=Path(state.log_path),
                     worker=worker), []

    def _take_over_stale(self, conn: sa.Connection, worker: str,
                         now: float) -> list[Takeover]:
        jobs, s = self.jobs, dash_job_state
        cutoff = now - self.settings.timeouts.job_heartbeat_stale
        stmt = (sa.select(jobs.c.id, s.c.worker, s.c.attempt, s.c.heartbeat_at, s.c.host,
                          s.c.pid, s.c.pid_start)
                .select_from(jobs.join(s, s.c.job_id == jobs.c.id))
                .where(jobs.c.status == RUNNING,
                       sa.or_(s.c.heartbeat_at.is_(None), s.c.heartbeat_at < cutoff)))
        if self.db.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True, of=jobs)
        taken = []
        for row in conn.execute(stmt).all():
            conn.execute(sa.update(s).where(s.c.job_id == row.id).values(
                worker=worker, heartbeat_at=now))
            silent = None if row.heartbeat_at is None else now - row.heartbeat_at
            taken.append(Takeover(int(row.id), row.worker, int(row.attempt), silent,
                                  row.host, row.pid, row.pid_start))
        return taken

    def release(self, takeover: Takeover, worker: str, stopped: str) -> str | None:
        """Retry a taken-over job while attempts remain, else fail it; ``stopped`` says
        what became of its processes. Returns the new status (None if no longer ours)."""
        jobs, s = self.jobs, dash_job_state
        now = self.clock()
        limit = self.settings.job_max_attempts
        silent = ("" if takeover.silent_for is None
                  else f" for {takeover.silent_for:.0f} s")
        why = f"worker {takeover.dead_worker} stopped sending heartbeats{silent} ({stopped})"
        if takeover.attempt < limit:
            new = PENDING
            detail = f"{why}; retrying (attempt {takeover.attempt} of {limit} failed)"
            values: dict[str, Any] = {"status": PENDING}
            if "started_at" in jobs.c:
                values["started_at"] = None
        else:
            new = FAILED
            detail = f"{why}; gave up after {takeover.attempt} attempt(s)"
            values = {"status": FAILED}
            if "finished_at" in jobs.c:
                values["finished_at"] = now
        with self.db.transaction() as conn:
            owned = conn.execute(sa.update(s).where(
                s.c.job_id == takeover.job_id, s.c.worker == worker,
                s.c.attempt == takeover.attempt).values(
                worker=None, heartbeat_at=None, pid=None, pid_start=None,
                error=None if new == PENDING else detail)).rowcount
            if owned != 1:
                return None
            conn.execute(sa.update(jobs).where(jobs.c.id == takeover.job_id,
                                               jobs.c.status == RUNNING).values(**values))
            self.event(conn, takeover.job_id, new, RUNNING, takeover.dead_worker, detail,
                       now)
            if new == FAILED:
                self._settle_batch(conn, takeover.job_id, FAILED, detail, now)
        log.warning("job %s: %s", takeover.job_id, detail)
        return new

    # ------------------------------------------------------------ while running
    def _own(self, claim: Claim) -> sa.ColumnElement:
        s = dash_job_state
        return sa.and_(s.c.job_id == claim.job_id, s.c.worker == claim.worker,
                       s.c.attempt == claim.attempt)

    def started(self, claim: Claim, pid: int, pid_start: str | None) -> bool:
        with self.db.transaction() as conn:
            return conn.execute(sa.update(dash_job_state).where(self._own(claim))
                                .values(pid=pid, pid_start=pid_start,
                                        heartbeat_at=self.clock())).rowcount == 1

    def heartbeat(self, claim: Claim) -> str:
        """``ok``, ``cancel`` (an operator asked to cancel) or ``lost`` (another worker
        has taken the job over: this one must stop without writing)."""
        s = dash_job_state
        with self.db.transaction() as conn:
            row = conn.execute(sa.update(s).where(self._own(claim))
                               .values(heartbeat_at=self.clock())
                               .returning(s.c.cancel_requested_at)).first()
        if row is None:
            return "lost"
        return "cancel" if row.cancel_requested_at is not None else "ok"

    def finish(self, claim: Claim, status: str, *, exit_code: int | None,
               error: str | None, logs: str | None) -> bool:
        """Record the outcome; False when the job was no longer this worker's."""
        jobs, s = self.jobs, dash_job_state
        now = self.clock()
        with self.db.transaction() as conn:
            owned = conn.execute(sa.update(s).where(self._own(claim)).values(
                exit_code=exit_code, error=error, heartbeat_at=now)).rowcount
            if owned != 1:
                return False
            values: dict[str, Any] = {"status": status}
            if "finished_at" in jobs.c:
                values["finished_at"] = now
            if "logs" in jobs.c:
                values["logs"] = logs
            conn.execute(sa.update(jobs).where(jobs.c.id == claim.job_id).values(**values))
            detail = error or (f"exit code {exit_code}" if exit_code is not None else None)
            self.event(conn, claim.job_id, status, RUNNING, claim.worker, detail, now)
            self._settle_batch(conn, claim.job_id, status, error, now)
        return True

    def _settle_batch(self, conn: sa.Connection, job_id: int, status: str,
                      error: str | None, now: float) -> None:
        from .batch import settle_job_items  # batches queue jobs: imported when used

        settle_job_items(conn, self.db, job_id, status, error, now)

    def requeue(self, claim: Claim, reason: str) -> bool:
        """Give a job back (the worker is shutting down); the attempt is not counted."""
        jobs, s = self.jobs, dash_job_state
        with self.db.transaction() as conn:
            owned = conn.execute(sa.update(s).where(self._own(claim)).values(
                worker=None, heartbeat_at=None, pid=None, pid_start=None,
                attempt=s.c.attempt - 1)).rowcount
            if owned != 1:
                return False
            values: dict[str, Any] = {"status": PENDING}
            if "started_at" in jobs.c:
                values["started_at"] = None
            conn.execute(sa.update(jobs).where(jobs.c.id == claim.job_id).values(**values))
            self.event(conn, claim.job_id, PENDING, RUNNING, claim.worker, reason)
        return True

    # ------------------------------------------------------------------ cancel
    def request_cancel(self, conn: sa.Connection, job_id: int, by: str) -> str:
        """``cancelled`` (it was pending: it will never start) or ``requested`` (it is
        running: its worker stops it at its next heartbeat). ConflictError otherwise."""
        jobs, s = self.jobs, dash_job_state
        now = self.clock()
        # The first statement writes, so SQLite takes the write lock before any read.
        values: dict[str, Any] = {"status": CANCELLED}
        if "finished_at" in jobs.c:
            values["finished_at"] = now
        ours = sa.exists().where(s.c.job_id == jobs.c.id)
        if conn.execute(sa.update(jobs).where(jobs.c.id == job_id, jobs.c.status == PENDING,
                                              ours).values(**values)).rowcount == 1:
            conn.execute(sa.update(s).where(s.c.job_id == job_id).values(
                cancel_requested_at=now, cancel_requested_by=by,
                error=f"cancelled by {by} before it started"))
            self.event(conn, job_id, CANCELLED, PENDING, None, f"cancelled by {by}", now)
            self._settle_batch(conn, job_id, CANCELLED, f"cancelled by {by}", now)
            return CANCELLED
        row = conn.execute(sa.select(jobs.c.status, s.c.job_id, s.c.cancel_requested_at)
                           .select_from(jobs.outerjoin(s, s.c.job_id == jobs.c.id))
                           .where(jobs.c.id == job_id)).first()
        if row is None:
            raise NotFoundError(f"no job {job_id}")
        if row.job_id is None:
            raise ConflictError(f"job {job_id} is {row.status} and was not queued by the "
                                "dashboard; the pipeline runs it, so cancel it there")
        if row.status != RUNNING:
            raise ConflictError(f"job {job_id} is already {row.status}; nothing to cancel")
        if row.cancel_requested_at is not None:
            raise ConflictError(f"job {job_id} is already being cancelled (asked at "
                                f"{time.strftime('%Y-%m-%d %H:%M:%S', time.gmtime(row.cancel_requested_at))} UTC)")
        conn.execute(sa.update(s).where(s.c.job_id == job_id).values(
            cancel_requested_at=now, cancel_requested_by=by))
        self.event(conn, job_id, "cancel_requested", RUNNING, None, f"asked by {by}", now)
        return "requested"

    def pending_count(self) -> int:
        jobs, s = self.jobs, dash_job_state
        with self.db.connect() as conn:
            return int(conn.execute(
                sa.select(sa.func.count()).select_from(jobs.join(s, s.c.job_id == jobs.c.id))
                .where(jobs.c.status == PENDING)).scalar_one())

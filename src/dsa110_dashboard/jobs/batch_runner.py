"""Run a batch's pending items on an executor, resumably and cancellably.

A runner claims a batch atomically (as the queue claims jobs): a pending batch nobody
runs, or one whose runner's heartbeat is stale (its items left ``running`` go back to
``pending``). It submits the pending items to the executor (a bounded number in
flight), writes each result as it arrives, heartbeats, and on a cancel request stops
submitting, cancels what has not started and marks the rest ``cancelled``. Items done
stay done, so an interrupted batch resumes where it stopped.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, CancelledError, Future, wait
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..db.dashboard_schema import dash_batch_state
from ..db.engine import Database
from ..errors import DashboardError, NotFoundError
from ..settings import Settings
from .audit import Actor
from .batch import cancel_pending_items, settle
from .batch_kinds import KINDS, BatchKind, ItemFailed
from .executors import batch_executor
from .queue import write_lock

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int, str], None]


@dataclass
class BatchSummary:
    batch_id: int
    kind: str
    status: str
    done: int = 0
    failed: int = 0
    cancelled: int = 0
    total: int = 0
    executor: str = ""


class BatchRunner:
    def __init__(self, db: Database, settings: Settings, name: str, *,
                 stopping: threading.Event | None = None, scheduler: str | None = None,
                 progress: ProgressFn | None = None, clock: Callable[[], float] = time.time):
        self.db = db
        self.settings = settings
        self.name = name
        self.stopping = stopping or threading.Event()
        self.scheduler = scheduler
        self.progress = progress or (lambda done, total, what: None)
        self.clock = clock

    # ------------------------------------------------------------------ claiming
    def claim(self, batch_id: int | None = None) -> int | None:
        """Take a batch to run (``batch_id``, or the oldest runnable one)."""
        batches = self.db.catalog["batch_jobs"].table
        items = self.db.catalog["batch_job_items"].table
        s = dash_batch_state
        now = self.clock()
        stale = now - self.settings.timeouts.job_heartbeat_stale
        with write_lock(self.db) as conn:
            # Runnable: items not started, or started by a runner (not queued as jobs,
            # which settle their items themselves when they finish).
            runnable = sa.exists().where(
                items.c.batch_id == batches.c.id,
                sa.or_(items.c.status == "pending",
                       sa.and_(items.c.status == "running", items.c.job_id.is_(None))))
            stmt = (sa.select(batches.c.id, s.c.runner)
                    .select_from(batches.join(s, s.c.batch_id == batches.c.id))
                    .where(batches.c.status.in_(("pending", "running")), runnable,
                           s.c.cancel_requested_at.is_(None),
                           sa.or_(s.c.runner.is_(None), s.c.runner == self.name,
                                  s.c.heartbeat_at.is_(None), s.c.heartbeat_at < stale))
                    .order_by(batches.c.created_at, batches.c.id).limit(1))
            if batch_id is not None:
                stmt = stmt.where(batches.c.id == batch_id)
            if self.db.dialect == "postgresql":
                stmt = stmt.with_for_update(skip_locked=True, of=batches)
            row = conn.execute(stmt).first()
            if row is None:
                return None
            conn.execute(sa.update(s).where(s.c.batch_id == row.id).values(
                runner=self.name, heartbeat_at=now,
                started_at=sa.func.coalesce(s.c.started_at, now)))
            # A dead runner's items in flight run again.
            conn.execute(sa.update(items).where(items.c.batch_id == row.id,
                                                items.c.status == "running",
                                                items.c.job_id.is_(None))
                         .values(status="pending", started_at=None))
            conn.execute(sa.update(batches).where(batches.c.id == row.id)
                         .values(status="running"))
        if row.runner not in (None, self.name):
            log.warning("batch %s: taken over from %s (no heartbeat)", row.id, row.runner)
        return int(row.id)

    def why_not_runnable(self, batch_id: int) -> str:
        batches = self.db.catalog["batch_jobs"].table
        s = dash_batch_state
        with self.db.connect() as conn:
            row = conn.execute(sa.select(batches.c.status, s.c.batch_id, s.c.runner,
                                         s.c.heartbeat_at)
                               .select_from(batches.outerjoin(s, s.c.batch_id == batches.c.id))
                               .where(batches.c.id == batch_id)).first()
        if row is None:
            raise NotFoundError(f"no batch {batch_id}")
        if row.batch_id is None:
            return f"batch {batch_id} was not started by the dashboard"
        if row.status in ("done", "failed"):
            return f"batch {batch_id} has finished ({row.status})"
        ago = "" if row.heartbeat_at is None else \
            f", heartbeat {self.clock() - row.heartbeat_at:.0f} s ago"
        return f"batch {batch_id} is being run by {row.runner}{ago}"

    # ------------------------------------------------------------------- running
    def run(self, batch_id: int) -> BatchSummary:
        """Run a claimed batch's pending items; returns how it ended."""
        batches = self.db.catalog["batch_jobs"].table
        with self.db.connect() as conn:
            batch = conn.execute(sa.select(batches.c.type, batches.c.params)
                                 .where(batches.c.id == batch_id)).one()
        kind = KINDS[batch.type]
        params = json.loads(batch.params or "{}")
        summary = BatchSummary(batch_id, kind.name, "running")
        if kind.local:
            _RerunItems(self, batch_id, params, summary).run()
        else:
            self._run_on_executor(kind, batch_id, params, summary)
        with self.db.transaction() as conn:
            summary.status = settle(conn, self.db, batch_id, self.clock())
        log.info("batch %s (%s) %s: %d done, %d failed, %d cancelled", batch_id, kind.name,
                 summary.status, summary.done, summary.failed, summary.cancelled)
        return summary

    def pending_items(self, batch_id: int) -> list[dict[str, Any]]:
        items = self.db.catalog["batch_job_items"].table
        with self.db.connect() as conn:
            rows = conn.execute(sa.select(items.c.id, items.c.ms_path, items.c.data_id,
                                          items.c.job_id, items.c.status)
                                .where(items.c.batch_id == batch_id)
                                .order_by(items.c.id)).mappings().all()
        return [dict(r) for r in rows]

    def heartbeat(self, batch_id: int) -> str:
        """``ok``, ``cancel`` or ``lost`` (another runner has taken the batch over)."""
        s = dash_batch_state
        with self.db.transaction() as conn:
            row = conn.execute(sa.update(s).where(s.c.batch_id == batch_id,
                                                  s.c.runner == self.name)
                               .values(heartbeat_at=self.clock())
                               .returning(s.c.cancel_requested_at)).first()
        if row is None:
            return "lost"
        return "cancel" if row.cancel_requested_at is not None else "ok"

    def mark(self, item: dict[str, Any], status: str, *, error: str | None = None,
             job_id: int | None = None, result: Any = None, kind: BatchKind | None = None
             ) -> bool:
        """Record an item's new status (and a done item's result). Starting an item
        succeeds only while it is still pending (an operator may have cancelled it)."""
        items = self.db.catalog["batch_job_items"].table
        now = self.clock()
        values: dict[str, Any] = {"status": status, "error": error}
        where = [items.c.id == item["id"]]
        if status == "running":
            values["started_at"] = now
            where.append(items.c.status == "pending")
        else:
            values["completed_at"] = now
        if job_id is not None:
            values["job_id"] = job_id
        with self.db.transaction() as conn:
            changed = conn.execute(sa.update(items).where(*where).values(**values)).rowcount
            if changed and kind is not None and kind.record is not None and status == "done":
                kind.record(conn, self.db, item, result)
        return bool(changed)

    def _run_on_executor(self, kind: BatchKind, batch_id: int, params: dict[str, Any],
                         summary: BatchSummary) -> None:
        context = {"settings": self.settings, "options": params.get("options", {})}
        everything = self.pending_items(batch_id)
        summary.total = len(everything)
        summary.done = sum(i["status"] == "done" for i in everything)
        summary.failed = sum(i["status"] == "failed" for i in everything)
        todo: Iterator[dict[str, Any]] = iter([i for i in everything
                                              if i["status"] == "pending"])
        settled = summary.done + summary.failed
        self.progress(settled, summary.total, kind.name)
        with batch_executor(self.settings, self.scheduler) as (executor, described):
            summary.executor = described
            with self.db.transaction() as conn:
                conn.execute(sa.update(dash_batch_state).where(
                    dash_batch_state.c.batch_id == batch_id).values(executor=described))
            in_flight: dict[Future, dict[str, Any]] = {}
            limit = max(2, 2 * self.settings.batch_workers)
            exhausted = stop = False
            beat_due = time.monotonic() + self.settings.timeouts.job_heartbeat
            while True:
                while not stop and not exhausted and len(in_flight) < limit:
                    item = next(todo, None)
                    if item is None:
                        exhausted = True
                        break
                    try:
                        item["payload"] = kind.payload(self.db, self.settings, item)
                    except ItemFailed as exc:
                        self.mark(item, "failed", error=str(exc))
                        summary.failed += 1
                        settled += 1
                        continue
                    if not self.mark(item, "running"):
                        continue  # cancelled meanwhile
                    in_flight[executor.submit(kind.work, context, item["payload"])] = item
                if not in_flight:
                    break
                finished, _ = wait(list(in_flight), timeout=self.settings.timeouts.job_heartbeat,
                                   return_when=FIRST_COMPLETED)
                for future in finished:
                    item = in_flight.pop(future)
                    self._settle_item(kind, item, future, summary)
                    settled += 1
                    self.progress(settled, summary.total, kind.name)
                if time.monotonic() >= beat_due or self.stopping.is_set():
                    beat_due = time.monotonic() + self.settings.timeouts.job_heartbeat
                    beat = self.heartbeat(batch_id)
                    if (beat != "ok" or self.stopping.is_set()) and not stop:
                        stop = True
                        for future, item in list(in_flight.items()):
                            if future.cancel():  # not started yet
                                in_flight.pop(future)
                                # Shutting down: left for the next runner; else cancelled.
                                self.mark(item, "pending" if self.stopping.is_set()
                                          else "cancelled", error=None
                                          if self.stopping.is_set() else "cancelled")
                        if beat == "lost":
                            log.warning("batch %s: another runner took it over", batch_id)
                            return
            if stop and not self.stopping.is_set():  # cancelled by an operator
                with self.db.transaction() as conn:
                    cancel_pending_items(conn, self.db, batch_id, self.clock())

    def _settle_item(self, kind: BatchKind, item: dict[str, Any], future: Future,
                     summary: BatchSummary) -> None:
        try:
            result = future.result()
        except (ItemFailed, DashboardError) as exc:
            error = str(exc)
        except CancelledError:
            error = "cancelled"
        except Exception as exc:  # noqa: BLE001 - any failure of one item's work
            # Whatever one image or range raised on a worker (a corrupt file, a crashed
            # process) fails that item, with the reason, and the batch goes on.
            log.warning("batch item %s failed", item["id"], exc_info=exc)
            error = f"{type(exc).__name__}: {exc}"
        else:
            self.mark(item, "done", result=result, kind=kind)
            summary.done += 1
            return
        self.mark(item, "failed", error=error[:2000])
        summary.failed += 1


class _RerunItems:
    """The rerun kind: queue a rerun of each MS's latest job. The workers run the jobs,
    and each job settles its item when it finishes (``queue.settle_job_items``)."""

    def __init__(self, runner: BatchRunner, batch_id: int, params: dict[str, Any],
                 summary: BatchSummary):
        self.runner = runner
        self.batch_id = batch_id
        self.params = params
        self.summary = summary

    def run(self) -> None:
        from ..repositories.jobs import JobRepository
        from .service import JobService

        r = self.runner
        service = JobService(r.db, r.settings)
        jobs = JobRepository(r.db)
        actor = Actor(name=self.params.get("requested_by") or "batch", address="local")
        overrides = self.params.get("options", {}).get("overrides") or {}
        items = r.pending_items(self.batch_id)
        self.summary.total = len(items)
        self.summary.executor = "job queue (dsa110-dash worker)"
        queued = sum(i["status"] != "pending" for i in items)
        for item in items:
            if item["status"] != "pending":
                continue
            if r.heartbeat(self.batch_id) != "ok" or r.stopping.is_set():
                return
            previous = jobs.for_ms(item["ms_path"])
            if not previous:
                r.mark(item, "failed", error="no job of this measurement set to rerun")
                self.summary.failed += 1
            else:
                try:
                    result = service.rerun(actor, previous[0].id, overrides)
                except DashboardError as exc:
                    r.mark(item, "failed", error=exc.user_message)
                    self.summary.failed += 1
                else:
                    r.mark(item, "running", job_id=result.job_id)
            queued += 1
            r.progress(queued, len(items), "queued")


def batch_work_source(db: Database, settings: Settings):
    """For ``Worker``: claim and run one batch; False when none is waiting."""
    def work(stopping: threading.Event, slot: str) -> bool:
        runner = BatchRunner(db, settings, slot, stopping=stopping)
        batch_id = runner.claim()
        if batch_id is None:
            return False
        runner.run(batch_id)
        return True

    return work

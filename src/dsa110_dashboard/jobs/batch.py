"""Operator actions on batches: start and cancel, each checked and audited.

A batch is one kind of work (``batch_kinds.KINDS``) over a selection, tracked in the
pipeline's ``batch_jobs`` and ``batch_job_items``; who runs it and whether it should
stop is in our ``dash_batch_state``. A started batch is run either by the process that
started it (``dsa110-dash batch start`` waits with a progress bar) or by any worker.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..auth.roles import Role
from ..db.dashboard_schema import dash_batch_state
from ..db.engine import Database
from ..errors import ConflictError, InvalidInputError, NotFoundError
from ..repositories.jobs import derived_status
from ..settings import Settings
from .audit import Actor, audited, require_role, require_writable
from .batch_kinds import Selection, kind_named
from .queue import JobQueue

#: Rows inserted per statement when a batch is created.
_INSERT_CHUNK = 5000


@dataclass(frozen=True)
class StartedBatch:
    batch_id: int
    kind: str
    total: int


class BatchService:
    def __init__(self, db: Database, settings: Settings,
                 clock: Callable[[], float] = time.time):
        self.db = db
        self.settings = settings
        self.clock = clock

    def start(self, actor: Actor, kind_name: str, selection: Selection,
              options: Mapping[str, Any] | None = None, *,
              runner: str | None = None) -> StartedBatch:
        """Create a pending batch with one pending item per selected thing.

        ``runner`` names the process that will run it at once (the command line);
        without it any worker picks it up.
        """
        options = dict(options or {})

        def work(ok) -> StartedBatch:
            require_role(actor, Role.OPERATOR, "starting a batch")
            require_writable(self.db, "starting a batch")
            kind = kind_named(kind_name)
            _check_options(kind.name, options)
            items = kind.select(self.db, selection)
            if not items:
                raise InvalidInputError(f"the selection matches nothing to run {kind.name} "
                                        f"on: {selection.as_json()}", parameter="selection")
            now = self.clock()
            batches = self.db.catalog["batch_jobs"].table
            rows = self.db.catalog["batch_job_items"].table
            with self.db.transaction() as conn:
                batch_id = int(conn.execute(sa.insert(batches).values(
                    type=kind.name, created_at=now, status="pending",
                    total_items=len(items), completed_items=0, failed_items=0,
                    params=json.dumps({"selection": selection.as_json(),
                                       "options": options, "requested_by": actor.name}))
                    .returning(batches.c.id)).scalar_one())
                for lo in range(0, len(items), _INSERT_CHUNK):
                    conn.execute(sa.insert(rows), [
                        {"batch_id": batch_id, "ms_path": item.ms_path,
                         "data_id": item.data_id, "status": "pending"}
                        for item in items[lo:lo + _INSERT_CHUNK]])
                conn.execute(sa.insert(dash_batch_state).values(
                    batch_id=batch_id, requested_by=actor.name, runner=runner,
                    heartbeat_at=now if runner else None))
                ok(conn, target_id=batch_id, detail={"kind": kind.name, "items": len(items),
                                                     "selection": selection.as_json()})
            return StartedBatch(batch_id, kind.name, len(items))

        return audited(self.db, actor, "batch_start", "batch", None, work)

    def cancel(self, actor: Actor, batch_id: int) -> str:
        """``cancelled`` (nobody was running it: its pending items are cancelled now) or
        ``requested`` (its runner stops submitting and cancels what has not started)."""
        def work(ok) -> str:
            require_role(actor, Role.OPERATOR, "cancelling a batch")
            require_writable(self.db, "cancelling a batch")
            now = self.clock()
            batches = self.db.catalog["batch_jobs"].table
            s = dash_batch_state
            with self.db.transaction() as conn:
                # A write first: SQLite takes its write lock before anything is read.
                marked = conn.execute(sa.update(s).where(
                    s.c.batch_id == batch_id, s.c.cancel_requested_at.is_(None))
                    .values(cancel_requested_at=now,
                            cancel_requested_by=actor.name)).rowcount
                row = conn.execute(sa.select(batches.c.status, s.c.batch_id, s.c.runner,
                                             s.c.cancel_requested_by)
                                   .select_from(batches.outerjoin(
                                       s, s.c.batch_id == batches.c.id))
                                   .where(batches.c.id == batch_id)).first()
                if row is None:
                    raise NotFoundError(f"no batch {batch_id}")
                if row.batch_id is None:
                    raise ConflictError(f"batch {batch_id} was not started by the "
                                        "dashboard; the pipeline runs it, so cancel it there")
                if row.status in ("done", "failed"):
                    raise ConflictError(f"batch {batch_id} has finished ({row.status}); "
                                        "nothing to cancel")
                if not marked:
                    raise ConflictError(f"batch {batch_id} is already being cancelled "
                                        f"(asked by {row.cancel_requested_by})")
                cancel_pending_items(conn, self.db, batch_id, now)
                # Reruns it queued are cancelled too; each settles its item as it ends.
                items = self.db.catalog["batch_job_items"].table
                queued = conn.execute(sa.select(items.c.job_id).where(
                    items.c.batch_id == batch_id, items.c.status == "running",
                    items.c.job_id.is_not(None))).scalars().all()
                for job_id in queued:
                    try:
                        JobQueue(self.db, self.settings, self.clock).request_cancel(
                            conn, int(job_id), actor.name)
                    except ConflictError:  # finished meanwhile: its item is settled
                        pass
                status = settle(conn, self.db, batch_id, now)
                outcome = "cancelled" if status in ("done", "failed") else "requested"
                ok(conn, target_id=batch_id, detail={"outcome": outcome})
            return outcome

        return audited(self.db, actor, "batch_cancel", "batch", batch_id, work)


def _check_options(kind: str, options: Mapping[str, Any]) -> None:
    if kind == "thumbnails":
        from ..fits.render import render_params

        render_params(**options.get("thumbnail", {}))  # InvalidInputError names the key
    if kind == "rerun":
        from .overrides import parse_value

        for key, value in (options.get("overrides") or {}).items():
            if key != "cal_table":  # checked against the registry when each rerun queues
                parse_value(key, value)


def cancel_pending_items(conn: sa.Connection, db: Database, batch_id: int,
                         now: float) -> int:
    items = db.catalog["batch_job_items"].table
    return conn.execute(sa.update(items).where(items.c.batch_id == batch_id,
                                               items.c.status == "pending")
                        .values(status="cancelled", completed_at=now,
                                error="cancelled before it started")).rowcount


def settle(conn: sa.Connection, db: Database, batch_id: int, now: float) -> str:
    """Roll the items up into the batch's status and counters (the pipeline's rule)."""
    batches = db.catalog["batch_jobs"].table
    items = db.catalog["batch_job_items"].table
    tally = dict(conn.execute(sa.select(items.c.status, sa.func.count())
                              .where(items.c.batch_id == batch_id)
                              .group_by(items.c.status)).all())
    status = derived_status(s for s, n in tally.items() for _ in range(n))
    conn.execute(sa.update(batches).where(batches.c.id == batch_id).values(
        status=status, completed_items=tally.get("done", 0),
        failed_items=tally.get("failed", 0)))
    if status in ("done", "failed"):
        conn.execute(sa.update(dash_batch_state).where(
            dash_batch_state.c.batch_id == batch_id).values(finished_at=now))
    return status


_ITEM_STATUS = {"completed": "done", "failed": "failed", "cancelled": "cancelled"}


def settle_job_items(conn: sa.Connection, db: Database, job_id: int, job_status: str,
                     error: str | None, now: float) -> None:
    """A job a batch queued has ended: its item takes the outcome, its batch rolls up."""
    items = db.catalog["batch_job_items"]
    if not items.exists:
        return
    t = items.table
    batch_ids = conn.execute(sa.update(t).where(
        t.c.job_id == job_id, t.c.status == "running",
        t.c.batch_id.in_(sa.select(dash_batch_state.c.batch_id)))
        .values(status=_ITEM_STATUS[job_status], completed_at=now,
                error=None if job_status == "completed" else
                f"job {job_id} {job_status}" + (f": {error}" if error else ""))
        .returning(t.c.batch_id)).scalars().all()
    for batch_id in set(batch_ids):
        settle(conn, db, int(batch_id), now)

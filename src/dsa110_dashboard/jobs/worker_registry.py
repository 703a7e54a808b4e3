"""A worker's own row in ``dash_workers``: written at start, refreshed once per heartbeat
interval, marked stopped on a clean exit, so the queue lists idle workers too.

Best effort: a database without the table (not upgraded) or open read-only records
nothing, and a failed write is logged and retried at the next beat; the worker's real
work never waits on this row.
"""

from __future__ import annotations

import logging
import os
import socket
import time

import sqlalchemy as sa

from ..db.dashboard_schema import dash_workers
from ..db.engine import Database
from ..errors import DashboardError

log = logging.getLogger(__name__)


class WorkerRegistry:
    def __init__(self, db: Database, name: str):
        self.db = db
        self.name = name
        self.enabled = False
        self._warned = False

    def start(self) -> None:
        try:
            self.enabled = (not self.db.read_only
                            and self.db.catalog.has_table(dash_workers.name))
        except DashboardError as exc:  # the worker's own loop reports it and retries
            log.warning("worker %s: not recorded: %s", self.name, exc.user_message)
            return
        now = time.time()
        row = {"host": socket.gethostname(), "pid": os.getpid(), "started_at": now,
               "last_seen": now, "current_job_id": None, "stopped_at": None}

        def upsert(conn: sa.Connection) -> None:
            # A restarted worker may reuse host:pid; its row starts afresh.
            done = conn.execute(sa.update(dash_workers)
                                .where(dash_workers.c.name == self.name).values(**row))
            if not done.rowcount:
                conn.execute(sa.insert(dash_workers).values(name=self.name, **row))

        self._write(upsert)

    def beat(self, current_job_id: int | None) -> None:
        self._set(last_seen=time.time(), current_job_id=current_job_id)

    def stop(self) -> None:
        now = time.time()
        self._set(last_seen=now, stopped_at=now, current_job_id=None)

    def _set(self, **values: object) -> None:
        self._write(lambda conn: conn.execute(
            sa.update(dash_workers).where(dash_workers.c.name == self.name).values(**values)))

    def _write(self, statement) -> None:  # noqa: ANN001 - a callable on a connection
        if not self.enabled:
            return
        try:
            with self.db.transaction() as conn:
                statement(conn)
        except DashboardError as exc:  # busy or away: the next beat tries again
            if not self._warned:
                log.warning("worker %s: its dash_workers row was not written: %s",
                            self.name, exc.user_message)
                self._warned = True

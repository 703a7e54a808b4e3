"""``dsa110-dash worker``: claim pending jobs (and batches) and run them, N at a time.

Any number of workers on any number of hosts may share one database: each claim is
atomic (see ``queue.py``). Each of the N slots is a thread that claims one job, runs
its command as a child process group and waits for it; the work itself is done by the
child processes, so threads are enough. On shutdown (SIGTERM, Ctrl-C) running jobs are
stopped (SIGTERM, then SIGKILL after the grace period) and given back to the queue.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from ..db.engine import Database
from ..errors import DashboardError
from ..settings import Settings
from .processes import stop_orphans
from .queue import JobQueue, worker_name
from .runner import JobRunner, Outcome
from .worker_registry import WorkerRegistry

log = logging.getLogger(__name__)

#: Extra kinds of work a slot looks for when no job is pending (the batch runner):
#: each returns True when it found and did something.
WorkSource = Callable[[threading.Event, str], bool]


class Worker:
    def __init__(self, db: Database, settings: Settings, *, concurrency: int | None = None,
                 name: str | None = None, extra: list[WorkSource] | None = None):
        self.db = db
        self.settings = settings
        self.concurrency = concurrency or settings.worker_concurrency
        self.name = name or worker_name()
        self.queue = JobQueue(db, settings)
        self.stopping = threading.Event()
        self.extra = list(extra or [])
        self.outcomes: list[Outcome] = []
        self._lock = threading.Lock()
        self.registry = WorkerRegistry(db, self.name)
        self._current: dict[str, int] = {}  # slot -> the job it runs

    def run_one(self, slot: str) -> bool:
        """Claim and run one job; False when nothing was pending."""
        claim, takeovers = self.queue.claim(slot)
        for takeover in takeovers:
            stopped = stop_orphans(takeover.host, takeover.pid, takeover.pid_start,
                                   self.settings.timeouts.job_kill_grace)
            self.queue.release(takeover, slot, stopped)
        if takeovers:
            return True
        if claim is None:
            return False
        log.info("job %s (%s) attempt %s: running %s", claim.job_id, claim.run_id,
                 claim.attempt, claim.argv[0])
        with self._lock:
            self._current[slot] = claim.job_id
        try:
            outcome = JobRunner(self.queue, self.settings, self.stopping).run(claim)
        finally:
            with self._lock:
                self._current.pop(slot, None)
        with self._lock:
            self.outcomes.append(outcome)
        return True

    def _slot(self, index: int, until_idle: bool) -> None:
        slot = self.name if self.concurrency == 1 else f"{self.name}/{index}"
        poll = self.settings.timeouts.worker_poll
        while not self.stopping.is_set():
            try:
                busy = self.run_one(slot) or any(source(self.stopping, slot)
                                                 for source in self.extra)
            except DashboardError as exc:  # database busy or away: wait and try again
                log.warning("worker %s: %s", slot, exc.user_message)
                busy = False
                if until_idle:
                    raise
            if not busy:
                if until_idle:
                    return
                self.stopping.wait(poll)

    def _beat(self, done: threading.Event) -> None:
        """Refresh this worker's row once per heartbeat interval, idle or not."""
        while not done.wait(self.settings.timeouts.job_heartbeat):
            with self._lock:
                current = min(self._current.values(), default=None)
            self.registry.beat(current)

    def run(self, *, until_idle: bool = False) -> None:
        """Work until ``stop()`` (or, with ``until_idle``, until nothing is pending)."""
        log.info("worker %s: %d slot(s) on %s", self.name, self.concurrency,
                 self.db.target.display())
        self.registry.start()
        threads = [threading.Thread(target=self._slot, args=(i, until_idle),
                                    name=f"worker-slot-{i}", daemon=True)
                   for i in range(self.concurrency)]
        done = threading.Event()
        beating = threading.Thread(target=self._beat, args=(done,), name="worker-beat",
                                   daemon=True)
        for thread in threads:
            thread.start()
        beating.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(0.2)
        except KeyboardInterrupt:
            self.stop()
            for thread in threads:
                thread.join()
            raise
        finally:
            done.set()
            beating.join()
            self.registry.stop()

    def stop(self) -> None:
        self.stopping.set()

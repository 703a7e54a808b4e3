"""``dsa110-dash worker``: run queued jobs and batches until stopped."""

from __future__ import annotations

import argparse

from ..db.engine import Database
from ..errors import InvalidInputError
from ..settings import Settings
from .signals import stop_on_sigterm


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "worker", help="run queued jobs (reruns) and batches",
        description="Claim pending jobs and batches from the database and run them, N "
                    "jobs at a time, until stopped (SIGTERM or Ctrl-C: running jobs are "
                    "stopped and given back to the queue). Any number of workers on any "
                    "number of hosts may share one database; no job runs twice. A job "
                    "whose worker died (no heartbeat for DSA110_DASH_TIMEOUT_JOB_HEARTBEAT"
                    "_STALE seconds) is retried up to DSA110_DASH_JOB_MAX_ATTEMPTS times, "
                    "then marked failed. Needs a writable database.")
    parser.add_argument("--concurrency", metavar="N",
                        help="jobs run at the same time (DSA110_DASH_WORKER_CONCURRENCY)")
    parser.add_argument("--until-idle", action="store_true",
                        help="exit when nothing is pending instead of waiting for work")
    parser.add_argument("--no-batches", action="store_true",
                        help="run jobs only; leave batches to other workers")
    parser.set_defaults(handler=_worker, setting_overrides=lambda a: {
        "worker_concurrency": a.concurrency})


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs.audit import require_writable
    from ..jobs.batch_runner import batch_work_source
    from ..jobs.worker import Worker

    if settings.worker_concurrency < 1:  # pragma: no cover - the parser refuses it
        raise InvalidInputError("--concurrency must be at least 1", parameter="concurrency")
    db = Database(settings)
    require_writable(db, "running jobs")
    extra = [] if args.no_batches else [batch_work_source(db, settings)]
    worker = Worker(db, settings, extra=extra)
    try:
        with stop_on_sigterm(worker.stop):
            worker.run(until_idle=args.until_idle)
    finally:
        db.dispose()
    return 0

"""``dsa110-dash batch start|list|show|cancel|resume``: one kind of work over a selection.

Start and cancel go through the same service functions, checks and audit record as the
page will; the actor is ``cli:<os user>`` from address ``local``.
"""

from __future__ import annotations

import argparse
import sys
import time

from ..db.engine import Database
from ..errors import ConflictError, InvalidInputError
from ..settings import Settings
from .actions import action_group
from .listing import print_page, utc
from .progress import ProgressLine

BATCH_STATUSES = ("pending", "running", "done", "failed")


def register(sub: argparse._SubParsersAction) -> None:
    from ..jobs.batch_kinds import KINDS

    inner = action_group(
        sub, "batch", help="run one kind of work over many images, measurement sets or sources",
        description="Batches: " + "; ".join(f"{k.name} ({k.doc}, over {k.selects})"
                                             for k in KINDS.values())
        + ". Tracked in batch_jobs/batch_job_items with per-item errors; resumable and "
          "cancellable. Items run on a local process pool (DSA110_DASH_BATCH_WORKERS) or "
          "on the Dask cluster of DSA110_DASH_DASK_SCHEDULER.")

    start = inner.add_parser(
        "start", help="start a batch and run it here with a progress bar",
        description="Create a batch of KIND over the selection and run it in this process "
                    "(Ctrl-C leaves it resumable: `batch resume ID`), or with --queue "
                    "leave it to the workers.")
    start.add_argument("kind", choices=tuple(KINDS), metavar="KIND",
                       help="one of: " + ", ".join(KINDS))
    start.add_argument("--images", metavar="FILTERS",
                       help="images by the /images filters, as in its URL: "
                            "'type=5min&grade=poor&from=2025-10-14' ('' for every image)")
    start.add_argument("--image-id", action="append", default=[], type=int, metavar="ID",
                       dest="image_ids",
                       help="an image by its id (repeatable; instead of --images)")
    start.add_argument("--ms", action="append", default=[], metavar="PATH",
                       help="a measurement set (repeatable)")
    start.add_argument("--ms-status", action="append", default=[], metavar="S",
                       help="every measurement set with this ms_index status (repeatable)")
    start.add_argument("--ms-stage", action="append", default=[], metavar="S",
                       help="every measurement set at this stage (repeatable)")
    start.add_argument("--sources", metavar="all|TEXT",
                       help="every source ('all') or those whose id contains TEXT")
    start.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       dest="overrides", help="rerun: override one value (repeatable)")
    start.add_argument("--exclude-failed-qa", action="store_true",
                       help="variability: also leave out epochs that failed QA (as "
                            "`dsa110-dash variability --exclude-failed-qa`)")
    start.add_argument("--include-flagged", action="store_true",
                       help="variability: count epochs of images flagged bad (left out "
                            "by default)")
    start.add_argument("--size", type=int, help="thumbnails: long side in pixels")
    start.add_argument("--stretch", help="thumbnails: stretch")
    start.add_argument("--cmap", help="thumbnails: colormap")
    start.add_argument("--queue", action="store_true",
                       help="do not run it here: leave it to `dsa110-dash worker`")
    start.set_defaults(handler=_start)

    ls = inner.add_parser("list", help="one line per batch, newest first",
                          description="One line per batch with its progress.")
    ls.add_argument("--status", action="append", choices=BATCH_STATUSES)
    ls.add_argument("--limit", type=int, default=50)
    ls.set_defaults(handler=_list)

    show = inner.add_parser("show", help="one batch: selection, progress, failed items",
                            description="A batch, its runner and its failed items.")
    show.add_argument("batch_id", type=int, metavar="ID")
    show.add_argument("--errors", type=int, default=20, metavar="N",
                      help="failed items listed (default 20)")
    show.set_defaults(handler=_show)

    cancel = inner.add_parser("cancel", help="cancel a batch and wait until it stops",
                              description="Pending items are cancelled at once; items "
                                          "running finish (reruns are cancelled as jobs). "
                                          "Waits with a progress bar until nothing runs.")
    cancel.add_argument("batch_id", type=int, metavar="ID")
    cancel.add_argument("--no-wait", action="store_true")
    cancel.set_defaults(handler=_cancel)

    resume = inner.add_parser("resume", help="run the rest of an interrupted batch here",
                              description="Run a batch's pending items in this process "
                                          "when nobody runs it (its runner stopped or "
                                          "died).")
    resume.add_argument("batch_id", type=int, metavar="ID")
    resume.set_defaults(handler=_resume)


def _options(args: argparse.Namespace) -> dict:
    from ..jobs.overrides import split_assignments

    options: dict = {}
    if args.kind == "thumbnails":
        options["thumbnail"] = {k: v for k, v in (("size", args.size),
                                                  ("stretch", args.stretch),
                                                  ("cmap", args.cmap)) if v is not None}
    if args.kind == "variability":
        options["exclude_failed_qa"] = args.exclude_failed_qa
        options["include_flagged"] = args.include_flagged
    if args.overrides:
        if args.kind != "rerun":
            raise InvalidInputError("--set applies to rerun batches only", parameter="set")
        options["overrides"] = split_assignments(args.overrides)
    return options


def _start(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs.audit import Actor
    from ..jobs.batch import BatchService
    from ..jobs.batch_kinds import Selection
    from ..jobs.queue import worker_name

    selection = Selection(images=args.images, image_ids=tuple(args.image_ids),
                          ms=tuple(args.ms),
                          ms_status=tuple(args.ms_status), ms_stage=tuple(args.ms_stage),
                          sources=args.sources)
    name = worker_name()
    db = Database(settings)
    try:
        started = BatchService(db, settings).start(
            Actor.cli(), args.kind, selection, _options(args),
            runner=None if args.queue else name)
        print(f"batch {started.batch_id}: {started.kind} over {started.total} item(s)")
        if args.queue:
            print("queued for the workers; `dsa110-dash batch show "
                  f"{started.batch_id}` follows it", file=sys.stderr)
            return 0
        return _run_here(db, settings, started.batch_id, name)
    finally:
        db.dispose()


def _run_here(db: Database, settings: Settings, batch_id: int, name: str) -> int:
    from ..jobs.batch_runner import BatchRunner

    runner = BatchRunner(db, settings, name, progress=ProgressLine())
    if runner.claim(batch_id) is None:
        raise ConflictError(runner.why_not_runnable(batch_id))
    try:
        summary = runner.run(batch_id)
    except KeyboardInterrupt:
        print(f"\ninterrupted: `dsa110-dash batch resume {batch_id}` runs the rest",
              file=sys.stderr)
        raise
    if summary.kind == "rerun":
        print(f"queued the reruns ({summary.executor}); waiting for them", file=sys.stderr)
        status = _wait(db, batch_id, settings)
    else:
        status = summary.status
    _print_outcome(db, batch_id)
    return 0 if status == "done" else 1


def _wait(db: Database, batch_id: int, settings: Settings) -> str:
    from ..repositories.jobs import BatchJobRepository

    bar = ProgressLine()
    repo = BatchJobRepository(db)
    while True:
        record = repo.get(batch_id)
        c = record.counts
        bar(c.total - c.pending - c.running, c.total, "settled")
        if not (c.pending or c.running):
            return record.derived_status
        time.sleep(settings.timeouts.worker_poll)


def _print_outcome(db: Database, batch_id: int, errors: int = 20) -> None:
    from ..repositories.jobs import BatchJobRepository

    record = BatchJobRepository(db).get(batch_id)
    c = record.counts
    print(f"batch {batch_id} {record.derived_status}: {c.done} done, {c.failed} failed, "
          f"{c.cancelled} cancelled, {c.pending} pending, {c.running} running "
          f"of {c.total}")
    failed = [i for i in record.items if i.status == "failed"]
    for item in failed[:errors]:
        print(f"  FAILED item {item.id} ({item.data_id or item.ms_path}): {item.error}",
              file=sys.stderr)
    if len(failed) > errors:
        print(f"  … and {len(failed) - errors} more", file=sys.stderr)


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from ..repositories.jobs import BatchJobFilter, BatchJobRepository

    flt = BatchJobFilter(statuses=tuple(args.status) if args.status else None)

    def line(r) -> str:  # noqa: ANN001 - a row of the page
        settled = r.items_done + r.items_failed + r.items_cancelled
        return (f"{r.id:>5}  {r.type:<12} {r.derived_status:<9} {utc(r.created_at):<19}  "
                f"{settled}/{r.items_total} ({r.items_done} done, {r.items_failed} failed, "
                f"{r.items_cancelled} cancelled)")

    return print_page(
        settings, args.limit, lambda db, request: BatchJobRepository(db).page(flt, request),
        f"{'id':>5}  {'kind':<12} {'status':<9} {'created':<19}  progress", line,
        "batch(es)")


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from ..repositories.audit import AuditRepository
    from ..repositories.jobs import BatchJobRepository

    db = Database(settings)
    try:
        repo = BatchJobRepository(db)
        record = repo.get(args.batch_id)
        state = repo.runner_state(args.batch_id)
        audit = AuditRepository(db).entries("batch", args.batch_id)
        print(f"batch {record.id}  {record.type}  created {utc(record.created_at)}")
        print(f"  params    {record.params}")
        if state is not None:
            print(f"  runner    {state['runner'] or '-'} on {state['executor'] or '-'}, "
                  f"heartbeat {utc(state['heartbeat_at'])}, started "
                  f"{utc(state['started_at'])}, finished {utc(state['finished_at'])}")
            if state["cancel_requested_at"]:
                print(f"  cancel    asked by {state['cancel_requested_by']} at "
                      f"{utc(state['cancel_requested_at'])}")
        _print_outcome(db, args.batch_id, args.errors)
        for entry in reversed(audit):
            print(f"  audit     {utc(entry.at)} {entry.action} {entry.result} by "
                  f"{entry.actor}" + (f": {entry.reason}" if entry.reason else ""))
    finally:
        db.dispose()
    return 0


def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs.audit import Actor
    from ..jobs.batch import BatchService

    db = Database(settings)
    try:
        outcome = BatchService(db, settings).cancel(Actor.cli(), args.batch_id)
        print(f"batch {args.batch_id}: " + ("cancelled" if outcome == "cancelled" else
                                            "cancel requested; running items finish"))
        if outcome == "requested" and not args.no_wait:
            _wait(db, args.batch_id, settings)
            _print_outcome(db, args.batch_id)
    finally:
        db.dispose()
    return 0


def _resume(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs.audit import require_writable
    from ..jobs.queue import worker_name

    db = Database(settings)
    try:
        require_writable(db, "resuming a batch")
        return _run_here(db, settings, args.batch_id, worker_name())
    finally:
        db.dispose()

"""``dsa110-dash jobs list|show|logs|rerun|cancel``: the operators' shell commands.

Rerun and cancel go through the same service functions, checks and audit record as the
jobs page; the actor is ``cli:<os user>`` from address ``local``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import deque
from pathlib import Path

from ..db.engine import Database
from ..errors import InvalidInputError, NotFoundError
from ..settings import Settings
from .actions import action_group
from .listing import print_page, utc

STATUSES = ("pending", "running", "completed", "failed", "cancelled")
FINISHED = ("completed", "failed", "cancelled")


def register(sub: argparse._SubParsersAction) -> None:
    inner = action_group(
        sub, "jobs", help="list, inspect, rerun and cancel pipeline jobs",
        description="The pipeline's jobs as the jobs table records them. JOB is a job id "
                    "or a run id (job-YYYY-MM-DD-HHMMSS[-jN]).")

    ls = inner.add_parser("list", help="one line per job, newest first",
                          description="One line per job: id, run id, type, status, "
                                      "measurement set, created/started/finished (UTC).")
    ls.add_argument("--status", action="append", choices=STATUSES,
                    help="only jobs with this status (repeatable)")
    ls.add_argument("--type", action="append", metavar="T",
                    help="only jobs of this type (repeatable)")
    ls.add_argument("--limit", type=int, default=50, help="at most N jobs (default 50; at most "
                                                        "DSA110_DASH_PAGE_SIZE_MAX)")
    ls.set_defaults(handler=_list)

    show = inner.add_parser("show", help="one job: parameters, run state, history, audit",
                            description="Everything recorded about one job.")
    show.add_argument("job", metavar="JOB")
    show.set_defaults(handler=_show)

    logs = inner.add_parser("logs", help="print a job's log file",
                            description="Print the job's log ({CONTIMG_LOGS_DIR}/"
                                        "{run_id}.log); --follow keeps printing until the "
                                        "job has finished.")
    logs.add_argument("job", metavar="JOB")
    logs.add_argument("--tail", type=int, default=None, metavar="N",
                      help="only the last N lines")
    logs.add_argument("--follow", "-f", action="store_true",
                      help="keep printing new lines until the job finishes")
    logs.set_defaults(handler=_logs)

    rerun = inner.add_parser(
        "rerun", help="queue a rerun of a job, optionally with overrides",
        description="Queue a rerun of JOB with its configuration from the database (its "
                    "parameters, measurement set, active calibration tables, phase "
                    "centre) and the given overrides. Runs the command of "
                    "PIPELINE_CMD_TEMPLATE on a worker. Override keys: "
                    + ", ".join(_override_keys()) + ".")
    rerun.add_argument("job", metavar="JOB")
    rerun.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                       dest="overrides", help="override one value (repeatable)")
    rerun.set_defaults(handler=_rerun)

    cancel = inner.add_parser("cancel", help="cancel a pending or running job",
                              description="A pending job never starts; a running job's "
                                          "processes get SIGTERM, then SIGKILL after the "
                                          "grace period.")
    cancel.add_argument("job", metavar="JOB")
    cancel.set_defaults(handler=_cancel)


def _override_keys() -> list[str]:
    from ..jobs.overrides import DECLARED

    return [f"{k} ({v.describe()})" for k, v in DECLARED.items()]


def _list(args: argparse.Namespace, settings: Settings) -> int:
    from ..repositories.jobs import JobFilter, JobRepository

    flt = JobFilter(statuses=tuple(args.status) if args.status else None,
                    types=tuple(args.type) if args.type else None)
    return print_page(
        settings, args.limit, lambda db, request: JobRepository(db).page(flt, request),
        f"{'id':>6}  {'run id':<30} {'type':<15} {'status':<10} {'created':<19}  "
        f"{'started':<19}  {'finished':<19}  measurement set",
        lambda r: f"{r.id:>6}  {r.run_id or '-':<30} {r.type:<15} {r.status:<10} "
                  f"{utc(r.created_at):<19}  {utc(r.started_at):<19}  "
                  f"{utc(r.finished_at):<19}  {r.ms_path}",
        "job(s)")


def _show(args: argparse.Namespace, settings: Settings) -> int:
    from ..repositories.audit import AuditRepository
    from ..repositories.jobs import JobRepository

    db = Database(settings)
    try:
        repo = JobRepository(db)
        job = repo.get(repo.resolve(args.job))
        state = repo.queue_state(job.id)
        events = repo.events(job.id)
        audit = AuditRepository(db).entries("job", job.id)
    finally:
        db.dispose()
    lines = [f"job {job.id}  {job.run_id}", f"  type        {job.type}",
             f"  status      {job.status}", f"  ms          {job.ms_path}",
             f"  created     {utc(job.created_at)}", f"  started     {utc(job.started_at)}",
             f"  finished    {utc(job.finished_at)}", f"  params      {job.params}"]
    if state is None:
        lines.append("  run by      the pipeline (not queued by the dashboard)")
    else:
        lines += [f"  requested   by {state.requested_by}"
                  + (f", rerun of job {state.rerun_of}" if state.rerun_of else ""),
                  f"  overrides   {state.overrides or 'none'}",
                  f"  command     {state.command}",
                  f"  attempt     {state.attempt}  worker {state.worker or '-'}  "
                  f"heartbeat {utc(state.heartbeat_at)}",
                  f"  exit code   {state.exit_code if state.exit_code is not None else '-'}",
                  f"  error       {state.error or '-'}",
                  f"  log file    {state.log_path}"]
        if state.cancel_requested_at is not None:
            lines.append(f"  cancel      asked by {state.cancel_requested_by} at "
                         f"{utc(state.cancel_requested_at)}")
    if events:
        lines.append("history:")
        lines += [f"  {utc(e.at)}  {e.status:<17} {e.detail or ''}" for e in events]
    if audit:
        lines.append("audit trail:")
        lines += [f"  {utc(a.at)}  {a.action:<8} {a.result:<8} {a.actor} ({a.address or '-'})"
                  + (f": {a.reason}" if a.reason else "") for a in reversed(audit)]
    print("\n".join(lines))
    return 0


def _logs(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs.logfiles import log_path
    from ..repositories.jobs import JobRepository

    if args.tail is not None and args.tail < 0:
        raise InvalidInputError("--tail must be 0 or more", parameter="tail")
    db = Database(settings)
    try:
        repo = JobRepository(db)
        job_id = repo.resolve(args.job)
        job = repo.get(job_id)
        state = repo.queue_state(job_id)
        path = log_path(settings, db, job, state)
        if not path.is_file():
            if args.follow and job.status not in FINISHED:
                path = _wait_for(path, repo, job_id)
            else:
                print(f"(no log file {path}; the last lines kept in the database:)",
                      file=sys.stderr)
                text = job.logs or ""
                lines = text.splitlines()
                for line in lines[-args.tail:] if args.tail else lines:
                    print(line)
                return 0
        _print_file(path, args.tail, follow=args.follow,
                    finished=lambda: repo.get(job_id).status in FINISHED,
                    poll=settings.timeouts.worker_poll / 4)
    finally:
        db.dispose()
    return 0


def _wait_for(path: Path, repo, job_id: int) -> Path:
    while not path.is_file():
        if repo.get(job_id).status in FINISHED:
            raise NotFoundError(f"the job finished without writing {path}")
        time.sleep(0.5)
    return path


def _print_file(path: Path, tail: int | None, *, follow: bool, finished, poll: float) -> None:
    with open(path, "rb") as fh:
        if tail is not None:
            for line in deque(fh, maxlen=tail) if tail else ():
                sys.stdout.write(line.decode("utf-8", "replace"))
        else:
            for line in fh:
                sys.stdout.write(line.decode("utf-8", "replace"))
        sys.stdout.flush()
        while follow:
            line = fh.readline()
            if line:
                sys.stdout.write(line.decode("utf-8", "replace"))
                sys.stdout.flush()
                continue
            if finished():
                rest = fh.read()  # what the worker wrote as the job ended
                sys.stdout.write(rest.decode("utf-8", "replace"))
                sys.stdout.flush()
                return
            time.sleep(max(poll, 0.1))


def _rerun(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs.audit import Actor
    from ..jobs.overrides import split_assignments
    from ..jobs.service import JobService

    overrides = split_assignments(args.overrides)
    db = Database(settings)
    try:
        result = JobService(db, settings).rerun(Actor.cli(), args.job, overrides)
    finally:
        db.dispose()
    print(f"queued job {result.job_id} ({result.run_id}): rerun of job {result.rerun_of}")
    for key, change in result.changed.items():
        print(f"  {key}: {change['from']!r} -> {change['to']!r}")
    print(f"  command: {result.argv}")
    print("a worker runs it (`dsa110-dash worker`); follow it with "
          f"`dsa110-dash jobs logs {result.run_id} --follow`", file=sys.stderr)
    return 0


def _cancel(args: argparse.Namespace, settings: Settings) -> int:
    from ..jobs.audit import Actor
    from ..jobs.service import JobService

    db = Database(settings)
    try:
        outcome = JobService(db, settings).cancel(Actor.cli(), args.job)
    finally:
        db.dispose()
    if outcome == "cancelled":
        print(f"job {args.job} cancelled before it started")
    else:
        print(f"job {args.job}: cancel requested; its worker stops it within "
              f"{settings.timeouts.job_heartbeat:g} s (SIGTERM, then SIGKILL after "
              f"{settings.timeouts.job_kill_grace:g} s)")
    return 0

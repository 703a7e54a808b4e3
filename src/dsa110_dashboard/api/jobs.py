"""The jobs endpoints (issue 13; who may act: ``operators``, decision 0047).

- ``GET /api/v1/jobs?status=&type=&ms=&run_id=&sort=&order=&offset=&limit=``: a page of
  jobs with the total; ``status`` and ``type`` repeatable or comma-separated, ``sort`` one
  of ``JobRepository.SORT_KEYS``.
- ``GET /api/v1/jobs/{job}``: one job (id or run id) with its parameters, what the queue
  recorded (the argument list as run, overrides, exit code, worker), the timeline of its
  states, its audit trail and its artifacts.
- ``GET /api/v1/jobs/{job}/logs?tail=N``: the last N lines (1..10000, default 200) of its
  log file, else those kept in the database.
- ``GET /api/v1/logs/{run_id}?tail=N``: the same, by the old API's path.
- ``POST /api/v1/jobs/{job}/rerun`` with ``{"overrides": {"imsize": 2048}}``: queue a
  rerun (201); an undeclared key or a bad value is a 400 naming it.
- ``POST /api/v1/jobs/{job}/cancel``: cancel a pending or running job; 409 when it has
  finished.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import Field

from ..errors import ForbiddenPathError, InvalidInputError
from ..jobs.logfiles import log_path, tail_lines
from ..jobs.service import JobService
from ..repositories.audit import AuditRepository
from ..repositories.jobs import JobFilter, JobRepository
from ..repositories.records import parse_json
from .images import parse_int
from .operators import OperatorApiHandler, page_json, plain, rows
from .models import Page, Paging, Record
from .spec import Body, Loose, Op, Query

#: Path segment of a job reference (id or run id) in the URL patterns.
JOB = r"([^/]+)"
STATUSES = ("pending", "running", "completed", "failed", "cancelled")
MAX_TAIL = 10_000
DEFAULT_TAIL = 200


def job_url(job_id: int) -> str:
    # By id: a pipeline run id names every job of one measurement set.
    return f"/api/v1/jobs/{job_id}"


class JobsQuery(Paging):
    status: list[Literal[STATUSES]] | None = Field(  # type: ignore[valid-type]
        None, description="repeatable or comma-separated")
    type: list[str] | None = Field(None, description="job types")
    ms: str | None = Field(None, max_length=1000, description="measurement set path")
    run_id: str | None = Field(None, max_length=200)
    sort: Literal[JobRepository.SORT_KEYS] | None = None  # type: ignore[valid-type]


class JobPage(Page):
    jobs: list[Record]


class JobDetail(Loose):
    id: int
    status: str
    url: str
    timeline: list[Record]
    audit: list[Record]


class TailQuery(Query):
    tail: int = Field(DEFAULT_TAIL, ge=1, le=MAX_TAIL, description="lines from the end")


class LogTail(Loose):
    id: int
    run_id: str | None
    status: str
    tail: int
    source: Literal["file", "database"]
    lines: list[str]


class RerunBody(Body):
    overrides: dict[str, str | int | float] | None = Field(
        None, description="the job type's declared override keys and their values")


class Rerun(Loose):
    id: int
    rerun_of: int | None = None
    url: str


class EmptyBody(Body):
    pass


class Outcome(Loose):
    outcome: str


class JobsHandler(OperatorApiHandler):
    operations = {"get": Op("A page of jobs", query=JobsQuery, response=JobPage, tag="jobs")}

    async def get(self) -> None:
        request = self.page_request(sort="created_at")
        run_id = self.get_query_argument("run_id", None) or None
        if run_id is not None and len(run_id) > 200:
            raise InvalidInputError("run_id is longer than 200 characters",
                                    parameter="run_id")
        flt = JobFilter(statuses=self.listed("status", STATUSES),
                        types=self.listed("type"),
                        ms_path=self.get_query_argument("ms", None) or None,
                        run_id=run_id)
        page = await self.blocking(JobRepository(self.ctx.db).page, flt, request)
        jobs = rows(page.rows)
        for job in jobs:
            job["url"] = job_url(job["id"])
            for key in ("params", "artifacts"):
                job[key], ok = parse_json(job.get(key))
                job[f"{key}_invalid"] = not ok
        jobs = plain(jobs)
        self.write_json(page_json(page, request, "jobs", jobs))


def _job_detail(ctx, ref: str) -> dict[str, Any]:  # noqa: ANN001 - the AppContext
    repo = JobRepository(ctx.db)
    job = repo.get(repo.resolve(ref))
    state = repo.queue_state(job.id)
    events = repo.events(job.id)
    audit = AuditRepository(ctx.db).entries("job", job.id, aliases=[job.run_id])
    body = {k: plain(v) for k, v in dataclasses.asdict(job).items() if k != "logs"}
    run = None
    if state is not None:
        run = {k: plain(v) for k, v in dataclasses.asdict(state).items()
               if k not in ("job_id", "run_id", "command", "pid")}
        run["argv"] = state.command
    duration = (job.finished_at - job.started_at
                if job.started_at is not None and job.finished_at is not None else None)
    return plain({**body, "url": job_url(job.id), "duration_s": duration,
                  "run": run,
                  "timeline": [dataclasses.asdict(e) for e in events],
                  "audit": [dataclasses.asdict(a) for a in audit]})


class JobHandler(OperatorApiHandler):
    operations = {"get": Op("One job: parameters, run, timeline, audit", response=JobDetail,
                            tag="jobs")}

    async def get(self, ref: str) -> None:
        detail = await self.blocking(_job_detail, self.ctx, ref)
        # The measurement set, parameters and artifacts are the pipeline's data (shown as
        # such, decision 0026); what the server ran and logged is scrubbed for strangers.
        for key in ("run", "timeline", "audit"):
            detail[key] = self.shown_paths(detail[key])
        self.write_json(detail)


class JobLogsHandler(OperatorApiHandler):
    operations = {"get": Op("The tail of a job's log", query=TailQuery, response=LogTail,
                            tag="jobs")}

    async def get(self, ref: str) -> None:
        tail = self.argument("tail", parse_int("tail", 1, MAX_TAIL), DEFAULT_TAIL)
        ctx = self.ctx

        def read() -> dict[str, Any]:
            repo = JobRepository(ctx.db)
            job = repo.get(repo.resolve(ref))
            state = repo.queue_state(job.id)
            answer = {"id": job.id, "run_id": job.run_id, "status": job.status,
                      "tail": tail}
            try:
                path = log_path(ctx.settings, ctx.db, job, state)
            except ForbiddenPathError as exc:
                path, answer["note"] = None, exc.user_message
            if path is not None and path.is_file():
                return {**answer, "source": "file", "log_file": str(path),
                        "lines": tail_lines(path, tail)}
            kept = (job.logs or "").splitlines()[-tail:]
            return {**answer, "source": "database", "log_file": None if path is None
                    else str(path), "lines": kept}

        self.write_json(self.shown_paths(await self.blocking(read)))


class RunLogsHandler(JobLogsHandler):
    """The old API's path of a log tail: ``/api/v1/logs/{run_id}?tail=N``."""

    operations = {"get": Op("The tail of a pipeline run's log (run id or job id)",
                            query=TailQuery, response=LogTail, tag="logs")}

    async def get(self, ref: str) -> None:
        try:
            await super().get(ref)
        except InvalidInputError as exc:
            if exc.parameter != "job":
                raise
            raise InvalidInputError(exc.user_message, parameter="run_id") from None


class JobRerunHandler(OperatorApiHandler):
    operations = {"post": Op("Queue a rerun (operator)", body=RerunBody, response=Rerun,
                             status=201, errors=(409,), tag="jobs")}
    SUPPORTED_METHODS = ("POST",)

    async def post(self, ref: str) -> None:
        body = self.json_body(("overrides",))
        overrides = body.get("overrides") or {}
        if not isinstance(overrides, dict):
            raise InvalidInputError("overrides must be a JSON object of key: value",
                                    parameter="overrides")
        for key, value in overrides.items():
            if not isinstance(value, str | int | float) or isinstance(value, bool):
                raise InvalidInputError(f"{key}: the value must be a string or a number",
                                        parameter=key)
        service = JobService(self.ctx.db, self.ctx.settings)
        result = await self.blocking(service.rerun, self.actor(), ref, overrides)
        self.set_header("Location", job_url(result.job_id))
        self.write_json(self.shown_paths({
            "id": result.job_id, "run_id": result.run_id, "rerun_of": result.rerun_of,
            "argv": result.argv, "changed": result.changed,
            "url": job_url(result.job_id)}), 201)


class JobCancelHandler(OperatorApiHandler):
    operations = {"post": Op("Cancel a job (operator)", body=EmptyBody, response=Outcome,
                             errors=(409,), tag="jobs")}
    SUPPORTED_METHODS = ("POST",)

    async def post(self, ref: str) -> None:
        self.json_body(())
        service = JobService(self.ctx.db, self.ctx.settings)
        outcome = await self.blocking(service.cancel, self.actor(), ref)
        self.write_json({"job": ref, "outcome": outcome}, 200 if outcome == "cancelled"
                        else 202)

"""State of /jobs/{run_id}: one job, its log tail, and the operator's rerun and cancel.

``fetch`` reads everything about the job (blocking); ``poll_log`` reads what its log
file gained since the last read (bounded) and says whether the job is still running, so
the view follows a running job and stops when it ends. Rerun and cancel go through
``JobService`` with the ``Actor`` the view makes from the session; who may act is
decided here (``block_reason``) from the role and the database. No Panel here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import param

from ..auth.roles import Role, role_of
from ..db.engine import Database
from ..errors import (
    DashboardError,
    DatabaseUnavailableError,
    ForbiddenPathError,
    InvalidInputError,
    NotFoundError,
)
from ..jobs.audit import Actor
from ..jobs.logfiles import LogChunk, log_path, read_from, read_tail
from ..jobs.overrides import DECLARED
from ..jobs.queue import FINISHED
from ..jobs.service import JobService, operator_actions_unavailable
from ..repositories.audit import AuditEntry, AuditRepository
from ..repositories.jobs import (
    JobEvent,
    JobRecord,
    JobRepository,
    QueueState,
    artifact_paths,
    images_made_by,
)
from ..settings import Settings

#: What the page keeps of a log (the tail); older lines are dropped as new ones come.
MAX_LOG_CHARS = 64_000
#: At most this much is read from the log per poll.
POLL_BYTES = 64 * 1024


@dataclass(frozen=True)
class JobDetail:
    job: JobRecord
    state: QueueState | None
    events: tuple[JobEvent, ...]
    audit: tuple[AuditEntry, ...]
    #: (image id, path) of the images it made.
    images: tuple[tuple[int, str], ...]
    #: The rerun form's starting values (text per declared key), or why there are none.
    rerun_defaults: dict[str, str] = field(default_factory=dict)
    rerun_problem: str | None = None
    log_file: Path | None = None
    log_problem: str | None = None

    @property
    def running(self) -> bool:
        return self.job.status not in FINISHED

    @property
    def argv(self) -> list[str] | None:
        command = self.state.command if self.state is not None else None
        return [str(a) for a in command] if isinstance(command, list) else None


@dataclass(frozen=True)
class LogPoll:
    chunk: LogChunk | None
    status: str
    #: The job's status changed: the whole page is read again.
    changed: bool


def as_text(value: Any) -> str:
    """A configuration value as the form shows it ('' for none)."""
    return "" if value is None else str(value)


def block_reason(role: Role, db: Database) -> str | None:
    """Why this user cannot rerun or cancel here, or None when they can."""
    if role < Role.OPERATOR:
        return (f"Your role is {role.label}: only operators may rerun or cancel jobs "
                "(DSA110_DASH_ROLES names them).")
    return operator_actions_unavailable(db)


class JobDetailModel(param.Parameterized):
    ref = param.String(default="", doc="The job's run id or numeric id, from the URL.")
    detail = param.ClassSelector(class_=JobDetail, default=None, allow_None=True)
    not_found = param.String(default=None, allow_None=True)
    error = param.String(default=None, allow_None=True)

    log_text = param.String(default="")
    log_note = param.String(default="")
    following = param.Boolean(default=False)

    #: Why the action buttons are disabled (None: enabled).
    blocked = param.String(default=None, allow_None=True)
    #: Why the rerun alone is disabled (no command template, no configuration).
    rerun_off = param.String(default=None, allow_None=True)
    rerun_errors = param.Dict(default={}, doc="Override key -> why its value was refused.")
    action_message = param.String(default=None, allow_None=True)
    action_ok = param.Boolean(default=False)
    #: The job a rerun just queued (its id), for a link.
    new_job_id = param.Integer(default=None, allow_None=True)

    def __init__(self, db: Database, settings: Settings, role: Role = Role.VIEWER,
                 identify: Callable[[], str | None] | None = None, **params):
        """``identify`` (blocking) names the signed-in user, None with sign-in off; it
        decides the role at ``identify_user``; without it the role is ``role``."""
        super().__init__(**params)
        self.db = db
        self.settings = settings
        self.role = role
        self.user: str | None = None
        self._identify = identify
        self.jobs = JobRepository(db)
        self.service = JobService(db, settings)
        self._offset = 0
        self._source: str | None = None  # "file" or "database": where log_text is from

    # ---------------------------------------------------------------- loading
    def identify_user(self) -> None:
        """Blocking: who is signed in, and so the role (``DSA110_DASH_ROLES``, or
        ``DSA110_DASH_OPEN_ACCESS_ROLE`` with sign-in off)."""
        if self._identify is not None:
            self.user = self._identify()
            self.role = role_of(self.user, self.settings)

    def actor(self, address: str | None) -> Actor:
        return Actor(name=self.user or "anonymous", address=address, role=self.role.label)

    def fetch(self) -> JobDetail | DashboardError:
        """Blocking: everything about the job; NotFoundError / InvalidInputError for a
        reference that names no job."""
        try:
            job_id = self.jobs.resolve(self.ref)
            job = self.jobs.get(job_id)
            state = self.jobs.queue_state(job_id)
            events = tuple(self.jobs.events(job_id))
            audit = tuple(AuditRepository(self.db).entries("job", job_id, limit=100,
                                                           aliases=[job.run_id]))
            images = tuple(images_made_by(self.db, job_id, artifact_paths(job.artifacts)))
        except (NotFoundError, InvalidInputError, DatabaseUnavailableError) as exc:
            return exc
        defaults, problem = self._rerun_defaults(job)
        try:
            path, log_problem = log_path(self.settings, self.db, job, state), None
        except ForbiddenPathError as exc:
            path, log_problem = None, exc.user_message
        return JobDetail(job=job, state=state, events=events, audit=audit, images=images,
                         rerun_defaults=defaults, rerun_problem=problem, log_file=path,
                         log_problem=log_problem)

    def _rerun_defaults(self, job: JobRecord) -> tuple[dict[str, str], str | None]:
        try:
            config = self.service.rerun_configuration(job)
        except DatabaseUnavailableError as exc:
            return {}, exc.user_message
        return {key: as_text(config.get(key)) for key in DECLARED}, None

    def blocked_reason(self) -> str | None:
        """Blocking: why neither rerun nor cancel is allowed here (role, database)."""
        return block_reason(self.role, self.db)

    def rerun_off_reason(self, detail: JobDetail | None) -> str | None:
        """Why rerun alone is off (cancel needs neither a command nor a configuration)."""
        if detail is not None and detail.rerun_problem:
            return f"The rerun configuration could not be read: {detail.rerun_problem}"
        if not self.settings.command_template:
            return "Reruns are off: no pipeline command is configured (PIPELINE_CMD_TEMPLATE)."
        return None

    def apply(self, result: JobDetail | DashboardError) -> None:
        if isinstance(result, NotFoundError | InvalidInputError):
            self.param.update(not_found=result.user_message, detail=None, following=False)
            return
        if isinstance(result, DashboardError):
            self.error = result.user_message
            return
        followable = result.running and result.log_file is not None
        # Once following, only ``apply_poll`` stops it: it reads the log to its end first.
        following = followable if self.detail is None else (self.following or followable)
        self.param.update(detail=result, not_found=None, error=None, following=following)

    def load(self) -> None:
        """Identify the user, fetch, apply and read the log's tail in the calling thread."""
        self.identify_user()
        result = self.fetch()
        self.apply(result)
        self.blocked = self.blocked_reason() if self.detail is not None else None
        self.rerun_off = self.rerun_off_reason(self.detail)
        if self.detail is not None:
            self.show_log(self.read_log())

    # ------------------------------------------------------------------ log
    def read_log(self) -> LogChunk | None:
        """Blocking: the log's tail (the file; without one, the lines the database kept)."""
        d = self.detail
        if d is None or d.log_file is None:
            return None
        return read_tail(d.log_file, MAX_LOG_CHARS)

    def show_log(self, chunk: LogChunk | None) -> None:
        d = self.detail
        if chunk is None:
            self._offset, self._source = 0, "database"
            kept = (d.job.logs or "") if d is not None else ""
            if d is not None and d.log_problem:
                note = f"The log file is not shown: {d.log_problem}"
            elif d is not None and d.running:
                note = "Waiting for the log file…"
            else:
                note = "No log file; these are the last lines the database kept."
            self.param.update(log_text=kept[-MAX_LOG_CHARS:], log_note=note)
            return
        self._offset, self._source = chunk.offset, "file"
        note = f"{d.log_file}" + (" (its last lines)" if chunk.skipped else "")
        self.param.update(log_text=chunk.text, log_note=note)

    def poll_log(self) -> LogPoll:
        """Blocking: what the log gained and the job's status now."""
        d = self.detail
        status = self.jobs.status_of(d.job.id)
        finished = status in FINISHED
        chunk = None
        if d.log_file is not None:
            # Once finished, the last line need not end with a newline.
            chunk = read_from(d.log_file, self._offset, POLL_BYTES, whole_lines=not finished)
        return LogPoll(chunk=chunk, status=status, changed=status != d.job.status)

    def apply_poll(self, poll: LogPoll) -> None:
        """Append what the log gained (the page keeps its last ``MAX_LOG_CHARS``); stop
        following once the job has finished and its log is read to the end."""
        chunk = poll.chunk
        if chunk is not None:
            # The file's text replaces the database's lines, and a rewritten file
            # (a retry) replaces what was shown of the old one.
            fresh = chunk.skipped or self._source != "file"
            text = chunk.text if fresh else self.log_text + chunk.text
            if len(text) > MAX_LOG_CHARS:
                cut = text.find("\n", len(text) - MAX_LOG_CHARS)
                text = text[cut + 1:] if cut >= 0 else text[-MAX_LOG_CHARS:]
            self._offset, self._source = chunk.offset, "file"
            self.param.update(log_text=text, log_note=str(self.detail.log_file))
        if poll.status in FINISHED and (chunk is None or len(chunk.text) < POLL_BYTES):
            self.following = False

    # -------------------------------------------------------------- actions
    def _values_to_send(self, values: dict[str, str]) -> dict[str, str]:
        """The fields the operator changed (an untouched prefilled field is not an
        override; an emptied one is refused by the service, naming it)."""
        defaults = self.detail.rerun_defaults if self.detail else {}
        return {k: v for k, v in values.items()
                if k in DECLARED and v.strip() != defaults.get(k, "").strip()}

    def rerun(self, actor: Actor, values: dict[str, str]) -> None:
        """Blocking: queue a rerun with the changed fields; errors beside their field."""
        if self.detail is None:
            return
        try:
            result = self.service.rerun(actor, self.detail.job.id,
                                        self._values_to_send(values))
        except InvalidInputError as exc:
            if exc.parameter in DECLARED:
                self.param.update(rerun_errors={exc.parameter: exc.user_message},
                                  action_message="The rerun was not queued: a value is "
                                                 "not allowed (see beside the field).",
                                  action_ok=False, new_job_id=None)
            else:
                self.param.update(rerun_errors={}, action_message=exc.user_message,
                                  action_ok=False, new_job_id=None)
            return
        except DashboardError as exc:
            self.param.update(rerun_errors={}, action_message=exc.user_message,
                              action_ok=False, new_job_id=None)
            return
        changed = ", ".join(f"{k} {json.dumps(c['from'])} → {json.dumps(c['to'])}"
                            for k, c in result.changed.items()) or "no overrides"
        self.param.update(rerun_errors={}, action_ok=True, new_job_id=result.job_id,
                          action_message=f"Rerun queued as job {result.job_id} "
                                         f"({result.run_id}); {changed}.")
        self.apply(self.fetch())  # its audit trail now has the rerun

    def cancel(self, actor: Actor) -> None:
        if self.detail is None:
            return
        try:
            outcome = self.service.cancel(actor, self.detail.job.id)
        except DashboardError as exc:
            self.param.update(action_message=exc.user_message, action_ok=False)
            return
        text = ("Cancelled: it had not started." if outcome == "cancelled" else
                "Cancel requested: its worker stops its processes at the next heartbeat.")
        self.param.update(action_message=text, action_ok=True, new_job_id=None)
        self.apply(self.fetch())

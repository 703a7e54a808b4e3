"""Run one claimed job's command and report truthfully how it ended.

The command runs without a shell, in a session of its own (so its whole process group
can be stopped), with its standard output and error appended to
``{CONTIMG_LOGS_DIR}/{run_id}.log`` as they come and the last lines kept for
``jobs.logs``. While it runs the worker writes a heartbeat every
``TIMEOUT_JOB_HEARTBEAT`` seconds and reads back whether an operator asked to cancel.
A job is ``completed`` only when its command ran and exited 0.
"""

from __future__ import annotations

import collections
import logging
import shlex
import signal
import subprocess
import threading
import time
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import DashboardError
from ..settings import Settings
from .processes import start_time, stop_group
from .queue import CANCELLED, COMPLETED, FAILED, Claim, JobQueue

log = logging.getLogger(__name__)

#: How long the output reader may take to drain the pipe after the group is gone.
_READER_JOIN = 5.0


@dataclass(frozen=True)
class Outcome:
    status: str            # completed, failed, cancelled, requeued or lost
    exit_code: int | None
    error: str | None


def _stamp() -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


class _Output:
    """Copies the command's output to the log file and keeps the last lines."""

    def __init__(self, pipe: BinaryIO, log_file: BinaryIO, keep: int):
        self.tail: collections.deque[str] = collections.deque(maxlen=keep)
        self.thread = threading.Thread(target=self._pump, args=(pipe, log_file),
                                       daemon=True, name="job-output")
        self.thread.start()

    def _pump(self, pipe: BinaryIO, log_file: BinaryIO) -> None:
        for line in iter(pipe.readline, b""):
            log_file.write(line)
            log_file.flush()
            self.tail.append(line.decode("utf-8", "replace").rstrip("\n"))
        pipe.close()


class JobRunner:
    def __init__(self, queue: JobQueue, settings: Settings,
                 stopping: threading.Event | None = None):
        self.queue = queue
        self.settings = settings
        self.stopping = stopping or threading.Event()

    def run(self, claim: Claim) -> Outcome:
        claim.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(claim.log_path, "ab") as log_file:
            def note(text: str) -> None:
                log_file.write(f"{_stamp()} dsa110-dash worker {claim.worker}: {text}\n"
                               .encode())
                log_file.flush()

            note(f"job {claim.job_id} attempt {claim.attempt}: {shlex.join(claim.argv)}")
            try:
                proc = subprocess.Popen(claim.argv, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        start_new_session=True, close_fds=True)
            except OSError as exc:
                error = f"the command could not be started: {exc}"
                note(error)
                return self._finish(claim, FAILED, None, error, [error])
            output = _Output(proc.stdout, log_file, self.settings.job_log_tail_lines)
            outcome = self._supervise(claim, proc, note)
            output.thread.join(_READER_JOIN)
            tail = list(output.tail)
            summary = outcome.error or describe_exit(outcome.exit_code or 0)
            note(f"job {claim.job_id} {outcome.status}: {summary}")
        if outcome.status == "requeued":
            self.queue.requeue(claim, outcome.error or "requeued")
            return outcome
        if outcome.status == "lost":
            return outcome
        return self._finish(claim, outcome.status, outcome.exit_code, outcome.error,
                            tail + [f"[{outcome.status}: {summary}]"])

    def _supervise(self, claim: Claim, proc: subprocess.Popen, note) -> Outcome:
        timeouts = self.settings.timeouts
        started = time.monotonic()
        if not self.queue.started(claim, proc.pid, start_time(proc.pid)):
            return self._stop(proc, "lost", None, note)
        while True:
            try:
                code = proc.wait(timeout=timeouts.job_heartbeat)
            except subprocess.TimeoutExpired:
                code = None
            if code is not None:
                # Children left behind in the group go with it.
                stop_group(proc.pid, timeouts.job_kill_grace)
                if code == 0:
                    return Outcome(COMPLETED, 0, None)
                return Outcome(FAILED, code, describe_exit(code))
            if self.stopping.is_set():
                return self._stop(proc, "requeued", "the worker is shutting down", note)
            try:
                beat = self.queue.heartbeat(claim)
            except DashboardError as exc:  # a locked or unreachable database: keep going
                log.warning("job %s: heartbeat not written: %s", claim.job_id,
                            exc.user_message)
                beat = "ok"
            if beat == "lost":
                return self._stop(proc, "lost", "another worker took the job over", note)
            if beat == "cancel":
                return self._stop(proc, CANCELLED, "cancelled by an operator", note)
            if time.monotonic() - started > timeouts.job_run:
                return self._stop(proc, FAILED, f"timed out after {timeouts.job_run:g} s "
                                  "(DSA110_DASH_TIMEOUT_JOB_RUN)", note)

    def _stop(self, proc: subprocess.Popen, status: str, reason: str | None,
              note) -> Outcome:
        note(f"stopping process group {proc.pid}: {reason}")
        killed = stop_group(proc.pid, self.settings.timeouts.job_kill_grace)
        try:
            code = proc.wait(timeout=self.settings.timeouts.job_kill_grace)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL cannot be ignored
            code = None
        if killed:
            reason = f"{reason}; SIGKILL after {self.settings.timeouts.job_kill_grace:g} s"
        return Outcome(status, code, reason)

    def _finish(self, claim: Claim, status: str, exit_code: int | None, error: str | None,
                tail: list[str]) -> Outcome:
        if status == CANCELLED:
            error = self._cancel_reason(claim) or error
        if not self.queue.finish(claim, status, exit_code=exit_code, error=error,
                                 logs="\n".join(tail)):
            log.warning("job %s: finished as %s, but another worker had taken it over",
                        claim.job_id, status)
            return Outcome("lost", exit_code, error)
        log.info("job %s (%s) %s%s", claim.job_id, claim.run_id, status,
                 f": {error}" if error else "")
        return Outcome(status, exit_code, error)

    def _cancel_reason(self, claim: Claim) -> str | None:
        from ..repositories.jobs import JobRepository

        state = JobRepository(self.queue.db).queue_state(claim.job_id)
        if state is None or state.cancel_requested_by is None:
            return None
        return f"cancelled by {state.cancel_requested_by}"

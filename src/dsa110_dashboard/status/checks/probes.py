"""One class per kind of check. ``run()`` blocks, may raise, and returns an ``Outcome``;
the monitor times it, bounds it with its timeout and turns exceptions into results.

No shell: systemd units are asked with an argument list, Redis with a raw ``PING`` on a
socket (no client library), HTTP with the standard library.
"""

from __future__ import annotations

import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from ...db.engine import Database
from ...errors import DashboardError
from ...repositories.queue_status import IDLE, PENDING, RUNNING, STALE, QueueStatusRepository
from ...repositories.stats import StatsRepository
from ..lights import FRESH_GREEN_S
from .result import CRITICAL, OK, UNKNOWN, WARNING, Outcome

GB = 1024**3
#: Enough of an HTTP body to find "degraded" in a health answer; the rest is not read.
HTTP_BODY_LIMIT = 64 * 1024
UNIT_NAME = re.compile(r"[A-Za-z0-9@_.:*?\\-]+")


def _age(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


@dataclass
class Check:
    """A configured check: its name (unique), what it looks at, and its timeout."""

    kind: ClassVar[str] = "check"
    name: str
    timeout: float

    @property
    def target(self) -> str:
        return ""

    def run(self) -> Outcome:
        raise NotImplementedError

    def describe(self) -> dict:
        return {"name": self.name, "kind": self.kind, "target": self.target,
                "timeout_s": self.timeout}


@dataclass
class DatabaseCheck(Check):
    """``SELECT 1`` (on SQLite a read of the schema, see ``Database.ping``)."""

    kind: ClassVar[str] = "database"
    db: Database = field(default=None, repr=False)  # type: ignore[assignment]
    shown_as: str = ""

    @property
    def target(self) -> str:
        return self.shown_as or self.db.target.display()

    def run(self) -> Outcome:
        latency = self.db.ping(self.timeout)
        return Outcome(OK, f"{self.db.dialect}, SELECT 1 in {latency * 1000:.1f} ms")


@dataclass
class DiskCheck(Check):
    """Free space on the volume holding ``path``: ok above ``ok_bytes``, warning above
    ``warning_bytes``, else critical."""

    kind: ClassVar[str] = "disk"
    path: Path = field(default=Path("."))
    ok_bytes: int = 5 * GB
    warning_bytes: int = 1 * GB

    @property
    def target(self) -> str:
        return str(self.path)

    def run(self) -> Outcome:
        try:
            usage = shutil.disk_usage(self.path)
        except FileNotFoundError:
            return Outcome(CRITICAL, error=f"{self.path} does not exist")
        detail = f"{usage.free / GB:.1f} GB free of {usage.total / GB:.1f} GB"
        if usage.free > self.ok_bytes:
            return Outcome(OK, detail)
        if usage.free > self.warning_bytes:
            return Outcome(WARNING, detail,
                           f"less than {self.ok_bytes / GB:g} GB free")
        return Outcome(CRITICAL, detail, f"less than {self.warning_bytes / GB:g} GB free")


@dataclass
class HttpCheck(Check):
    """A GET: 2xx is ok unless the body says ``degraded`` (warning); anything else,
    or no answer, is critical."""

    kind: ClassVar[str] = "http"
    url: str = ""

    @property
    def target(self) -> str:
        return self.url

    def run(self) -> Outcome:
        request = urllib.request.Request(self.url, headers={"User-Agent": "dsa110-dash"})
        deadline = time.monotonic() + self.timeout
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                code = answer.status
                body = self._read(answer, deadline)
        except urllib.error.HTTPError as exc:
            return Outcome(CRITICAL, f"HTTP {exc.code}", f"answered HTTP {exc.code} {exc.reason}")
        except urllib.error.URLError as exc:
            reason = exc.reason
            text = getattr(reason, "strerror", None) or str(reason)
            return Outcome(CRITICAL, error=f"no answer: {text}")
        if body is None:
            return Outcome(CRITICAL, f"HTTP {code}",
                           f"timed out after {self.timeout:g} s reading the answer")
        if b"degraded" in body.lower():
            return Outcome(WARNING, f"HTTP {code}", "the service says it is degraded")
        return Outcome(OK, f"HTTP {code}")

    @staticmethod
    def _read(answer, deadline: float) -> bytes | None:  # noqa: ANN001 - an HTTP response
        """Up to HTTP_BODY_LIMIT bytes; None when a slow sender passes the deadline (the
        socket's timeout bounds each read, not the whole body)."""
        body = b""
        while len(body) < HTTP_BODY_LIMIT:
            if time.monotonic() > deadline:
                return None
            chunk = answer.read1(min(4096, HTTP_BODY_LIMIT - len(body)))
            if not chunk:
                break
            body += chunk
        return body


@dataclass
class TcpCheck(Check):
    """Something accepts connections on host:port."""

    kind: ClassVar[str] = "tcp"
    host: str = "127.0.0.1"
    port: int = 0

    @property
    def target(self) -> str:
        return f"{self.host}:{self.port}"

    def run(self) -> Outcome:
        with socket.create_connection((self.host, self.port), timeout=self.timeout):
            return Outcome(OK, "accepts connections")


@dataclass
class RedisCheck(TcpCheck):
    """``PING`` in the Redis protocol on a plain socket; ``+PONG`` is ok."""

    kind: ClassVar[str] = "redis"
    port: int = 6379

    def run(self) -> Outcome:
        with socket.create_connection((self.host, self.port), timeout=self.timeout) as s:
            s.settimeout(self.timeout)
            s.sendall(b"*1\r\n$4\r\nPING\r\n")
            answer = s.recv(256)
        line = answer.split(b"\r\n", 1)[0].decode("ascii", "replace")
        if line == "+PONG":
            return Outcome(OK, "PONG")
        if line.startswith(("-NOAUTH", "-WRONGPASS")):
            return Outcome(WARNING, line[1:], "Redis answers but wants a password")
        if not line:
            return Outcome(CRITICAL, error="Redis closed the connection without an answer")
        return Outcome(CRITICAL, line[:80], f"unexpected answer to PING: {line[:80]}")


@dataclass
class SystemdCheck(Check):
    """``systemctl is-active UNIT`` (an argument list, never a shell); unknown where
    systemctl or systemd is absent."""

    kind: ClassVar[str] = "systemd"
    unit: str = ""
    user: bool = False

    @property
    def target(self) -> str:
        return self.unit + (" (user)" if self.user else "")

    def run(self) -> Outcome:
        systemctl = shutil.which("systemctl")
        if systemctl is None:
            return Outcome(UNKNOWN, error="systemctl is not installed on this host")
        argv = [systemctl, *(["--user"] if self.user else []), "is-active", "--", self.unit]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout,
                              check=False)
        states = done.stdout.split()
        if len(states) > 1:  # a pattern matched several loaded units
            state = "active" if set(states) == {"active"} else next(
                s for s in states if s != "active")
            if state == "active":
                return Outcome(OK, f"{len(states)} units active")
        else:
            state = states[0] if states else ""
        if state == "active":
            return Outcome(OK, state)
        if state in ("activating", "reloading", "deactivating"):
            return Outcome(WARNING, state, f"the unit is {state}")
        if state in ("inactive", "failed"):
            return Outcome(CRITICAL, state, f"the unit is {state}")
        why = (done.stderr or done.stdout).strip().splitlines()
        return Outcome(UNKNOWN, state, why[0][:200] if why else "systemd gave no state")


@dataclass
class WorkersCheck(Check):
    """The job workers' heartbeats: critical when jobs wait and no worker is alive,
    warning when a worker fell silent."""

    kind: ClassVar[str] = "workers"
    db: Database = field(default=None, repr=False)  # type: ignore[assignment]

    @property
    def target(self) -> str:
        return "job workers"

    def run(self) -> Outcome:
        if not self.db.catalog["jobs"].exists:
            return Outcome(UNKNOWN, error="this database has no job queue")
        summary = QueueStatusRepository(self.db).summary()
        live = [w for w in summary.workers if w.state in (IDLE, RUNNING)]
        stale = [w for w in summary.workers if w.state == STALE]
        pending = sum(c.get(PENDING, 0) for c in summary.by_type.values())
        detail = f"{len(live)} alive, {len(stale)} silent, {pending} pending"
        if pending and not live:
            return Outcome(CRITICAL, detail, f"{pending} jobs wait and no worker is alive")
        if stale:
            names = ", ".join(w.name for w in stale[:3])
            return Outcome(WARNING, detail, f"no heartbeat lately from {names}")
        return Outcome(OK, detail)


@dataclass
class QueueCheck(Check):
    """The age of the oldest pending job: warning beyond ``warn_after_s``."""

    kind: ClassVar[str] = "queue"
    db: Database = field(default=None, repr=False)  # type: ignore[assignment]
    warn_after_s: float = 1800.0

    @property
    def target(self) -> str:
        return "oldest pending job"

    def run(self) -> Outcome:
        if not self.db.catalog["jobs"].exists:
            return Outcome(UNKNOWN, error="this database has no job queue")
        oldest = QueueStatusRepository(self.db).summary().oldest_pending_at
        if oldest is None:
            return Outcome(OK, "nothing pending")
        age = max(0.0, time.time() - oldest)
        detail = f"oldest pending job waits {_age(age)}"
        if age > self.warn_after_s:
            return Outcome(WARNING, detail,
                           f"a job has waited more than {_age(self.warn_after_s)}")
        return Outcome(OK, detail)


@dataclass
class FreshnessCheck(Check):
    """The newest image's age: ok while the Overview's light is green, critical (the
    pipeline stalled) beyond ``stalled_after_s``, warning between."""

    kind: ClassVar[str] = "freshness"
    db: Database = field(default=None, repr=False)  # type: ignore[assignment]
    stalled_after_s: float = 3600.0

    @property
    def target(self) -> str:
        return "newest image"

    def run(self) -> Outcome:
        latest = StatsRepository(self.db).freshness().latest_image_created_at
        if latest is None:
            return Outcome(UNKNOWN, error="no image yet")
        age = max(0.0, time.time() - latest)
        detail = f"newest image {_age(age)} old"
        if age > self.stalled_after_s:
            return Outcome(CRITICAL, detail,
                           f"stalled: no image for more than {_age(self.stalled_after_s)}")
        if age >= FRESH_GREEN_S:
            return Outcome(WARNING, detail, f"no image for {_age(age)}")
        return Outcome(OK, detail)


@dataclass
class ThumbnailCacheCheck(Check):
    """The thumbnail cache can be written (decision 0028); thumbnails are still served
    without it, so a failure is a warning."""

    kind: ClassVar[str] = "thumbnail-cache"
    cache: object = field(default=None, repr=False)  # fits.cache.ThumbnailCache

    @property
    def target(self) -> str:
        return str(self.cache.root)  # type: ignore[attr-defined]

    def run(self) -> Outcome:
        problem = self.cache.probe()  # type: ignore[attr-defined]
        if problem is not None:
            return Outcome(WARNING, "not writable", problem)
        return Outcome(OK, "writable")


#: The exceptions a probe is expected to raise; the monitor reports them as critical.
EXPECTED_ERRORS = (OSError, DashboardError, subprocess.SubprocessError, ValueError)

"""The /health page's state: the service checks with their day of history, the caches,
this server process, and clearing a cache (an operator's audited action).

The checks are read from the process's ``HealthMonitor`` (its scheduler runs them; the
page never does, so a hung service never holds the page). ``check`` (in the URL) picks
the check the latency plot shows; empty shows them all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import param

from ..auth.roles import Role, role_of
from ..db.engine import Database
from ..errors import DashboardError, InvalidInputError
from ..jobs.audit import Actor
from ..settings import Settings
from ..status.caches import CACHES, CacheInfo, cache_report, clear_caches
from ..status.checks import CheckResult, HealthMonitor, HistoryPoint
from ..status.process import ProcessInfo, process_info

QUERY_PARAMS = ("check",)


@dataclass(frozen=True)
class HealthSnapshot:
    overall: str
    results: tuple[CheckResult, ...]
    history: dict[str, list[HistoryPoint]]
    caches: tuple[CacheInfo, ...]
    process: ProcessInfo
    read_at: float
    cache_error: str | None = None


class HealthModel(param.Parameterized):
    check = param.String(default="", doc="The check the latency plot shows; empty: all.")
    input_notes = param.List(default=[], doc="URL values that were ignored, and why.")
    snapshot = param.ClassSelector(class_=HealthSnapshot, default=None, allow_None=True)
    #: Why clearing is disabled here (None: enabled).
    clear_blocked = param.String(default=None, allow_None=True)
    action_message = param.String(default=None, allow_None=True)
    action_ok = param.Boolean(default=False)

    def __init__(self, monitor: HealthMonitor, settings: Settings, db: Database, *,
                 sessions: Callable[[], int | None] = lambda: None,
                 identify: Callable[[], str | None] | None = None,
                 role: Role = Role.VIEWER, **params):
        """``identify`` (blocking) names the signed-in user (None with sign-in off) and
        so decides the role; without it the role is ``role``."""
        super().__init__(**params)
        self.monitor = monitor
        self.settings = settings
        self.db = db
        self.sessions = sessions
        self.role = role
        self.user: str | None = None
        self._identify = identify

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.monitor.checks]

    def check_url_value(self, name: str, value: object) -> None:
        """The URL's ``check`` must name a configured check (``sync_to_url``'s check)."""
        if name == "check" and value and value not in self.names:
            raise InvalidInputError(f"check: there is no check named {str(value)[:80]!r}; "
                                    "the latency plot shows every check", parameter="check")

    # ------------------------------------------------------------ loading
    def identify_user(self) -> None:
        """Blocking: who is signed in, and so whether they may clear the caches."""
        if self._identify is not None:
            self.user = self._identify()
            self.role = role_of(self.user, self.settings)
        self.clear_blocked = self.blocked_reason()

    def blocked_reason(self) -> str | None:
        if self.role < Role.OPERATOR:
            return (f"Your role is {self.role.label}: only operators may clear caches "
                    "(DSA110_DASH_ROLES names them).")
        return None

    def fetch(self) -> HealthSnapshot:
        """Blocking: the monitor's latest results and history, the caches, the process."""
        results = tuple(self.monitor.results())
        since = self.monitor.clock() - self.monitor.history_s
        history = {name: self.monitor.history(name, since) for name in self.names}
        cache_error = None
        try:
            caches = tuple(cache_report(self.settings))
        except OSError as exc:  # the cache directory vanished or cannot be listed
            caches, cache_error = (), f"The caches cannot be read: {exc.strerror or exc}"
        return HealthSnapshot(
            overall=self.monitor.overall(), results=results, history=history,
            caches=caches, process=process_info(self.sessions()),
            read_at=self.monitor.clock(), cache_error=cache_error)

    def apply(self, snapshot: HealthSnapshot) -> None:
        self.snapshot = snapshot

    def refresh(self) -> None:
        self.apply(self.fetch())

    # ------------------------------------------------------------ actions
    def actor(self, address: str | None) -> Actor:
        return Actor(name=self.user or "anonymous", address=address, role=self.role.label)

    def clear(self, address: str | None, names: tuple[str, ...] = CACHES) -> None:
        """Blocking: clear ``names`` for this user; the outcome in ``action_message``."""
        try:
            removed = clear_caches(self.settings, self.db, self.actor(address), names)
        except DashboardError as exc:
            self.param.update(action_message=exc.user_message, action_ok=False)
            return
        except OSError as exc:
            self.param.update(action_message=f"The cache could not be cleared: "
                              f"{exc.strerror or exc}", action_ok=False)
            return
        done = ", ".join(f"{name}: {n} entries" for name, n in removed.items())
        self.param.update(action_message=f"Cleared ({done}).", action_ok=True)
        self.refresh()

"""Whether the database answers, checked periodically for the banner on every page."""

from __future__ import annotations

import time

import param

from ..db.engine import Database
from ..errors import DatabaseUnavailableError


class DatabaseStatus(param.Parameterized):
    ok = param.Boolean(default=True, doc="The last check reached the database.")
    message = param.String(default="", doc="Why it did not, for the banner.")
    latency_ms = param.Number(default=None, allow_None=True)
    checked_at = param.Number(default=None, allow_None=True, doc="Unix time of the check.")

    def __init__(self, db: Database, timeout: float, **params):
        super().__init__(**params)
        self.db = db
        self.timeout = timeout

    def probe(self) -> tuple[bool, str, float | None]:
        """Blocking: run it in a worker thread."""
        try:
            latency = self.db.ping(self.timeout)
        except DatabaseUnavailableError as exc:
            return False, exc.user_message, None
        return True, "", latency * 1000

    def apply(self, result: tuple[bool, str, float | None]) -> None:
        ok, message, latency = result
        self.param.update(ok=ok, message=message, latency_ms=latency, checked_at=time.time())

    def check(self) -> None:
        self.apply(self.probe())

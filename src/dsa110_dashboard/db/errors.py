"""Turn driver exceptions into the dashboard's own, so callers catch one hierarchy."""

from __future__ import annotations

import sqlite3

from sqlalchemy import exc as sa_exc

from ..errors import (
    DashboardError,
    DatabaseLockedError,
    DatabaseUnavailableError,
    InvalidInputError,
    ReadOnlyError,
)

_LOCKED = ("database is locked", "database table is locked")
_READ_ONLY = ("attempt to write a readonly database", "read-only transaction",
              "readonly database")
_UNAVAILABLE = ("unable to open database", "connection refused", "could not connect",
                "connection failed", "server closed the connection", "no such host",
                "timeout expired", "disk i/o error", "file is not a database",
                "database disk image is malformed",
                "terminating connection", "connection is closed")


def translate(exc: BaseException, what: str = "the database") -> DashboardError | None:
    """The dashboard error for a driver exception, or None when it is not one we expect."""
    if isinstance(exc, DashboardError):
        return exc
    if not isinstance(exc, (sa_exc.DBAPIError, sqlite3.Error)):
        return None
    text = str(getattr(exc, "orig", None) or exc).lower()
    if any(marker in text for marker in _LOCKED):
        return DatabaseLockedError(
            f"{what} is busy: a pipeline writer held its lock for longer than the "
            "busy timeout. Try again in a moment.")
    if any(marker in text for marker in _READ_ONLY):
        return ReadOnlyError(f"{what} is open read-only; this action needs write access.")
    if any(marker in text for marker in _UNAVAILABLE):
        first_line = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return DatabaseUnavailableError(f"{what} is unavailable: {first_line}")
    if isinstance(exc, sa_exc.IntegrityError):
        from ..errors import ConflictError

        return ConflictError(f"the change conflicts with existing data: {exc.orig}")
    if isinstance(exc, sa_exc.DataError):
        return InvalidInputError(f"a value was not accepted by {what}: {exc.orig}")
    if isinstance(exc, (sa_exc.InterfaceError, sa_exc.OperationalError)):
        first_line = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        return DatabaseUnavailableError(f"{what} is unavailable: {first_line}")
    return None

"""Who asks for an operator action, and the audit row every action leaves.

The page, the API and the command line call the same service functions with an
``Actor``; each function records one ``dash_audit`` row: ``ok`` in the transaction that
does the work, ``refused`` (with the reason the user was shown) or ``error`` in a
transaction of its own, so a refusal is on record even though nothing changed.
"""

from __future__ import annotations

import getpass
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from ..auth.roles import Role
from ..db import features
from ..db.dashboard_schema import dash_audit
from ..db.engine import Database
from ..errors import DashboardError, ForbiddenError, ReadOnlyError

log = logging.getLogger(__name__)

REVISION = "0006_job_queue"
T = TypeVar("T")


@dataclass(frozen=True)
class Actor:
    """Who asks: a signed-in user's name or ``cli:<os user>``, and from which address.

    ``role`` is the signed-in user's or API token's role (a ``Role`` or its label); the
    services check it (``require_role``). None means a local process of ours (the command
    line, a worker, a batch runner): whoever can run it can write the database directly,
    so the database's own permissions are its authority (decision 0047).
    """

    name: str
    address: str | None = None
    role: Role | str | None = None

    @property
    def role_label(self) -> str | None:
        if self.role is None:
            return None
        return self.role.label if isinstance(self.role, Role) else Role.parse(self.role).label

    @classmethod
    def cli(cls) -> Actor:
        try:
            user = getpass.getuser()
        except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER
            user = "unknown"
        return cls(name=f"cli:{user}", address="local")

    @classmethod
    def system(cls, what: str) -> Actor:
        """A process of ours acting by itself (the live demo's simulated pipeline)."""
        return cls(name=f"system:{what}", address="local")


def require_writable(db: Database, action: str) -> None:
    """Operator actions need a writable database that has the queue's tables."""
    if db.read_only:
        raise ReadOnlyError(
            f"{action} needs write access, and {db.target.display()} is open read-only "
            "(DSA110_DASH_READ_ONLY); operator actions are unavailable on it.")
    features.require(db, REVISION, action[:1].upper() + action[1:])


def require_role(actor: Actor, needed: Role, action: str) -> None:
    """Refuse ``action`` (403) to an actor whose role is below ``needed``."""
    if actor.role is None:
        return
    role = actor.role if isinstance(actor.role, Role) else Role.parse(actor.role)
    if role < needed:
        raise ForbiddenError(f"{action} needs the {needed.label} role; {actor.name} is "
                             f"a {role.label}")


def audit_writable(db: Database) -> bool:
    """Whether audit rows can be written to ``db`` (writable and upgraded)."""
    return not db.read_only and db.catalog.has_table("dash_audit")


def record(conn: sa.Connection, actor: Actor, action: str, target_kind: str | None,
           target_id: Any, result: str, reason: str | None = None,
           detail: dict | None = None, at: float | None = None) -> None:
    conn.execute(sa.insert(dash_audit).values(
        at=time.time() if at is None else at, actor=actor.name, address=actor.address,
        role=actor.role_label, action=action, target_kind=target_kind,
        target_id=None if target_id is None else str(target_id), result=result,
        reason=reason, detail=json.dumps(detail, default=str) if detail else None))


def audited(db: Database, actor: Actor, action: str, target_kind: str | None,
            target_id: Any, work: Callable[[Callable[..., None]], T]) -> T:
    """Run ``work(ok)``; ``work`` calls ``ok(conn, target_id=..., detail=...)`` inside
    the transaction that commits its change. A DashboardError (refusal: bad input,
    conflict, not found) is recorded as ``refused`` and raised; anything else as
    ``error`` and raised."""
    done = False

    def ok(conn: sa.Connection, *, target_id: Any = target_id,
           detail: dict | None = None) -> None:
        nonlocal done
        record(conn, actor, action, target_kind, target_id, "ok", detail=detail)
        done = True

    try:
        return work(ok)
    except DashboardError as exc:
        if not done:
            _record_alone(db, actor, action, target_kind, target_id, "refused",
                          exc.user_message)
        raise
    except Exception as exc:
        if not done:
            _record_alone(db, actor, action, target_kind, target_id, "error",
                          f"{type(exc).__name__}: {exc}")
        raise


def _record_alone(db: Database, actor: Actor, action: str, target_kind: str | None,
                  target_id: Any, result: str, reason: str) -> None:
    if not audit_writable(db):
        log.warning("%s by %s from %s %s (not in the audit table: read-only database or "
                    "not upgraded): %s", action, actor.name, actor.address, result, reason)
        return
    try:
        with db.transaction() as conn:
            record(conn, actor, action, target_kind, target_id, result, reason)
    except DashboardError as exc:  # the database itself is the problem; say so in the log
        log.warning("could not record %s %s by %s in the audit table: %s", action,
                    result, actor.name, exc.user_message)


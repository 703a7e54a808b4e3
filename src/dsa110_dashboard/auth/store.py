"""Sign-in sessions and failed sign-ins, kept in the sign-in store (decision 0025).

A session is a random token handed to the browser in a signed cookie. The store keeps
only the token's SHA-256 with the user's name, where and when they signed in, when it
expires and whether it was revoked, so a copy of the store opens no session and a
sign-out ends the session in every server process at once. Failed sign-ins are counted
here too, per client address and per user name, so every process (and a restart) sees
the same count.

The store is a database of the dashboard's own (``DSA110_DASH_AUTH_DB``): a SQLite file
beside the data, or a PostgreSQL database shared by several hosts. Its tables are made
by ``prepare`` before the server forks; API tokens (``tokens``) live here too. Knows
no Panel and no Tornado.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from ..db.engine import Database
from ..db.target import parse_database
from ..settings import Settings

metadata = sa.MetaData()

sessions = sa.Table(
    "dash_sessions", metadata,
    sa.Column("token_sha256", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(256), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float),
    sa.Column("address", sa.String(64)),
    sa.Column("user_agent", sa.String(256)),
    sa.Index("ix_dash_sessions_expires_at", "expires_at"),
)

failures = sa.Table(
    "dash_sign_in_failures", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("user_name", sa.String(256), nullable=False),
    sa.Index("ix_dash_sign_in_failures_address", "address", "at"),
    sa.Index("ix_dash_sign_in_failures_user_name", "user_name", "at"),
)

_NAME_CHARS = 256
_AGENT_CHARS = 256


@dataclass(frozen=True)
class Session:
    """A valid sign-in: who, from where, since and until when (Unix seconds)."""

    user: str
    address: str | None
    created_at: float
    expires_at: float


def store_database(settings: Settings) -> Database:
    """The sign-in store (``DSA110_DASH_AUTH_DB``): sessions, failed sign-ins, API tokens."""
    target = parse_database(settings.effective_auth_db, "DSA110_DASH_AUTH_DB",
                            read_only=False)
    # Our own store, never the pipeline's: always writable whatever READ_ONLY says.
    return Database(dataclasses.replace(settings, read_only=False), target)


def prepare_store(db: Database) -> None:
    """Create the store's file and tables if they are missing (idempotent)."""
    from . import tokens  # noqa: F401 - its table joins this metadata

    db.create_missing_file()
    with db.transaction() as conn:
        metadata.create_all(conn, checkfirst=True)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class SessionStore:
    """Sessions and failed sign-ins; every method is blocking (call it off the event loop)."""

    def __init__(self, db: Database, *, lifetime_s: float, max_failures: int,
                 window_s: float, clock: Callable[[], float] = time.time):
        self.db = db
        self.lifetime_s = lifetime_s
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock

    @classmethod
    def for_settings(cls, settings: Settings) -> SessionStore:
        return cls(store_database(settings), lifetime_s=settings.session_hours * 3600.0,
                   max_failures=settings.sign_in_max_failures,
                   window_s=settings.sign_in_window_seconds)

    def prepare(self) -> None:
        prepare_store(self.db)

    # ------------------------------------------------------------------ sessions
    def open(self, user: str, address: str | None, user_agent: str | None = None) -> str:
        """A new session for ``user``; returns the token for the cookie."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.db.transaction() as conn:
            conn.execute(sessions.delete().where(sessions.c.expires_at < now))
            conn.execute(sessions.insert().values(
                token_sha256=_digest(token), user_name=user[:_NAME_CHARS], created_at=now,
                expires_at=now + self.lifetime_s, address=address,
                user_agent=(user_agent or "")[:_AGENT_CHARS] or None))
            conn.execute(failures.delete().where(failures.c.user_name == user[:_NAME_CHARS]))
        return token

    def session(self, token: str) -> Session | None:
        """The session of ``token`` while it is neither expired nor revoked."""
        query = (sa.select(sessions.c.user_name, sessions.c.address, sessions.c.created_at,
                           sessions.c.expires_at)
                 .where(sessions.c.token_sha256 == _digest(token),
                        sessions.c.revoked_at.is_(None),
                        sessions.c.expires_at > self.clock()))
        with self.db.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else Session(*row)

    def revoke(self, token: str) -> None:
        """End the session of ``token`` (signing out); unknown tokens are ignored."""
        with self.db.transaction() as conn:
            conn.execute(sessions.update()
                         .where(sessions.c.token_sha256 == _digest(token),
                                sessions.c.revoked_at.is_(None))
                         .values(revoked_at=self.clock()))

    def revoke_user(self, user: str) -> int:
        """End every open session of ``user`` (removed from the users file); how many."""
        with self.db.transaction() as conn:
            return conn.execute(sessions.update()
                                .where(sessions.c.user_name == user[:_NAME_CHARS],
                                       sessions.c.revoked_at.is_(None))
                                .values(revoked_at=self.clock())).rowcount

    # ----------------------------------------------------------- failed sign-ins
    def record_failure(self, address: str, user: str) -> None:
        now = self.clock()
        with self.db.transaction() as conn:
            conn.execute(failures.delete().where(failures.c.at < now - self.window_s))
            conn.execute(failures.insert().values(at=now, address=address,
                                                  user_name=user[:_NAME_CHARS]))

    def retry_after(self, address: str, user: str) -> float | None:
        """Seconds until this address and user name may try again; None when they may now.

        Each is allowed ``max_failures`` failures within the window; the wait ends when
        the oldest failure that counts leaves the window.
        """
        now = self.clock()
        since = now - self.window_s
        waits = []
        with self.db.connect() as conn:
            for column, value in ((failures.c.address, address),
                                  (failures.c.user_name, user[:_NAME_CHARS])):
                recent = conn.execute(
                    sa.select(failures.c.at).where(column == value, failures.c.at > since)
                    .order_by(failures.c.at.desc()).limit(self.max_failures)).scalars().all()
                if len(recent) >= self.max_failures:
                    waits.append(recent[-1] + self.window_s - now)
        return max(waits) if waits else None

    def dispose(self) -> None:
        self.db.dispose()

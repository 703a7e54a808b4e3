"""API tokens for scripts (decision 0046): ``Authorization: Bearer <token>``.

A token is 32 random bytes shown once when it is made (``dsa110-dash tokens create``);
the sign-in store keeps only its SHA-256 beside the sessions (a high-entropy secret needs
no slow hash: nobody can guess one to match), with a name, a role, who made it and when,
when it was last used and whether it was revoked. Revoking takes effect at the next
request in every process, since each request asks the store. Knows no Panel and no
Tornado; every method is blocking.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa

from ..db.engine import Database
from ..errors import ConflictError, InvalidInputError, NotFoundError
from .roles import Role
from .store import metadata

PREFIX = "dsa110_"
#: How stale ``last_used_at`` may get before a request writes it again: a script that
#: calls every second must not turn every read into a write.
LAST_USED_RESOLUTION_S = 60.0
_NAME_CHARS = 64

tokens = sa.Table(
    "dash_api_tokens", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(_NAME_CHARS), nullable=False),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("created_by", sa.String(256)),
    sa.Column("last_used_at", sa.Float),
    sa.Column("revoked_at", sa.Float),
    sa.Column("revoked_by", sa.String(256)),
    sa.Index("ix_dash_api_tokens_name", "name"),
)


@dataclass(frozen=True)
class TokenInfo:
    name: str
    role: str
    created_at: float
    created_by: str | None
    last_used_at: float | None
    revoked_at: float | None
    revoked_by: str | None


@dataclass(frozen=True)
class TokenHolder:
    """Who a valid token speaks for."""

    name: str
    role: Role


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    if not (1 <= len(name) <= _NAME_CHARS
            and all(c.isalnum() or c in "-_.@" for c in name)):
        raise InvalidInputError(f"{name[:80]!r} is not a token name: 1 to {_NAME_CHARS} "
                                "letters, digits and - _ . @", parameter="name")
    return name


class TokenStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time):
        self.db = db
        self.clock = clock

    def create(self, name: str, role: Role, created_by: str) -> str:
        """A new token named ``name``; returns the token itself (shown once, never
        stored). A name is unique among the tokens not revoked."""
        check_name(name)
        token = PREFIX + secrets.token_urlsafe(32)
        with self.db.transaction() as conn:
            if conn.execute(sa.select(tokens.c.id).where(
                    tokens.c.name == name, tokens.c.revoked_at.is_(None))).first():
                raise ConflictError(f"a token named {name} exists; revoke it first or "
                                    "choose another name")
            conn.execute(tokens.insert().values(
                name=name, token_sha256=digest(token), role=role.label,
                created_at=self.clock(), created_by=created_by[:256]))
        return token

    def revoke(self, name: str, revoked_by: str) -> None:
        with self.db.transaction() as conn:
            done = conn.execute(tokens.update().where(
                tokens.c.name == name, tokens.c.revoked_at.is_(None))
                .values(revoked_at=self.clock(), revoked_by=revoked_by[:256])).rowcount
        if not done:
            raise NotFoundError(f"no token named {name} that is not revoked already")

    def list(self) -> list[TokenInfo]:
        stmt = sa.select(*(tokens.c[f] for f in TokenInfo.__dataclass_fields__)).order_by(
            tokens.c.created_at, tokens.c.id)
        with self.db.connect() as conn:
            return [TokenInfo(*row) for row in conn.execute(stmt)]

    def holder(self, token: str) -> TokenHolder | None:
        """Who ``token`` speaks for while it is not revoked; None for any other string."""
        if not token.startswith(PREFIX):
            return None
        key = digest(token)
        with self.db.connect() as conn:
            row = conn.execute(sa.select(tokens.c.name, tokens.c.role, tokens.c.last_used_at)
                               .where(tokens.c.token_sha256 == key,
                                      tokens.c.revoked_at.is_(None))).first()
        if row is None:
            return None
        now = self.clock()
        if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION_S:
            with self.db.transaction() as conn:
                conn.execute(tokens.update().where(tokens.c.token_sha256 == key)
                             .values(last_used_at=now))
        return TokenHolder(row.name, Role.parse(row.role))

"""The audit trail of operator actions (``dash_audit``), newest first."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..db.engine import Database
from .records import parse_json, record_from


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: float
    actor: str
    address: str | None
    role: str | None
    action: str
    target_kind: str | None
    target_id: str | None
    result: str             # ok, refused, error
    reason: str | None
    detail: Any


class AuditRepository:
    def __init__(self, db: Database):
        self.db = db

    def entries(self, target_kind: str | None = None, target_id: Any = None,
                limit: int = 200, *, aliases: Iterable[Any] = ()) -> list[AuditEntry]:
        """Entries about one target (or all), newest first; empty without the table.

        ``aliases`` are the target's other names: an action refused before its reference
        was resolved (a job asked for by run id) is recorded under the name it was asked
        by, so a job's trail looks under its numeric id and its run id alike."""
        a = self.db.catalog["dash_audit"]
        if not a.exists:
            return []
        stmt = sa.select(*a.columns()).select_from(a.table)
        if target_kind is not None:
            stmt = stmt.where(a["target_kind"] == target_kind)
        if target_id is not None:
            names = {str(target_id), *(str(x) for x in aliases if x is not None)}
            stmt = stmt.where(a["target_id"].in_(sorted(names)))
        stmt = stmt.order_by(a["at"].desc(), a["id"].desc()).limit(limit)
        with self.db.connect() as conn:
            return [record_from(AuditEntry, r, detail=parse_json(r["detail"])[0])
                    for r in conn.execute(stmt).mappings()]

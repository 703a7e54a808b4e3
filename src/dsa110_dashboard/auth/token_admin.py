"""Making and revoking API tokens as audited admin actions (decision 0046).

The token lives in the sign-in store; its audit row goes to the pipeline database's
``dash_audit`` beside every other operator action: the store changes inside the audit
row's transaction, so a refused change leaves a "refused" row, never an "ok" one. On a read-only or not upgraded pipeline database tokens still work (that is why they
live in the store) and the action is logged instead.
"""

from __future__ import annotations

import logging

from ..db.engine import Database
from ..jobs.audit import Actor, audit_writable, audited, require_role
from .roles import Role
from .tokens import TokenStore, check_name

log = logging.getLogger(__name__)


class TokenAdmin:
    def __init__(self, store: TokenStore, audit_db: Database):
        self.store = store
        self.audit_db = audit_db

    def create(self, actor: Actor, name: str, role: Role) -> str:
        """The new token (shown once)."""
        def work(ok) -> str:
            require_role(actor, Role.ADMIN, "creating an API token")
            check_name(name)
            return self._audited_change(actor, "token_create", name, ok,
                                        lambda: self.store.create(name, role, actor.name),
                                        {"role": role.label})

        return audited(self.audit_db, actor, "token_create", "token", name, work)

    def revoke(self, actor: Actor, name: str) -> None:
        def work(ok) -> None:
            require_role(actor, Role.ADMIN, "revoking an API token")
            self._audited_change(actor, "token_revoke", name, ok,
                                 lambda: self.store.revoke(name, actor.name), None)

        audited(self.audit_db, actor, "token_revoke", "token", name, work)

    def _audited_change(self, actor: Actor, action: str, name: str, ok, change, detail):
        if not audit_writable(self.audit_db):
            result = change()
            log.warning("%s %s by %s from %s: not in the audit table (the pipeline database "
                        "is read-only or not upgraded)", action, name, actor.name,
                        actor.address)
            return result
        with self.audit_db.transaction() as conn:
            result = change()  # a refusal raises before "ok" and is recorded as refused
            ok(conn, detail=detail)
        return result

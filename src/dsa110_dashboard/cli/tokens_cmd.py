"""``dsa110-dash tokens create|list|revoke``: API tokens for scripts (decision 0046).

The token is printed once, alone on standard output (``TOKEN=$(dsa110-dash tokens create
ci --role operator)``); only its hash is kept, in the sign-in store. The actor is
``cli:<os user>`` with the admin role: whoever can run this can write the store.
"""

from __future__ import annotations

import argparse
import sys

from ..settings import ROLE_NAMES, Settings
from .actions import action_group
from .listing import utc


def register(sub: argparse._SubParsersAction) -> None:
    inner = action_group(
        sub, "tokens", help="API tokens for scripts (Authorization: Bearer)",
        description="Tokens let scripts call the JSON API as NAME with a role. They live "
                    "in the sign-in store (DSA110_DASH_AUTH_DB); making and revoking one "
                    "is recorded in the audit table.")
    create = inner.add_parser("create", help="make a token and print it once",
                              description="Print a new token for NAME once; only its hash "
                                          "is stored, so keep it now.")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--role", choices=ROLE_NAMES, default="viewer",
                        help="what the token may do (default viewer)")
    create.set_defaults(handler=_create)
    ls = inner.add_parser("list", help="every token: name, role, created, last used, revoked")
    ls.set_defaults(handler=_list)
    revoke = inner.add_parser("revoke", help="revoke a token; it stops working at once")
    revoke.add_argument("name", metavar="NAME")
    revoke.set_defaults(handler=_revoke)


def _admin(settings: Settings):
    from ..auth.store import prepare_store, store_database
    from ..auth.token_admin import TokenAdmin
    from ..auth.tokens import TokenStore
    from ..db.engine import Database

    if settings.auth_db_file is not None:  # the first token may come before any server
        settings.auth_db_file.parent.mkdir(parents=True, exist_ok=True)
    store_db = store_database(settings)
    prepare_store(store_db)
    return TokenAdmin(TokenStore(store_db), Database(settings))


def _cli_admin():
    from ..auth.roles import Role
    from ..jobs.audit import Actor

    actor = Actor.cli()
    return Actor(actor.name, actor.address, Role.ADMIN)


def _dispose(admin) -> None:
    admin.store.db.dispose()
    admin.audit_db.dispose()


def _create(args: argparse.Namespace, settings: Settings) -> int:
    from ..auth.roles import Role

    admin = _admin(settings)
    try:
        token = admin.create(_cli_admin(), args.name, Role.parse(args.role))
    finally:
        _dispose(admin)
    print(token)
    print(f"token {args.name} ({args.role}) made; this is the only time it is shown. "
          "Send it as 'Authorization: Bearer <token>'.", file=sys.stderr)
    return 0


def _list(args: argparse.Namespace, settings: Settings) -> int:
    admin = _admin(settings)
    try:
        rows = admin.store.list()
    finally:
        _dispose(admin)
    print(f"{'name':<24} {'role':<9} {'created':<19}  {'by':<16} {'last used':<19}  revoked")
    for t in rows:
        revoked = f"{utc(t.revoked_at)} by {t.revoked_by}" if t.revoked_at else "-"
        print(f"{t.name:<24} {t.role:<9} {utc(t.created_at):<19}  {t.created_by or '-':<16} "
              f"{utc(t.last_used_at):<19}  {revoked}")
    print(f"{len(rows)} token(s)", file=sys.stderr)
    return 0


def _revoke(args: argparse.Namespace, settings: Settings) -> int:
    admin = _admin(settings)
    try:
        admin.revoke(_cli_admin(), args.name)
    finally:
        _dispose(admin)
    print(f"token {args.name} revoked; it stops working at its next request")
    return 0

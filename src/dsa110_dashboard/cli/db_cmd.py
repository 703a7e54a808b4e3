"""``dsa110-dash db upgrade|current|downgrade|check``."""

from __future__ import annotations

import argparse
import dataclasses

from ..db import migrate
from ..db.engine import Database
from ..settings import Settings
from .actions import action_group


def register(sub: argparse._SubParsersAction) -> None:
    inner = action_group(
        sub, "db", help="upgrade, inspect or check the database schema",
        description="Manage the dashboard's additions to a pipeline database. The "
                    "dashboard never migrates a database by itself.")

    up = inner.add_parser(
        "upgrade", help="create missing pipeline tables and add the dashboard's additions",
        description="Bring the database to a revision (default: head). On a pipeline "
                    "database this only adds tables and indexes; it never drops or alters "
                    "a pipeline column, and running it twice changes nothing.")
    up.add_argument("revision", nargs="?", default="head")
    up.set_defaults(handler=_upgrade)

    cur = inner.add_parser("current", help="print the database's revision",
                           description="Print the dashboard revision the database is at.")
    cur.set_defaults(handler=_current)

    down = inner.add_parser(
        "downgrade", help="remove the dashboard's additions down to a revision",
        description="Undo dashboard revisions down to REVISION ('base' for all). The "
                    "pipeline's own tables are never dropped.")
    down.add_argument("revision")
    down.set_defaults(handler=_downgrade)

    chk = inner.add_parser(
        "check", help="report whether this is a pipeline database, its layout and revision",
        description="Report whether the database is a pipeline database, which layout, "
                    "which revision, and what is missing. Exit status: 0 up to date, "
                    "1 unreachable or not a pipeline database, 3 upgrade pending.")
    chk.set_defaults(handler=_check)


def _writable(settings: Settings) -> Database:
    if settings.read_only is None:
        settings = dataclasses.replace(settings, read_only=False)
    return Database(settings)


def _upgrade(args: argparse.Namespace, settings: Settings) -> int:
    db = _writable(settings)
    db.create_missing_file()
    before = migrate.current_revision(db)
    migrate.upgrade(db, args.revision)
    after = migrate.current_revision(db)
    change = "already at" if before == after else f"upgraded from {before or 'none'} to"
    print(f"{db.target.display()}: {change} {after}")
    return 0


def _current(args: argparse.Namespace, settings: Settings) -> int:
    db = Database(settings)
    print(migrate.current_revision(db) or "none")
    return 0


def _downgrade(args: argparse.Namespace, settings: Settings) -> int:
    db = _writable(settings)
    migrate.downgrade(db, args.revision)
    print(f"{db.target.display()}: now at {migrate.current_revision(db) or 'none'}")
    return 0


def _check(args: argparse.Namespace, settings: Settings) -> int:
    report = migrate.check(Database(settings))
    print("\n".join(report.lines()))
    return report.exit_code

"""Run and inspect the dashboard's Alembic revisions on a ``Database``.

The dashboard never calls ``upgrade`` by itself: only ``dsa110-dash db upgrade`` (and the
demo generator, on its own new database) does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from ..errors import ReadOnlyError
from .engine import Database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def all_revisions() -> list[str]:
    """Revision ids from base to head."""
    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def current_revision(db: Database) -> str | None:
    with db.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _run(db: Database, fn, *args) -> None:
    if db.read_only:
        raise ReadOnlyError(
            f"{db.target.display()} is open read-only; set DSA110_DASH_READ_ONLY=false "
            "to migrate it")
    db.create_missing_file()  # the one place a new database file is made
    config = alembic_config()
    # A migration may build an index over a year of photometry.
    with db.maintenance_transaction() as conn:
        config.attributes["connection"] = conn
        fn(config, *args)
    db.refresh_catalog()


def upgrade(db: Database, revision: str = "head") -> None:
    _run(db, command.upgrade, revision)


def downgrade(db: Database, revision: str) -> None:
    _run(db, command.downgrade, revision)


@dataclass
class CheckReport:
    """What ``db check`` finds in a database."""

    target: str
    reachable: bool
    error: str | None = None
    is_pipeline: bool = False
    layout: str | None = None
    revision: str | None = None
    head: str = field(default_factory=head_revision)
    pending: list[str] = field(default_factory=list)
    missing_tables: list[str] = field(default_factory=list)
    missing_columns: dict[str, list[str]] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)

    @property
    def up_to_date(self) -> bool:
        return self.revision == self.head

    @property
    def exit_code(self) -> int:
        if not self.reachable or not self.is_pipeline:
            return 1
        return 0 if self.up_to_date else 3

    def lines(self) -> list[str]:
        out = [f"database:   {self.target}"]
        if not self.reachable:
            return out + [f"status:     UNREACHABLE: {self.error}"]
        out.append("pipeline:   " + ("yes" if self.is_pipeline else
                                     "NO (no ms_index/images/photometry tables)"))
        out.append(f"layout:     {self.layout}")
        rev = self.revision or "none (never upgraded by the dashboard)"
        out.append(f"revision:   {rev}  (head {self.head})")
        if self.pending:
            out.append("pending:    " + ", ".join(self.pending)
                       + "  -> run `dsa110-dash db upgrade`")
        else:
            out.append("pending:    none")
        if self.missing_tables:
            out.append("missing tables (read as empty): " + ", ".join(self.missing_tables))
        for table, cols in self.missing_columns.items():
            out.append(f"missing columns in {table} (read as NULL): " + ", ".join(cols))
        if self.row_counts:
            out.append("rows:       " + ", ".join(f"{k}={v}" for k, v in
                                                 self.row_counts.items()))
        return out


def check(db: Database) -> CheckReport:
    import sqlalchemy as sa

    from ..errors import DatabaseUnavailableError
    from .schema import CORE_TABLES, PIPELINE_TABLES

    report = CheckReport(target=db.describe(), reachable=True)
    try:
        catalog = db.refresh_catalog()
        report.revision = current_revision(db)
        with db.connect() as conn:
            for name in CORE_TABLES:
                if catalog.has_table(name):
                    view = catalog[name]
                    report.row_counts[name] = conn.execute(
                        sa.select(sa.func.count()).select_from(view.table)).scalar_one()
    except DatabaseUnavailableError as exc:
        report.reachable = False
        report.error = exc.user_message
        return report
    report.is_pipeline = all(catalog.has_table(t) for t in CORE_TABLES)
    if db.dialect == "postgresql":
        report.layout = "postgresql"
    elif catalog.attached:
        report.layout = "older two-file (products + attached cal_registry)"
    elif catalog.has_table("caltables"):
        report.layout = "unified (one file)"
    else:
        report.layout = "products only (no cal registry: calibration tables read as empty)"
    report.missing_tables = [t for t in PIPELINE_TABLES if not catalog.has_table(t)]
    report.missing_columns = {
        name: catalog[name].missing_columns for name in PIPELINE_TABLES
        if catalog.has_table(name) and catalog[name].missing_columns}
    revisions = all_revisions()
    done = revisions.index(report.revision) + 1 if report.revision in revisions else 0
    report.pending = revisions[done:]
    return report

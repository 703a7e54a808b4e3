"""What this particular database holds: tables, their real names, and their columns.

Production databases differ from our schema (older files lack columns, a table may carry
an older name, the cal registry may sit in an attached file). The catalog is read once
per engine and gives the repositories table views in which a missing column reads as a
typed NULL, so one query serves every vintage.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema
from .dashboard_schema import dashboard_metadata

SQLITE_ATTACHED_SCHEMA = "cal_registry"


@dataclass
class TableView:
    """One canonical table as this database has it."""

    name: str
    definition: sa.Table
    actual_name: str | None = None
    schema: str | None = None
    present: frozenset[str] = frozenset()
    table: sa.Table | None = None
    _nulls: dict[str, sa.ColumnElement] = field(default_factory=dict)

    @property
    def exists(self) -> bool:
        return self.table is not None

    def has(self, column: str) -> bool:
        return column in self.present

    def __getitem__(self, column: str) -> sa.ColumnElement:
        """The column, or a NULL of its declared type when this database lacks it."""
        if column in self.present:
            return self.table.c[column]
        if column not in self.definition.c:
            raise KeyError(f"{self.name} has no column {column!r}")
        if column not in self._nulls:
            declared = self.definition.c[column].type
            # A CAST, not type_coerce: PostgreSQL must be told the NULL's type, or it
            # sends it as text and the driver cannot read it back as a number.
            self._nulls[column] = sa.cast(sa.null(), declared)
        return self._nulls[column]

    def col(self, column: str) -> sa.ColumnElement:
        """The column labelled with its name, for select lists."""
        return self[column].label(column)

    def columns(self, *names: str) -> list[sa.ColumnElement]:
        names = names or tuple(self.definition.c.keys())
        return [self.col(n) for n in names]

    @property
    def missing_columns(self) -> list[str]:
        return [c for c in self.definition.c.keys() if c not in self.present]


class Catalog:
    """Tables and columns of one database, read once."""

    def __init__(self, views: dict[str, TableView], all_tables: set[str],
                 dialect: str, attached: bool):
        self._views = views
        self.all_tables = all_tables
        self.dialect = dialect
        self.attached = attached

    def __getitem__(self, name: str) -> TableView:
        return self._views[name]

    def has_table(self, name: str) -> bool:
        return name in self._views and self._views[name].exists

    @property
    def views(self) -> dict[str, TableView]:
        return dict(self._views)

    @classmethod
    def read(cls, conn: Connection) -> Catalog:
        inspector = sa.inspect(conn)
        dialect = conn.dialect.name
        schemas: list[str | None] = [None]
        if dialect == "sqlite":
            attached = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
            schemas += [s for s in attached if s == SQLITE_ATTACHED_SCHEMA]
        found: dict[str, str | None] = {}
        for schema_name in schemas:
            for table_name in inspector.get_table_names(schema=schema_name):
                found.setdefault(table_name, schema_name)

        own = sa.MetaData()
        views: dict[str, TableView] = {}
        definitions = list(schema.metadata.tables.values()) + list(
            dashboard_metadata.tables.values())
        for definition in definitions:
            name = definition.name
            candidates = (name, *schema.TABLE_ALIASES.get(name, ()))
            actual = next((c for c in candidates if c in found), None)
            view = TableView(name=name, definition=definition)
            if actual is not None:
                table_schema = found[actual]
                present = {c["name"] for c in inspector.get_columns(actual, schema=table_schema)}
                known = [c for c in definition.c if c.name in present]
                # Attached SQLite tables are reached unqualified, so queries stay the same.
                query_schema = table_schema if dialect != "sqlite" else None
                view.actual_name = actual
                view.schema = table_schema
                view.present = frozenset(present)
                view.table = sa.Table(
                    actual, own, *(sa.Column(c.name, c.type, primary_key=c.primary_key,
                                             nullable=c.nullable) for c in known),
                    schema=query_schema)
            views[name] = view
        return cls(views, set(found), dialect,
                   attached=any(s is not None for s in found.values()))

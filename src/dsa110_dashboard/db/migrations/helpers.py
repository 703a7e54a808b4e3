"""Additive DDL for revisions that must work on any vintage of pipeline database."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ..catalog import SQLITE_ATTACHED_SCHEMA


def _schemas(conn: Connection) -> list[str | None]:
    if conn.dialect.name != "sqlite":
        return [None]
    names = [row[1] for row in conn.exec_driver_sql("PRAGMA database_list")]
    return [None] + [n for n in names if n == SQLITE_ATTACHED_SCHEMA]


def _locate(conn: Connection, table: str) -> tuple[bool, str | None]:
    inspector = sa.inspect(conn)
    for schema in _schemas(conn):
        if table in inspector.get_table_names(schema=schema):
            return True, schema
    return False, None


def create_missing_tables(conn: Connection, tables: Iterable[sa.Table]) -> set[str]:
    """Create each table no schema of this database has yet; return those created."""
    from ..schema import TABLE_ALIASES

    created = set()
    for table in tables:
        names = (table.name, *TABLE_ALIASES.get(table.name, ()))
        if any(_locate(conn, name)[0] for name in names):
            continue
        table.create(conn, checkfirst=False)
        created.add(table.name)
    return created


def create_missing_indexes(conn: Connection,
                           indexes: Iterable[tuple[str, str, tuple[str, ...]]]) -> None:
    """Create each (name, table, columns) index unless the table lacks a column or an
    index on the same leading columns exists already (under any name)."""
    for name, table, columns in indexes:
        exists, schema = _locate(conn, table)
        if not exists:
            continue
        inspector = sa.inspect(conn)
        present = {c["name"] for c in inspector.get_columns(table, schema=schema)}
        if not set(columns) <= present:
            continue
        existing = inspector.get_indexes(table, schema=schema)
        if any(ix["name"] == name or tuple(ix["column_names"][:len(columns)]) == columns
               for ix in existing):
            continue
        qualified = f"{schema}.{name}" if schema else name
        cols = ", ".join(columns)
        conn.exec_driver_sql(f"CREATE INDEX {qualified} ON {table} ({cols})")


def drop_indexes(conn: Connection, names: Iterable[str]) -> None:
    for name in names:
        for schema in _schemas(conn):
            qualified = f"{schema}.{name}" if schema else name
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {qualified}")

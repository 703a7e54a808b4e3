"""Bulk writers: the fastest ordinary way each backend takes millions of rows.

SQLite: ``executemany`` with plain tuples through the DBAPI, one transaction per batch
(a NaN float binds as NULL). PostgreSQL: psycopg 3 ``COPY ... FROM STDIN`` in CSV, an
order of magnitude faster than INSERT. Both take column arrays, so the generator never
builds per-row Python dicts.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
import psycopg
import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database

Columns = Mapping[str, Sequence | np.ndarray]


def _as_list(values) -> list:
    return values.tolist() if isinstance(values, np.ndarray) else list(values)


class BulkWriter:
    """Holds one raw DBAPI connection for the whole fill."""

    def __init__(self, db: Database):
        self.db = db
        self.dialect = db.dialect
        self._raw = db.engine.raw_connection()
        self.conn = self._raw.driver_connection
        if self.dialect == "sqlite":
            # Our own new file (fill refuses a non-empty database): durability of each
            # batch does not matter, a failed fill is thrown away.
            self.conn.execute("PRAGMA synchronous = OFF")
            self.conn.execute("PRAGMA cache_size = -262144")  # 256 MB
        else:
            # Same reasoning: don't wait for the WAL flush at each batch's commit.
            self.conn.execute("SET synchronous_commit = off")
            # Index builds, VACUUM and big COPYs are deliberate bulk work: the
            # interactive statement timeout would stop them at one year of data.
            # Session-wide (VACUUM runs outside a transaction, so SET LOCAL can't).
            self.conn.execute("SET statement_timeout = 0")
            self.conn.commit()

    def close(self) -> None:
        if self.dialect == "sqlite":
            self.conn.execute("PRAGMA synchronous = NORMAL")
        else:
            # The connection goes back to the pool: back to the engine's settings
            # (RESET restores the values the connection was opened with).
            try:
                self.conn.rollback()
                self.conn.execute("RESET statement_timeout")
                self.conn.execute("RESET synchronous_commit")
                self.conn.commit()
            except psycopg.Error:
                # A broken connection must not return to the pool without its timeout.
                self._raw.invalidate()
        self._raw.close()

    # ------------------------------------------------------------------ writes
    def write(self, table: str, columns: Columns) -> int:
        """Insert the rows given column-wise; one transaction. Returns the row count."""
        names = list(columns)
        if not names:
            return 0
        n = len(columns[names[0]])
        if n == 0:
            return 0
        if self.dialect == "sqlite":
            rows = list(zip(*(_as_list(columns[c]) for c in names), strict=True))
            marks = ", ".join("?" * len(names))
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})"
            self.conn.execute("BEGIN")
            self.conn.executemany(sql, rows)
            self.conn.execute("COMMIT")
        else:
            frame = pd.DataFrame({c: columns[c] for c in names})
            buf = io.StringIO()
            # Empty unquoted field = NULL in COPY's CSV; floats are written in full
            # (shortest round-trip repr), so an MJD survives exactly.
            frame.to_csv(buf, index=False, header=False, na_rep="")
            with self.conn.cursor() as cur:
                with cur.copy(f"COPY {table} ({', '.join(names)}) FROM STDIN "
                              "(FORMAT csv)") as copy:
                    copy.write(buf.getvalue())
            self.conn.commit()
        return n

    def execute(self, sql: str) -> None:
        """DDL or maintenance outside a transaction (VACUUM/ANALYZE need that)."""
        if self.dialect == "sqlite":
            self.conn.execute(sql)
        else:
            self.conn.commit()
            previous = self.conn.autocommit
            self.conn.autocommit = True
            try:
                self.conn.execute(sql)
            finally:
                self.conn.autocommit = previous

    def scalar(self, sql: str):
        cur = self.conn.execute(sql)
        value = cur.fetchone()[0]
        if self.dialect != "sqlite":
            self.conn.commit()
        return value


def secondary_indexes(db: Database, table: str) -> list[dict]:
    """Non-unique indexes of a table (name and columns), as the database has them."""
    with db.connect() as conn:
        return [ix for ix in sa.inspect(conn).get_indexes(table) if not ix.get("unique")]

"""Paging, whitelisted sorting and page results shared by every repository.

Sorting and filtering happen in SQL. A sort key from a user is looked up in the
repository's whitelist, never interpolated, and paging always returns the total so that
a table can show "rows 51-100 of 12,345".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import pandas as pd
import sqlalchemy as sa

from ..errors import InvalidInputError

T = TypeVar("T")

DEFAULT_LIMIT = 50


@dataclass(frozen=True)
class PageRequest:
    """Which slice of a result, in which order. ``sort`` is a whitelisted key."""

    offset: int = 0
    limit: int = DEFAULT_LIMIT
    sort: str | None = None
    descending: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.offset, int) or self.offset < 0:
            raise InvalidInputError("offset must be a whole number >= 0", parameter="offset")
        # The largest page a user may ask for (DSA110_DASH_PAGE_SIZE_MAX) is checked where
        # the request comes in (``parse``); code of our own may read in larger slices.
        if not isinstance(self.limit, int) or self.limit < 1:
            raise InvalidInputError("limit must be a whole number >= 1", parameter="limit")

    @classmethod
    def parse(cls, *, offset: str | int | None = None, limit: str | int | None = None,
              sort: str | None = None, order: str | None = None,
              max_limit: int) -> PageRequest:
        """From query-string values; each bad one names itself in the error.
        ``max_limit`` is the setting DSA110_DASH_PAGE_SIZE_MAX."""

        def whole(name: str, raw: str | int | None, default: int) -> int:
            if raw is None or raw == "":
                return default
            try:
                return int(raw)
            except (TypeError, ValueError):
                raise InvalidInputError(f"{name} must be a whole number, not {raw!r}",
                                        parameter=name) from None

        if order not in (None, "", "asc", "desc"):
            raise InvalidInputError("order must be 'asc' or 'desc'", parameter="order")
        size = whole("limit", limit, DEFAULT_LIMIT)
        if not 1 <= size <= max_limit:
            raise InvalidInputError(f"limit must be between 1 and {max_limit}",
                                    parameter="limit")
        return cls(offset=whole("offset", offset, 0), limit=size, sort=sort or None,
                   descending=order != "asc")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of rows and the total number of rows that match the filter."""

    rows: T
    total: int
    offset: int
    limit: int

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total


def order_by(stmt: sa.Select, request: PageRequest,
             allowed: Mapping[str, sa.ColumnElement], default: str,
             tiebreak: sa.ColumnElement | None = None) -> sa.Select:
    """Apply a whitelisted sort; NULLs last either way, then a stable tiebreak."""
    key = request.sort or default
    if key not in allowed:
        choices = ", ".join(sorted(allowed))
        raise InvalidInputError(f"cannot sort by {key!r}; choose one of: {choices}",
                                parameter="sort")
    column = allowed[key]
    direction = column.desc() if request.descending else column.asc()
    # A NOT NULL column sorts plainly so that an index on it can be read in order;
    # a nullable one puts NULLs last in both directions (SQLite >= 3.30 and PostgreSQL).
    clauses = [direction if _not_null(column) else direction.nulls_last()]
    if tiebreak is not None:
        clauses.append(tiebreak.desc() if request.descending else tiebreak.asc())
    return stmt.order_by(*clauses)


def _not_null(column: sa.ColumnElement) -> bool:
    inner = getattr(column, "element", column)  # see through a label
    return getattr(inner, "nullable", True) is False


def fetch_page(conn: sa.Connection, stmt: sa.Select, request: PageRequest,
               count_stmt: sa.Select | None = None) -> Page[pd.DataFrame]:
    """Run one page of ``stmt`` (already filtered and ordered) and count its total."""
    if count_stmt is None:
        count_stmt = sa.select(sa.func.count()).select_from(
            stmt.order_by(None).limit(None).offset(None).subquery())
    total = conn.execute(count_stmt).scalar_one()
    result = conn.execute(stmt.limit(request.limit).offset(request.offset))
    frame = frame_from(result)
    return Page(rows=frame, total=int(total), offset=request.offset, limit=request.limit)


def frame_from(result: sa.engine.Result, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A query's rows as a frame. The rows become plain tuples first: pandas probes each
    SQLAlchemy Row for attributes, and a Row answers a missing one with a raised and
    caught exception (0.2 s for 5,000 rows)."""
    names = list(columns or result.keys())
    return pd.DataFrame([tuple(row) for row in result.fetchall()], columns=names)


def raw_frame(conn: sa.Connection, stmt: sa.Select) -> pd.DataFrame:
    """A big read (100,000 rows) as a frame, through the driver's own cursor: the rows
    skip SQLAlchemy's per-row processing and ``frame_from``'s tuple copies (about 1 s of
    CPU for the eta-V plot's 100,000 sources). Only for plain columns whose driver
    values are already what the caller wants (numbers and text)."""
    compiled = stmt.compile(dialect=conn.dialect)
    names = [c.name for c in stmt.selected_columns]
    result = conn.exec_driver_sql(compiled.string, compiled.params
                                  if conn.dialect.paramstyle in ("named", "pyformat")
                                  else tuple(compiled.params[k] for k in compiled.positiontup))
    return pd.DataFrame.from_records(result.cursor.fetchall(), columns=names) \
        if result.returns_rows else pd.DataFrame(columns=names)

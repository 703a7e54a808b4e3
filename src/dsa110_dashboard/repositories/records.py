"""Helpers shared by the repositories: rows to records, JSON columns, time scales, LIKE.

The pipeline stores JSON as TEXT that nobody validated, booleans as 0/1 and times as
Unix seconds or MJD; these helpers turn a row into what a record promises without ever
turning a NULL into 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import fields
from pathlib import PurePosixPath
from typing import Any, TypeVar

import pandas as pd
import sqlalchemy as sa

from ..db.catalog import TableView
from .paging import Page, PageRequest

R = TypeVar("R")

def record_from(cls: type[R], row: Mapping[str, Any], **extra: Any) -> R:
    """Build a dataclass record from a row; columns the row lacks are None."""
    values = {f.name: row.get(f.name) for f in fields(cls)}
    values.update(extra)
    return cls(**values)


def as_bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def parse_json(text: Any) -> tuple[Any, bool]:
    """``(value, ok)``: the parsed document, or the text as it was with ``ok`` False."""
    if text is None:
        return None, True
    if not isinstance(text, str | bytes):
        return text, True
    try:
        return json.loads(text), True
    except ValueError:
        return text, False


def json_or_none(text: Any) -> Any:
    value, ok = parse_json(text)
    return value if ok else None


def like_contains(column: sa.ColumnElement, needle: str) -> sa.ColumnElement:
    """Case-insensitive substring match in which % and _ are literal characters."""
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    # ILIKE on PostgreSQL, lower() LIKE lower() on SQLite.
    return column.ilike(f"%{escaped}%", escape="\\")


def empty_frame(columns: Iterable[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def empty_page(columns: Iterable[str], request: PageRequest) -> Page[pd.DataFrame]:
    return Page(rows=empty_frame(columns), total=0, offset=request.offset,
                limit=request.limit)


def column_names(view: TableView, exclude: Iterable[str] = ()) -> list[str]:
    skip = set(exclude)
    return [c for c in view.definition.c.keys() if c not in skip]


def in_values(column: sa.ColumnElement, values: Iterable[Any] | None) -> sa.ColumnElement | None:
    """``column IN values``; None when the filter is not set."""
    if values is None:
        return None
    return column.in_(list(values))


def where_all(stmt: sa.Select, conditions: Iterable[sa.ColumnElement | None]) -> sa.Select:
    active = [c for c in conditions if c is not None]
    return stmt.where(*active) if active else stmt


_TIMESTAMP_STEM = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2}):(\d{2})$")


def run_id_for(ms_path: str | None) -> str | None:
    """The old web API's run id: ``2024-01-15T12:30:00.ms`` -> ``job-2024-01-15-123000``."""
    if not ms_path:
        return None
    stem = PurePosixPath(ms_path).stem
    match = _TIMESTAMP_STEM.match(stem)
    if match:
        day, hh, mm, ss = match.groups()
        return f"job-{day}-{hh}{mm}{ss}"
    return f"job-{stem}"

"""SQL columns and frame fixes shared by the source, lightcurve and variability
repositories (one definition each, so V, a typed NULL and the latest ESE flag read the
same on every source page)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..db.catalog import Catalog
from .paging import PageRequest, frame_from


def v_expression(std: sa.ColumnElement, mean: sa.ColumnElement) -> sa.ColumnElement:
    """V = std/mean (coefficient of variation) from stored values; NULL when mean is 0
    or either is NULL. A later migration may add a V column; until then it is derived."""
    return sa.case((mean != 0, std / mean), else_=sa.null())


def ours_or_derived_v(ours, std: sa.ColumnElement, mean: sa.ColumnElement
                      ) -> sa.ColumnElement:
    """V from our dash_variability (``ours``, joined) for a source it has a row for (a
    NULL there means undefined and stays NULL), else ``v_expression`` of the stored
    std and mean."""
    return sa.case((ours["source_id"].is_not(None), ours["v"]),
                   else_=v_expression(std, mean))


def typed_null(type_: Any = sa.Float) -> sa.ColumnElement:
    # A CAST, not type_coerce: PostgreSQL types a bare NULL as text, which psycopg's
    # float result processing rejects.
    return sa.cast(sa.null(), type_)


def none_for_missing(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Text columns: None (not NaN) where the database had NULL."""
    for col in columns:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)


def with_default_direction(request: PageRequest, default: str,
                            descending: bool) -> PageRequest:
    """No sort asked: the repository's default key in its natural direction."""
    if request.sort is None:
        return dataclasses.replace(request, sort=default, descending=descending)
    return request


ESE_COLUMNS = ("ese_status", "ese_significance")


def with_latest_ese(conn: sa.Connection, catalog: Catalog, rows: pd.DataFrame,
                    after: str = "v") -> pd.DataFrame:
    """``rows`` (with ``source_id``) plus each source's latest ESE flag, ``ese_status``
    and ``ese_significance`` (None where it has none), placed after column ``after``.

    Read for these rows only, once they are paged: as correlated subqueries in a page's
    own query, SQLite computed them for every row it sorted before keeping 50 (185 of
    the 200 ms of the /sources page's query at 100,000 sources)."""
    out = rows.drop(columns=[c for c in ESE_COLUMNS if c in rows])
    ese = catalog["ese_candidates"]
    ids = [s for s in pd.unique(out["source_id"]) if s is not None] if len(out) else []
    flags = pd.DataFrame(columns=["source_id", *ESE_COLUMNS])
    if ese.exists and ids:
        result = conn.execute(
            sa.select(ese.col("source_id"), ese["status"].label("ese_status"),
                      ese["significance"].label("ese_significance"))
            .where(ese["source_id"].in_(ids)).order_by(ese["flagged_at"], ese["id"]))
        flags = frame_from(result).drop_duplicates("source_id", keep="last")
    latest = flags.set_index("source_id")
    at = list(out.columns).index(after) + 1 if after in out else len(out.columns)
    for offset, col in enumerate(ESE_COLUMNS):
        values = out["source_id"].map(latest[col]) if len(out) else pd.Series(dtype=object)
        values = (values.astype(object).where(values.notna(), None) if col == "ese_status"
                  else pd.to_numeric(values, errors="coerce").astype(float))
        out.insert(at + offset, col, values)
    return out

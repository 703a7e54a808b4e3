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
from .paging import PageRequest


def v_expression(std: sa.ColumnElement, mean: sa.ColumnElement) -> sa.ColumnElement:
    """V = std/mean (coefficient of variation) from stored values; NULL when mean is 0
    or either is NULL. A later migration may add a V column; until then it is derived."""
    return sa.case((mean != 0, std / mean), else_=sa.null())


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


def ese_columns(catalog: Catalog, source_id: sa.ColumnElement) -> list[sa.ColumnElement]:
    """Latest ESE flag of a source (correlated, evaluated for selected rows only)."""
    ese = catalog["ese_candidates"]
    if not ese.exists:
        return [typed_null(sa.Text).label("ese_status"), typed_null().label("ese_significance")]

    def latest(column: str) -> sa.ScalarSelect:
        return (sa.select(ese[column]).where(ese["source_id"] == source_id)
                .order_by(ese["flagged_at"].desc(), ese["id"].desc()).limit(1)
                .scalar_subquery())

    status, sig = latest("status"), latest("significance")
    return [status.label("ese_status"), sig.label("ese_significance")]

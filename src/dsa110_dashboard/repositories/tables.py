"""Row counts of every pipeline table this database has."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database


def table_row_counts(db: Database) -> pd.DataFrame:
    """One row per canonical table: its name, the name found, and its exact row count.

    A table the database lacks is listed with a count of None, so a reader sees what is
    missing rather than a zero.
    """
    catalog = db.catalog
    views = catalog.views
    present = [v for v in views.values() if v.exists]
    counts: dict[str, int] = {}
    if present:
        # One round trip for all tables.
        stmt = sa.select(*[
            sa.select(sa.func.count()).select_from(v.table).scalar_subquery().label(v.name)
            for v in present])
        with db.connect() as conn:
            counts = dict(conn.execute(stmt).one()._mapping)
    frame = pd.DataFrame(
        [{"table": name, "found_as": view.actual_name, "rows": counts.get(name)}
         for name, view in views.items()],
        columns=["table", "found_as", "rows"])
    frame["rows"] = frame["rows"].astype("Int64")  # missing stays <NA>, not NaN or 0
    return frame

"""State of the row-counts view: the counts, and why they could not be read."""

from __future__ import annotations

import time

import pandas as pd
import param

from ..db.engine import Database
from ..errors import DatabaseUnavailableError
from ..repositories.tables import table_row_counts


class RowCountsModel(param.Parameterized):
    counts = param.DataFrame(default=pd.DataFrame(columns=["table", "found_as", "rows"]),
                             doc="One row per pipeline table with its row count.")
    error = param.String(default=None, allow_None=True,
                         doc="Why the database could not be read, for the banner.")
    loaded_at = param.Number(default=None, allow_None=True, doc="Unix time of the counts.")

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.db = db

    def fetch(self) -> pd.DataFrame | DatabaseUnavailableError:
        """Blocking: run it in a worker thread. Returns the counts or the error."""
        try:
            return table_row_counts(self.db)
        except DatabaseUnavailableError as exc:
            return exc

    def apply(self, result: pd.DataFrame | DatabaseUnavailableError) -> None:
        if isinstance(result, DatabaseUnavailableError):
            # Keep the last good counts on screen under the banner.
            self.error = result.user_message
        else:
            self.param.update(counts=result, error=None, loaded_at=time.time())

    def refresh(self) -> None:
        self.apply(self.fetch())

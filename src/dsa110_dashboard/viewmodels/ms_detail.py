"""State of /ms/{path}: one measurement set's story (repositories/ms_detail.py), loaded
once. A path that is not registered is said as such (no file is looked at). No Panel."""

from __future__ import annotations

import param

from ..db.engine import Database
from ..errors import DatabaseUnavailableError, NotFoundError
from ..repositories.ms_detail import MeasurementSetDetail, measurement_set_detail


class MsDetailModel(param.Parameterized):
    path = param.String(default="")
    detail = param.ClassSelector(class_=MeasurementSetDetail, default=None, allow_None=True)
    error = param.String(default=None, allow_None=True)
    not_found = param.Boolean(default=False)
    loaded = param.Boolean(default=False)

    def __init__(self, db: Database, **params):
        super().__init__(**params)
        self.db = db

    def fetch(self) -> MeasurementSetDetail | NotFoundError | DatabaseUnavailableError:
        """Blocking: the whole detail, or the expected error."""
        if not self.path:
            return NotFoundError("no measurement set path in the address")
        try:
            return measurement_set_detail(self.db, self.path)
        except (NotFoundError, DatabaseUnavailableError) as exc:
            return exc

    def apply(self, result) -> None:  # noqa: ANN001 - what fetch returned
        if isinstance(result, MeasurementSetDetail):
            self.param.update(detail=result, error=None, not_found=False, loaded=True)
        else:
            self.param.update(detail=None, error=result.user_message,
                              not_found=isinstance(result, NotFoundError), loaded=True)

    def load(self) -> None:
        self.apply(self.fetch())

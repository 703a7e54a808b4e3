"""Everything the dashboard shows about one measurement set (/ms/{path} and
``GET /api/v1/ms/{path}``): its row, the HDF5 subbands it came from, the calibration
applied to it with each table's registry entry and quality, its calibration QA, its
images, its jobs and its neighbours in time.

A path that is not a row of ms_index is a NotFoundError: nothing here looks at the file
system. Tables the database lacks are named in ``missing`` so that a page can say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from .calibration import (
    CalibrationAppliedRecord,
    CalibrationQARecord,
    CalibrationRepository,
    caltable_record,
)
from .images import ImageFilter, ImageRepository
from .jobs import JobFilter, JobRepository
from .measurement_sets import MeasurementSetFilter, MeasurementSetRecord, MeasurementSetRepository
from .paging import PageRequest

#: The correlator writes 16 subbands per observation (pipeline-db.md, hdf5_files).
SUBBANDS = tuple(f"sb{n:02d}" for n in range(16))
#: At most this many images and jobs per MS are listed (an MS has a handful).
LISTED = 200


@dataclass(frozen=True)
class AppliedCalibration:
    applied: CalibrationAppliedRecord
    #: The caltables row with the applied path, or None when the registry lacks it.
    table: Any


@dataclass(frozen=True)
class MeasurementSetDetail:
    record: MeasurementSetRecord
    calibration_applied: bool
    #: Subband codes present; None when the database has no HDF5 index for it.
    subbands: list[str] | None
    applied: list[AppliedCalibration]
    qa: list[CalibrationQARecord]
    images: pd.DataFrame
    jobs: pd.DataFrame
    previous: str | None
    next: str | None
    #: Pipeline tables this database lacks that the page would otherwise show.
    missing: list[str] = field(default_factory=list)

    @property
    def missing_subbands(self) -> list[str] | None:
        if self.subbands is None:
            return None
        return [sb for sb in SUBBANDS if sb not in self.subbands]


def applied_calibration(db: Database, ms_path: str) -> list[AppliedCalibration]:
    """calibration_applied rows for ``ms_path`` with the registry row of each table."""
    applied = CalibrationRepository(db).applied_to(ms_path)
    t = db.catalog["caltables"]
    tables: dict[str, Any] = {}
    paths = sorted({a.caltable_path for a in applied})
    if paths and t.exists:
        with db.connect() as conn:
            stmt = (sa.select(*t.columns()).select_from(t.table).where(t["path"].in_(paths))
                    .order_by(t["id"]))
            for row in conn.execute(stmt).mappings():
                tables.setdefault(row["path"], caltable_record(row))
    return [AppliedCalibration(a, tables.get(a.caltable_path)) for a in applied]


def missing_tables(db: Database) -> list[str]:
    wanted = ("calibration_applied", "calibration_qa", "caltables", "hdf5_files", "images",
              "jobs")
    return [name for name in wanted if not db.catalog[name].exists]


def measurement_set_detail(db: Database, path: str) -> MeasurementSetDetail:
    """The whole story of one registered MS; NotFoundError for any other path."""
    repo = MeasurementSetRepository(db)
    record = repo.get(path)
    row = repo.page(MeasurementSetFilter(path_equals=path), PageRequest(limit=1)).rows
    applied_flag = bool(row["calibration_applied"].iloc[0]) if len(row) else False
    previous, following = repo.neighbours(path)
    images = ImageRepository(db).page(ImageFilter(ms_path=path),
                                      PageRequest(limit=LISTED, sort="created_at",
                                                  descending=False)).rows
    jobs = JobRepository(db).page(JobFilter(ms_path=path),
                                  PageRequest(limit=LISTED, sort="created_at")).rows
    return MeasurementSetDetail(
        record=record, calibration_applied=applied_flag, subbands=repo.subbands(path),
        applied=applied_calibration(db, path),
        qa=CalibrationRepository(db).qa_for_ms(path), images=images, jobs=jobs,
        previous=previous, next=following, missing=missing_tables(db))

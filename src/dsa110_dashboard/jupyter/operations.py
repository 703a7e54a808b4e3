"""Jobs, measurement sets, calibration and QA from a notebook, as DataFrames and records."""

from __future__ import annotations

import time
from dataclasses import asdict

import pandas as pd

from ..context import AppContext
from ..repositories.cal_registry import ApplyList, CalibrationRegistry, RegistryFilter
from ..repositories.jobs import JobFilter, JobRecord, JobRepository
from ..repositories.measurement_sets import (
    MeasurementSetFilter,
    MeasurementSetRecord,
    MeasurementSetRepository,
)
from ..repositories.qa import QARepository
from ..repositories.queue_status import QueueStatusRepository, QueueSummary
from ..science.times import unix_to_mjd
from .paging import as_tuple, filter_of, framed, request
from .times import add_utc_columns, as_mjd, as_unix

DAY = 86400.0


class Jobs:
    def __init__(self, context: AppContext):
        self.repository = JobRepository(context.db)
        self.queue_repository = QueueStatusRepository(context.db)

    def list(self, *, status=None, type=None, limit: int = 50, offset: int = 0,
             sort: str | None = None, descending: bool = True, **filters) -> pd.DataFrame:
        """A page of jobs, newest first (``status``/``type``: one or several; other
        filters as in ``JobFilter``: ``ms_path``, ``run_id``, ``created_after``...)."""
        given = dict(filters, statuses=as_tuple(status), types=as_tuple(type))
        for key in ("created_after", "created_before"):
            if key in given:
                given[key] = as_unix(given[key])
        page = self.repository.page(filter_of(JobFilter, given, "jobs"),
                                    request(offset, limit, sort, descending))
        return add_utc_columns(framed(page), ["created_at", "started_at", "finished_at"])

    def get(self, job: int | str) -> JobRecord:
        """One job by id or run id, with its logs."""
        return self.repository.get(self.repository.resolve(job))

    def events(self, job: int | str) -> pd.DataFrame:
        """The timeline of the job's states."""
        rows = self.repository.events(self.repository.resolve(job))
        return pd.DataFrame([asdict(e) for e in rows])

    def queue(self) -> QueueSummary:
        """Pending and running jobs per type, the oldest pending, the workers seen."""
        return self.queue_repository.summary()


class MeasurementSets:
    def __init__(self, context: AppContext):
        self.repository = MeasurementSetRepository(context.db)

    def list(self, *, stage=None, status=None, limit: int = 50, offset: int = 0,
             sort: str | None = None, descending: bool = True, **filters) -> pd.DataFrame:
        """A page of ms_index with ``calibration_applied`` and ``n_images`` (other
        filters as in ``MeasurementSetFilter``; ``since``/``until`` by mid-MJD)."""
        given = dict(filters, stages=as_tuple(stage), statuses=as_tuple(status))
        if "since" in given:
            given["mjd_min"] = as_mjd(given.pop("since"))
        if "until" in given:
            given["mjd_max"] = as_mjd(given.pop("until"))
        page = self.repository.page(filter_of(MeasurementSetFilter, given, "ms"),
                                    request(offset, limit, sort, descending))
        return framed(page)

    def get(self, path: str) -> MeasurementSetRecord:
        return self.repository.get(path)

    def subbands(self, path: str) -> list[str] | None:
        """The HDF5 subbands recorded for it (None when the database does not say)."""
        return self.repository.subbands(path)

    def counts(self) -> pd.DataFrame:
        """How many measurement sets are in each stage and status."""
        stages = self.repository.counts_by_stage()
        statuses = self.repository.counts_by_status()
        return pd.concat([
            pd.DataFrame({"by": "stage", "value": list(stages), "count": list(stages.values())}),
            pd.DataFrame({"by": "status", "value": list(statuses),
                          "count": list(statuses.values())}),
        ], ignore_index=True)


class Calibration:
    def __init__(self, context: AppContext):
        self.context = context
        self.registry = CalibrationRegistry(context.db, context.roots)

    def tables(self, *, type=None, state=None, set_name: str | None = None,
               field: str | None = None, valid_at=None, limit: int = 50, offset: int = 0,
               sort: str | None = None, descending: bool = True) -> pd.DataFrame:
        """A page of the calibration registry, each table with its ``state`` (active,
        expired, retired, failed) and the page's flags."""
        flt = RegistryFilter(set_name=set_name, table_types=as_tuple(type),
                             states=as_tuple(state), cal_field=field,
                             valid_at_mjd=as_mjd(valid_at))
        page = self.registry.page(flt, request(offset, limit, sort, descending),
                                  now_mjd=float(unix_to_mjd(time.time())))
        return framed(page)

    def apply_list(self, at=None) -> ApplyList:
        """The tables the pipeline would apply at ``at`` (default now), with warnings."""
        mjd = as_mjd(at) if at is not None else float(unix_to_mjd(time.time()))
        return self.registry.apply_list(mjd, self.context.settings.cal_expiry_warn_hours)


class QA:
    def __init__(self, context: AppContext):
        self.repository = QARepository(context.db)

    def grades(self, since=None) -> pd.DataFrame:
        """Images made since ``since`` (default: all), one grade each, counted per kind
        of grade (measured by the pipeline's QA, or derived from the dynamic range)."""
        counts = self.repository.grade_counts(as_unix(since))
        rows = [(kind, grade, n) for kind, by_grade in counts.items()
                for grade, n in by_grade.items()]
        return pd.DataFrame(rows, columns=["kind", "grade", "count"])

    def images(self, since=None, until=None) -> pd.DataFrame:
        """Image QA over time (default: the last day): measured rows, and images with
        no QA row graded from their dynamic range."""
        end = as_unix(until) if until is not None else time.time()
        start = as_unix(since) if since is not None else end - DAY
        return add_utc_columns(self.repository.image_qa_series(start, end), ["timestamp"])

    def calibration(self, since=None, until=None) -> pd.DataFrame:
        """Calibration QA rows over time (default: the last day)."""
        end = as_unix(until) if until is not None else time.time()
        start = as_unix(since) if since is not None else end - DAY
        return add_utc_columns(self.repository.calibration_qa_series(start, end),
                               ["timestamp"])

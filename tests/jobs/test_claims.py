"""Several worker processes on one database: every job runs exactly once.

Four workers against PostgreSQL claim 200 jobs, two against SQLite claim 50 (each
worker runs two slots); the command appends its run id to a file, so a job that ran
twice would appear twice.
"""

from __future__ import annotations

import collections

import pytest
import sqlalchemy as sa

from dsa110_dashboard.db.dashboard_schema import dash_job_events, dash_job_state
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.jobs.commands import CommandTemplate
from dsa110_dashboard.jobs.queue import JobQueue
from dsa110_dashboard.repositories.jobs import JobFilter, JobRepository
from dsa110_dashboard.repositories.paging import PageRequest

from .jobhelpers import settings_with, worker_process, write_recorder


def queue_jobs(db, settings, n: int, recorder) -> None:
    queue = JobQueue(db, settings)
    command = CommandTemplate.parse(f"/bin/sh {recorder} {{run_id}}")
    with db.transaction() as conn:
        for i in range(n):
            queue.enqueue(conn, job_type="imaging",
                          ms_path=f"/data/ms/2025-10-17T{i // 60:02d}:{i % 60:02d}:00.ms",
                          params={}, template=command, values={}, requested_by="test")


@pytest.mark.slow
@pytest.mark.parametrize("backend, workers, jobs", [("postgresql", 4, 200),
                                                    ("sqlite", 2, 50)])
def test_workers_never_run_a_job_twice(backend, workers, jobs, request, tmp_path, out,
                                       sqlite_url):
    url = sqlite_url if backend == "sqlite" else request.getfixturevalue(
        "make_pg_database")()
    settings = settings_with(url, tmp_path)
    db = Database(settings)
    try:
        queue_jobs(db, settings, jobs, write_recorder(tmp_path))
        env = {"DSA110_DASH_DB": url, "CONTIMG_LOGS_DIR": str(tmp_path / "logs"),
               "DSA110_DASH_TIMEOUT_WORKER_POLL": "0.1", "JOB_TEST_OUT": str(out)}
        procs = [worker_process(env, "--until-idle", "--concurrency", "2", "--no-batches")
                 for _ in range(workers)]
        for proc in procs:
            output, _ = proc.communicate(timeout=240)
            assert proc.returncode == 0, output
        runs = collections.Counter((out / "runs.txt").read_text().split())
        assert len(runs) == jobs and set(runs.values()) == {1}
        page = JobRepository(db).page(JobFilter(statuses=("completed",)),
                                      PageRequest(limit=500))
        assert page.total == jobs
        with db.connect() as conn:
            attempts = conn.execute(sa.select(dash_job_state.c.attempt)).scalars().all()
            starts = collections.Counter(conn.execute(
                sa.select(dash_job_events.c.job_id)
                .where(dash_job_events.c.status == "running")).scalars())
            who = set(conn.execute(sa.select(dash_job_events.c.worker)
                                   .where(dash_job_events.c.status == "running")).scalars())
        assert attempts == [1] * jobs
        assert len(starts) == jobs and set(starts.values()) == {1}
        assert len(who) > 1  # the work really was shared
    finally:
        db.dispose()

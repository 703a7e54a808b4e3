"""The queue's run state in the jobs list (run id, attempt) and its run-id filter, on
SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from factories import UNIX0, insert

from dsa110_dashboard.db.dashboard_schema import dash_job_state
from dsa110_dashboard.repositories.jobs import JobFilter, JobRepository

MS = "/ms/2025-10-17T01:00:00.ms"


def test_queue_run_id_and_attempt_in_the_list_and_its_filter(db):
    now = UNIX0 + 1000
    with db.transaction() as conn:
        ids = [insert(conn, "jobs", type=kind, status=status, ms_path=MS,
                      created_at=UNIX0 + n)["id"]
               for n, (kind, status) in enumerate([
                   ("imaging", "pending"), ("imaging", "pending"), ("imaging", "running"),
                   ("calibration", "running"), ("imaging", "completed")])]
        conn.execute(sa.insert(dash_job_state), [
            {"job_id": ids[2], "run_id": f"job-x-j{ids[2]}", "worker": "h1:10", "host": "h1",
             "heartbeat_at": now - 3, "attempt": 1},
            {"job_id": ids[4], "run_id": f"job-x-j{ids[4]}", "worker": "h2:20", "host": "h2",
             "heartbeat_at": now - 600, "attempt": 1},
            {"job_id": ids[3], "run_id": f"job-x-j{ids[3]}", "worker": "old:1", "host": "old",
             "heartbeat_at": now - 3 * 86400, "attempt": 1}])
    page = JobRepository(db).page(JobFilter(run_id_contains=f"-j{ids[2]}"))
    assert list(page.rows["id"]) == [ids[2]]
    assert page.rows["run_id"].tolist() == [f"job-x-j{ids[2]}"]
    assert page.rows["attempt"].tolist() == [1]

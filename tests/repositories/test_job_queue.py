"""The queue's summary and the queue's run ids in the jobs list, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from factories import UNIX0, insert

from dsa110_dashboard.db.dashboard_schema import dash_job_state
from dsa110_dashboard.repositories.job_queue import QueueRepository
from dsa110_dashboard.repositories.jobs import JobFilter, JobRepository

MS = "/ms/2025-10-17T01:00:00.ms"


def test_summary_per_type_and_workers_with_their_current_job(db):
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
    summary = QueueRepository(db).summary(now=now)
    counts = {c.type: (c.pending, c.running, c.oldest_pending_at) for c in summary.by_type}
    assert counts == {"calibration": (0, 1, None), "imaging": (2, 1, UNIX0)}
    assert (summary.pending, summary.running, summary.oldest_pending_at) == (2, 2, UNIX0)
    workers = [(w.worker, w.host, w.current_job_id, w.last_heartbeat)
               for w in summary.workers]
    # Newest heartbeat first; a worker silent for days is not listed.
    assert workers == [("h1:10", "h1", ids[2], now - 3), ("h2:20", "h2", None, now - 600)]

    page = JobRepository(db).page(JobFilter(run_id_contains=f"-j{ids[2]}"))
    assert list(page.rows["id"]) == [ids[2]]
    assert page.rows["run_id"].tolist() == [f"job-x-j{ids[2]}"]
    assert page.rows["attempt"].tolist() == [1]

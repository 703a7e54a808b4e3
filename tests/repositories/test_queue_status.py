"""The queue at a glance and the run-id filter of the jobs list, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa
from factories import UNIX0, insert

from dsa110_dashboard.db.dashboard_schema import (dash_batch_state, dash_job_state,
                                                 dash_workers)
from dsa110_dashboard.repositories.jobs import JobFilter, JobRepository
from dsa110_dashboard.repositories.queue_status import QueueStatusRepository

MS = "/ms/2025-10-17T01:00:00.ms"
RUN_ID = "job-2025-10-17-010000"


def _seed(db) -> dict[str, int]:  # noqa: ANN001
    with db.transaction() as conn:
        ids = {
            "pipeline": insert(conn, "jobs", type="imaging", status="completed", ms_path=MS,
                               created_at=UNIX0)["id"],
            "queued": insert(conn, "jobs", type="pipeline_rerun", status="pending",
                             ms_path=MS, created_at=UNIX0 + 50)["id"],
            "older": insert(conn, "jobs", type="imaging", status="pending",
                            ms_path="/ms/other.ms", created_at=UNIX0 + 40)["id"],
            "running": insert(conn, "jobs", type="pipeline_rerun", status="running",
                              ms_path=MS, created_at=UNIX0 + 60)["id"],
            "also": insert(conn, "jobs", type="pipeline_rerun", status="running",
                           ms_path=MS, created_at=UNIX0 + 61)["id"],
        }
        for key, worker, beat in (("queued", None, None), ("running", "h1:10", UNIX0 + 70),
                                  ("also", "h1:10", UNIX0 + 75)):
            conn.execute(sa.insert(dash_job_state).values(
                job_id=ids[key], run_id=f"{RUN_ID}-j{ids[key]}", worker=worker,
                host=None if worker is None else "h1", heartbeat_at=beat))
        batch = insert(conn, "batch_jobs", type="thumbnails", status="running",
                       created_at=UNIX0)["id"]
        conn.execute(sa.insert(dash_batch_state).values(batch_id=batch, runner="h2:20",
                                                        heartbeat_at=UNIX0 + 80))
        done = insert(conn, "batch_jobs", type="qa", status="done", created_at=UNIX0)["id"]
        conn.execute(sa.insert(dash_batch_state).values(batch_id=done, runner="h3:30",
                                                        finished_at=UNIX0 + 90))
        ids["batch"] = int(batch)
    return ids


def test_run_id_filter_finds_pipeline_and_queued_jobs(db):
    ids = _seed(db)
    repo = JobRepository(db)

    def found(run_id: str) -> list[int]:
        return sorted(int(i) for i in repo.page(JobFilter(run_id=run_id)).rows["id"])

    assert found(RUN_ID) == [ids["pipeline"]], "queued jobs carry their own run id"
    assert found(f"{RUN_ID}-j{ids['queued']}") == [ids["queued"]]
    assert found("job-2030-01-01-000000") == [] and found("nonsense") == []
    rows = repo.page(JobFilter(run_id=RUN_ID)).rows
    assert list(rows["run_id"]) == [RUN_ID]


def test_summary_counts_per_type_oldest_pending_and_workers(db):
    ids = _seed(db)
    summary = QueueStatusRepository(db).summary()
    assert summary.by_type == {"imaging": {"pending": 1, "running": 0},
                               "pipeline_rerun": {"pending": 1, "running": 2}}
    assert summary.oldest_pending_at == UNIX0 + 40
    assert summary.oldest_pending_by_type == {"imaging": UNIX0 + 40,
                                              "pipeline_rerun": UNIX0 + 50}
    h1, h2 = summary.workers
    assert (h1.name, h1.host, h1.heartbeat_at) == ("h1:10", "h1", UNIX0 + 75)
    assert [j["job_id"] for j in h1.jobs] == sorted([ids["running"], ids["also"]])
    assert (h2.name, h2.host, h2.batches, h2.jobs) == ("h2:20", "h2", [ids["batch"]], [])


def test_workers_own_rows_list_idle_running_stale_and_stopped(db):
    ids = _seed(db)
    stale_after = db.settings.timeouts.job_heartbeat_stale
    now = UNIX0 + 100 * stale_after
    with db.transaction() as conn:
        for name, seen, current, stopped in (
                ("h1:10", now - 1, ids["running"], None),     # its jobs show on its row
                ("h4:40", now - 1, None, None),               # waiting for work
                ("h5:50", now - 2 * stale_after, None, None),  # died
                ("h6:60", now - 3, None, now - 3),            # exited cleanly
                ("h7:70", now - 11 * stale_after, None, None)):  # long gone: not listed
            conn.execute(sa.insert(dash_workers).values(
                name=name, host=name.split(":")[0], pid=int(name.split(":")[1]),
                started_at=UNIX0, last_seen=seen, current_job_id=current,
                stopped_at=stopped))
    workers = {w.name: w for w in QueueStatusRepository(db).summary(now).workers}
    assert sorted(workers) == ["h1:10", "h2:20", "h4:40", "h5:50", "h6:60"]
    states = {name: w.state for name, w in workers.items()}
    assert states == {"h1:10": "running", "h2:20": "stale", "h4:40": "idle",
                      "h5:50": "stale", "h6:60": "stopped"}
    assert [j["job_id"] for j in workers["h1:10"].jobs] == sorted([ids["running"],
                                                                   ids["also"]])
    assert (workers["h4:40"].host, workers["h4:40"].pid) == ("h4", 40)


def test_a_database_without_the_workers_table_still_answers(db):
    ids = _seed(db)
    with db.transaction() as conn:
        dash_workers.drop(conn)
    db.refresh_catalog()
    h1, h2 = QueueStatusRepository(db).summary().workers
    assert [j["job_id"] for j in h1.jobs] == sorted([ids["running"], ids["also"]])
    assert (h1.state, h2.state) == ("stale", "stale")  # their heartbeats are from 2025

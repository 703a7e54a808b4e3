"""A worker killed with SIGKILL: the next worker finds the stale heartbeat, stops the
processes the dead worker's job left behind, and retries the job or marks it failed."""

from __future__ import annotations

import os
import signal

import pytest

from dsa110_dashboard.jobs.worker import Worker
from dsa110_dashboard.repositories.jobs import JobRepository

from .conftest import seed_original
from .jobhelpers import ACTOR, alive, template, wait_for, worker_process


@pytest.mark.slow
@pytest.mark.parametrize("attempts, final", [("2", "completed"), ("1", "failed")])
def test_a_killed_workers_job_is_recovered(sqlite_url, make_service, script, out, tmp_path,
                                           attempts, final):
    env = {"DSA110_DASH_TIMEOUT_JOB_HEARTBEAT_STALE": "1.5",
           "DSA110_DASH_JOB_MAX_ATTEMPTS": attempts}
    db, settings, service = make_service(sqlite_url, template(script, "sleep-once"), **env)
    queued = service.rerun(ACTOR, seed_original(db))
    proc = worker_process({"DSA110_DASH_DB": sqlite_url,
                           "CONTIMG_LOGS_DIR": str(tmp_path / "logs"),
                           "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT": "0.2", **env},
                          "--no-batches")
    try:
        pids_file = out / f"{queued.run_id}.pids"
        wait_for(pids_file.exists, what="the job to start")
        pids = [int(p) for p in pids_file.read_text().split()]
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert all(alive(p) for p in pids)  # a dead worker's job keeps running ...
    repo = JobRepository(db)
    assert repo.get(queued.job_id).status == "running"

    worker = Worker(db, settings, name="rescuer")
    # Nothing to do until the heartbeat is stale; then the job is taken over.
    wait_for(lambda: worker.run_one("rescuer"), timeout=20,
             what="the stale job to be taken over")
    if final == "completed":  # retried: pending again, then run by this worker
        assert repo.get(queued.job_id).status == "pending"
        assert worker.run_one("rescuer") is True
    for pid in pids:  # ... until the next worker stops it
        assert not alive(pid), f"process {pid} of the dead worker's job survived"
    job = repo.get(queued.job_id)
    assert job.status == final
    events = repo.events(queued.job_id)
    statuses = [e.status for e in events]
    recovered = next(e for e in events if e.previous == "running" and e.worker != "rescuer")
    assert "stopped sending heartbeats" in recovered.detail
    assert "stopped process group" in recovered.detail
    state = repo.queue_state(queued.job_id)
    if final == "completed":
        assert statuses == ["pending", "running", "pending", "running", "completed"]
        assert state.attempt == 2
        assert "second attempt" in job.logs
    else:
        assert statuses == ["pending", "running", "failed"]
        assert "gave up after 1 attempt" in state.error

"""Queued jobs run real commands: success, failure, timeout, cancel, missing program.

The command is a small Python script written by the test (jobhelpers.SCRIPT); it records
the arguments it was given, so the tests see exactly what arrived.
"""

from __future__ import annotations

import threading

import pytest

from dsa110_dashboard.jobs.worker import Worker
from dsa110_dashboard.repositories.jobs import JobRepository

from .conftest import MS, seed_original
from .jobhelpers import ACTOR, alive, argv_of, template, wait_for


def _run_one(db, settings):
    worker = Worker(db, settings, name="test-worker")
    assert worker.run_one("test-worker") is True
    return worker.outcomes[-1]


def test_completed_job_ran_its_command_and_logged_its_output(
        sqlite_url, make_service, script, out, tmp_path):
    db, settings, service = make_service(sqlite_url, template(script, "ok", "{ms_path}"))
    original = seed_original(db)
    queued = service.rerun(ACTOR, original)
    outcome = _run_one(db, settings)
    assert outcome.status == "completed" and outcome.exit_code == 0
    assert argv_of(out, queued.run_id) == ["ok", queued.run_id, MS]
    repo = JobRepository(db)
    job = repo.get(queued.job_id)
    assert job.status == "completed" and job.started_at and job.finished_at
    assert job.run_id == queued.run_id == f"job-2025-10-17-144009-j{queued.job_id}"
    log = (tmp_path / "logs" / f"{queued.run_id}.log").read_text()
    assert "all good" in log and "completed" in log
    assert "all good" in job.logs
    assert [e.status for e in repo.events(queued.job_id)] == ["pending", "running",
                                                              "completed"]
    state = repo.queue_state(queued.job_id)
    assert state.exit_code == 0 and state.attempt == 1 and state.error is None


def test_failed_job_keeps_exit_code_and_stderr(sqlite_url, make_service, script, out,
                                               tmp_path):
    db, settings, service = make_service(sqlite_url, template(script, "fail"))
    queued = service.rerun(ACTOR, seed_original(db))
    outcome = _run_one(db, settings)
    assert outcome.status == "failed" and outcome.exit_code == 3
    repo = JobRepository(db)
    job = repo.get(queued.job_id)
    assert job.status == "failed"
    assert "ValueError: bad visibilities" in job.logs
    log = (tmp_path / "logs" / f"{queued.run_id}.log").read_text()
    assert "ValueError: bad visibilities" in log and "exit code 3" in log
    state = repo.queue_state(queued.job_id)
    assert state.exit_code == 3 and state.error == "exit code 3"


def test_a_program_that_does_not_exist_fails_the_job(sqlite_url, make_service, tmp_path):
    db, settings, service = make_service(sqlite_url,
                                         f"{tmp_path}/no-such-program {{ms_path}}")
    queued = service.rerun(ACTOR, seed_original(db))
    outcome = _run_one(db, settings)
    assert outcome.status == "failed" and outcome.exit_code is None
    job = JobRepository(db).get(queued.job_id)
    assert job.status == "failed" and "could not be started" in job.logs


def _pids(out, run_id):
    path = out / f"{run_id}.pids"
    wait_for(path.exists, what="the command to start its child")
    return [int(p) for p in path.read_text().split()]


@pytest.mark.parametrize("mode", ["sleep", "stubborn"])
def test_timeout_ends_the_whole_process_group(sqlite_url, make_service, script, out, mode):
    db, settings, service = make_service(
        sqlite_url, template(script, mode), DSA110_DASH_TIMEOUT_JOB_RUN="1",
        DSA110_DASH_TIMEOUT_JOB_KILL_GRACE="1")
    queued = service.rerun(ACTOR, seed_original(db))
    outcome = _run_one(db, settings)
    assert outcome.status == "failed"
    assert "timed out after 1 s" in outcome.error
    if mode == "stubborn":  # it ignored SIGTERM
        assert "SIGKILL" in outcome.error
    for pid in _pids(out, queued.run_id):
        assert not alive(pid), f"process {pid} of the timed-out job is still running"
    state = JobRepository(db).queue_state(queued.job_id)
    assert state.error.startswith("timed out after 1 s")


def test_cancel_of_a_running_job_stops_it_and_its_children(sqlite_url, make_service,
                                                            script, out):
    db, settings, service = make_service(sqlite_url, template(script, "sleep"))
    queued = service.rerun(ACTOR, seed_original(db))
    worker = Worker(db, settings, name="w")
    thread = threading.Thread(target=worker.run_one, args=("w",))
    thread.start()
    pids = _pids(out, queued.run_id)
    assert all(alive(p) for p in pids)
    assert service.cancel(ACTOR, queued.run_id) == "requested"
    thread.join(30)
    assert not thread.is_alive()
    assert worker.outcomes[-1].status == "cancelled"
    for pid in pids:
        assert not alive(pid), f"process {pid} of the cancelled job is still running"
    repo = JobRepository(db)
    job = repo.get(queued.job_id)
    assert job.status == "cancelled" and job.finished_at is not None
    assert repo.queue_state(queued.job_id).error == "cancelled by tester"
    assert [e.status for e in repo.events(queued.job_id)] == [
        "pending", "running", "cancel_requested", "cancelled"]


def test_cancel_of_a_pending_job_means_it_never_runs(sqlite_url, make_service, script, out):
    db, settings, service = make_service(sqlite_url, template(script, "ok"))
    queued = service.rerun(ACTOR, seed_original(db))
    assert service.cancel(ACTOR, str(queued.job_id)) == "cancelled"
    worker = Worker(db, settings, name="w")
    assert worker.run_one("w") is False
    assert not (out / "runs.txt").exists()
    assert JobRepository(db).get(queued.job_id).status == "cancelled"


NASTY = "/data/ms/x; rm -rf / $(id) `id` 'q' \"dq\"\nnext line.ms"


def test_values_from_the_database_arrive_as_literal_arguments(sqlite_url, make_service,
                                                              script, out, tmp_path):
    """Shell syntax in an MS path or a registered calibration table path reaches the
    command as one argument each, unchanged: no shell ever sees it."""
    nasty_cal = "/data/cal/$(touch pwned)`id`;x.bpcal"
    db, settings, service = make_service(
        sqlite_url, template(script, "ok", "{ms_path}", "--cal={cal_table}"))
    from factories import MJD0, insert

    with db.transaction() as conn:
        insert(conn, "ms_index", path=NASTY, mid_mjd=MJD0 + 0.5)
        insert(conn, "caltables", path=nasty_cal, valid_start_mjd=MJD0,
               valid_end_mjd=MJD0 + 1)
        original = insert(conn, "jobs", ms_path=NASTY)["id"]
    queued = service.rerun(ACTOR, original, {"cal_table": nasty_cal})
    assert _run_one(db, settings).status == "completed"
    assert argv_of(out, queued.run_id) == ["ok", queued.run_id, NASTY, f"--cal={nasty_cal}"]
    assert not (tmp_path / "pwned").exists() and not list(out.glob("pwned"))
    assert "/" not in queued.run_id and "\n" not in queued.run_id


def test_a_reused_job_id_starts_with_fresh_run_state(sqlite_url, make_service, script, out):
    """SQLite gives a deleted last row's id to the next row: the state we kept for the
    deleted job must not block (or leak into) the new one."""
    import sqlalchemy as sa

    db, settings, service = make_service(sqlite_url, template(script, "ok"))
    original = seed_original(db)
    first = service.rerun(ACTOR, original)
    jobs = db.catalog["jobs"].table
    with db.transaction() as conn:  # someone else deletes the queued job
        conn.execute(sa.delete(jobs).where(jobs.c.id == first.job_id))
    second = service.rerun(ACTOR, original)
    assert second.job_id == first.job_id
    repo = JobRepository(db)
    assert [e.detail for e in repo.events(second.job_id)] == [
        f"queued by tester as a rerun of job {original}"]
    assert _run_one(db, settings).status == "completed"

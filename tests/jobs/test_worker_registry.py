"""Every worker is listed, idle ones too (issue 13): a real `dsa110-dash worker` process
on SQLite and PostgreSQL is idle with its host while it waits, stopped after SIGTERM,
stale once killed; a database without ``dash_workers`` keeps working."""

from __future__ import annotations

import signal
import socket

import pytest

from dsa110_dashboard.db.dashboard_schema import dash_workers
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.queue_status import QueueStatusRepository

from .jobhelpers import settings_with, wait_for, worker_process

STALE = "1.5"


def _listed(db: Database, pid: int, state: str):
    def check():
        for w in QueueStatusRepository(db).summary().workers:
            if w.pid == pid and w.state == state:
                return w
        return None
    return check


def _start(db_url: str, tmp_path, *args: str):
    return worker_process({"DSA110_DASH_DB": db_url,
                           "CONTIMG_LOGS_DIR": str(tmp_path / "logs"),
                           "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT": "0.2",
                           "DSA110_DASH_TIMEOUT_WORKER_POLL": "0.2",
                           "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT_STALE": STALE}, *args)


def _end(proc) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(10)


@pytest.fixture
def queue_db(db_url, tmp_path):
    db = Database(settings_with(db_url, tmp_path,
                                DSA110_DASH_TIMEOUT_JOB_HEARTBEAT_STALE=STALE))
    yield db
    db.dispose()


@pytest.mark.slow
def test_an_idle_worker_is_listed_then_stopped_on_sigterm(db_url, queue_db, tmp_path):
    proc = _start(db_url, tmp_path, "--no-batches")
    try:
        idle = wait_for(_listed(queue_db, proc.pid, "idle"), what="the idle worker")
        assert idle.host == socket.gethostname()
        assert idle.name == f"{socket.gethostname()}:{proc.pid}"
        assert idle.jobs == [] and idle.current_job_id is None
        first = idle.heartbeat_at
        wait_for(lambda: _listed(queue_db, proc.pid, "idle")().heartbeat_at > first,
                 what="the idle worker's heartbeat to move on")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0
    finally:
        _end(proc)
    stopped = _listed(queue_db, proc.pid, "stopped")()
    assert stopped is not None and stopped.stopped_at is not None


@pytest.mark.slow
def test_a_killed_worker_becomes_stale(db_url, queue_db, tmp_path):
    proc = _start(db_url, tmp_path, "--no-batches")
    try:
        wait_for(_listed(queue_db, proc.pid, "idle"), what="the idle worker")
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        _end(proc)
    stale = wait_for(_listed(queue_db, proc.pid, "stale"), what="the dead worker to go stale")
    assert stale.stopped_at is None


@pytest.mark.slow
def test_a_database_without_the_table_still_works(db_url, queue_db, tmp_path):
    with queue_db.transaction() as conn:
        dash_workers.drop(conn)
    queue_db.refresh_catalog()
    proc = _start(db_url, tmp_path, "--no-batches", "--until-idle")
    try:
        output, _ = proc.communicate(timeout=60)
    finally:
        _end(proc)
    assert proc.returncode == 0, output
    assert "dash_workers" not in output
    summary = QueueStatusRepository(queue_db).summary()
    assert summary.workers == [] and summary.by_type == {}

"""The Jobs page's view-models on a real SQLite database, with jobs the queue really ran:
a small script through PIPELINE_CMD_TEMPLATE, run by a worker."""

from __future__ import annotations

import json
import shutil
import threading

import pytest
from factories import MJD0, UNIX0, insert
from jobs.jobhelpers import settings_with, template, wait_for, write_script

from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.jobs.audit import Actor
from dsa110_dashboard.jobs.service import JobService
from dsa110_dashboard.jobs.worker import Worker
from dsa110_dashboard.viewmodels.job_detail import JobDetailModel
from dsa110_dashboard.viewmodels.jobs import JobsModel, QueueModel, duration
from dsa110_dashboard.views.jobs import queue_html

MS = "/data/ms/2025-10-17T14:40:09.ms"
OTHER_MS = "/data/ms/2025-10-18T09:05:00.ms"
OPERATOR = Actor(name="olga", address="127.0.0.1", role="operator")


@pytest.fixture
def out(tmp_path, monkeypatch):
    path = tmp_path / "out"
    path.mkdir()
    monkeypatch.setenv("JOB_TEST_OUT", str(path))
    return path


@pytest.fixture
def setup(tmp_path, sqlite_template, out):
    """A database with two original jobs, and settings whose template runs a script
    (``mode`` chosen per test through ``make``)."""
    path = tmp_path / "pipeline.sqlite3"
    shutil.copy(sqlite_template, path)
    script = write_script(tmp_path)
    made = []

    def make(mode: str = "ok", **env: str):
        settings = settings_with(str(path), tmp_path, template(script, mode), **env)
        db = Database(settings)
        made.append(db)
        return db, settings

    db, _ = make()
    with db.transaction() as conn:
        insert(conn, "ms_index", path=MS, mid_mjd=MJD0 + 0.5, ra_deg=131.25, dec_deg=54.57)
        first = insert(conn, "jobs", type="imaging", status="completed", ms_path=MS,
                       params=json.dumps({"imsize": 1024, "niter": 10000}),
                       artifacts=json.dumps({"image": "/data/images/a-image.fits"}),
                       created_at=UNIX0, started_at=UNIX0 + 1, finished_at=UNIX0 + 60)
        second = insert(conn, "jobs", type="calibration", status="failed", ms_path=OTHER_MS,
                        params=json.dumps({}), created_at=UNIX0 + 100,
                        started_at=UNIX0 + 101, finished_at=UNIX0 + 110)
        insert(conn, "images", path="/data/images/a-image.fits", ms_path=MS,
               created_at=UNIX0 + 59)
    yield make, int(first["id"]), int(second["id"])
    for database in made:
        database.dispose()


def run_all(db, settings) -> None:
    Worker(db, settings, concurrency=1).run(until_idle=True)


def test_filters_sort_and_run_id_text(setup):
    make, first, second = setup
    db, settings = make()
    JobService(db, settings).rerun(OPERATOR, first, {"imsize": "2048"})
    run_all(db, settings)
    model = JobsModel(db)
    model.refresh()
    assert model.total == 3 and model.range_text == "Jobs 1–3 of 3"
    assert model.type_options == ["calibration", "imaging", "pipeline_rerun"]
    rerun = model.rows.iloc[0]  # newest first
    assert rerun["type"] == "pipeline_rerun" and rerun["status"] == "completed"
    assert rerun["requested_by"] == "olga" and rerun["exit_code"] == 0
    assert rerun["rerun_of"] == first and rerun["run_id"].endswith(f"-j{rerun['id']}")

    model.status = "failed"
    model.refresh()
    assert model.rows["id"].tolist() == [second]
    model.param.update(status="", ms="2025-10-17")
    model.refresh()
    assert sorted(model.rows["id"].tolist()) == sorted([first, int(rerun["id"])])
    # A pipeline run id typed in part finds the job by its MS name; the queue's run id
    # (with -j<id>) finds the rerun.
    model.param.update(ms="", run="job-2025-10-18-0905")
    model.refresh()
    assert model.rows["id"].tolist() == [second]
    model.run = f"-j{int(rerun['id'])}"
    model.refresh()
    assert model.rows["id"].tolist() == [int(rerun["id"])]
    model.run = ""
    model.sort_by("type")
    model.refresh()
    assert model.order == "asc"
    assert model.rows["type"].tolist() == ["calibration", "imaging", "pipeline_rerun"]


def test_a_filter_goes_back_to_the_first_page(setup):
    make, *_ = setup
    db, _ = make()
    model = JobsModel(db, page=3)
    model.status = "completed"
    assert model.page == 1


def test_duration():
    assert duration(10.0, 70.0) == 60.0
    assert duration(10.0, None) is None
    assert duration(10.0, None, now=40.0) == 30.0
    assert duration(None, 5.0) is None


def test_detail_of_a_rerun_its_command_artifacts_timeline_and_audit(setup):
    make, first, _ = setup
    db, settings = make()
    result = JobService(db, settings).rerun(OPERATOR, first, {"niter": "500"})
    run_all(db, settings)
    model = JobDetailModel(db, settings, role=Role.OPERATOR, ref=result.run_id)
    model.load()
    d = model.detail
    assert d.job.id == result.job_id and d.job.status == "completed"
    assert d.argv == result.argv and d.argv[1:] == ["ok", result.run_id]
    assert d.state.exit_code == 0 and d.state.overrides == {
        "niter": {"from": 10000, "to": 500}}
    assert [e.status for e in d.events] == ["pending", "running", "completed"]
    assert "starting " + result.run_id in model.log_text and not model.following
    assert model.blocked is None
    # The original: its image, and the rerun in its audit trail.
    original = JobDetailModel(db, settings, role=Role.OPERATOR, ref=str(first))
    original.load()
    assert [p for _i, p in original.detail.images] == ["/data/images/a-image.fits"]
    assert [(a.action, a.result, a.actor) for a in original.detail.audit] == [
        ("rerun", "ok", "olga")]
    assert original.detail.rerun_defaults["imsize"] == "1024"
    assert original.detail.rerun_defaults["phase_center_ra"] == "131.25"


def test_unknown_job_is_not_found(setup):
    make, *_ = setup
    db, settings = make()
    for ref in ("999", "job-2030-01-01-000000", "nonsense"):
        model = JobDetailModel(db, settings, ref=ref)
        model.load()
        assert model.detail is None and model.not_found, ref


def test_rerun_form_refuses_a_bad_value_beside_its_field(setup):
    make, first, _ = setup
    db, settings = make()
    model = JobDetailModel(db, settings, role=Role.OPERATOR, ref=str(first))
    model.load()
    values = dict(model.detail.rerun_defaults, imsize="1024; touch x")
    model.rerun(OPERATOR, values)
    assert list(model.rerun_errors) == ["imsize"] and "imsize" in model.rerun_errors["imsize"]
    assert not model.action_ok and model.new_job_id is None
    # Untouched prefilled fields are not overrides; a changed one is.
    model.rerun(OPERATOR, dict(model.detail.rerun_defaults, robust="1.5"))
    assert model.action_ok and model.rerun_errors == {}
    queued = JobDetailModel(db, settings, ref=str(model.new_job_id))
    queued.load()
    assert queued.detail.job.status == "pending"
    assert queued.detail.state.overrides == {"robust": {"from": None, "to": 1.5}}
    assert queued.following  # a pending job's log is followed once it appears


def test_viewer_and_read_only_are_blocked_with_the_reason(setup, tmp_path):
    make, first, _ = setup
    db, settings = make()
    viewer = JobDetailModel(db, settings, role=Role.VIEWER, ref=str(first))
    viewer.load()
    assert "viewer" in viewer.blocked
    ro_db, ro_settings = make(DSA110_DASH_READ_ONLY="1")
    ro = JobDetailModel(ro_db, ro_settings, role=Role.OPERATOR, ref=str(first))
    ro.load()
    assert "read-only" in ro.blocked
    off_db, off_settings = make()
    off = JobDetailModel(off_db, settings_with(str(tmp_path / "pipeline.sqlite3"),
                                               tmp_path), role=Role.OPERATOR,
                         ref=str(first))
    off.load()
    assert off.blocked is None and "PIPELINE_CMD_TEMPLATE" in off.rerun_off  # cancel stays


def test_log_tail_follows_a_running_job_and_stops_when_it_ends(setup, out):
    make, first, _ = setup
    db, settings = make("sleep")
    result = JobService(db, settings).rerun(OPERATOR, first, {})
    worker = Worker(db, settings, concurrency=1)
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        model = JobDetailModel(db, settings, role=Role.OPERATOR, ref=str(result.job_id))
        model.load()
        assert model.following
        wait_for(lambda: (model.apply_poll(model.poll_log()),
                          "starting" in model.log_text)[1], what="the log's first line")
        assert model.following
        model.cancel(OPERATOR)
        assert model.action_ok and "Cancel requested" in model.action_message

        def ended() -> bool:
            model.apply_poll(model.poll_log())
            return not model.following

        wait_for(ended, what="following to stop")
        assert model.jobs.status_of(result.job_id) == "cancelled"
    finally:
        worker.stop()
        thread.join(30)


def test_queue_summary_counts_pending_per_type_and_the_running_worker(setup, out):
    make, first, _ = setup
    db, settings = make()
    service = JobService(db, settings)
    service.rerun(OPERATOR, first, {})
    service.rerun(OPERATOR, first, {})
    model = QueueModel(db)
    model.refresh()
    assert model.summary.by_type == {"pipeline_rerun": {"pending": 2, "running": 0}}
    assert model.summary.oldest_pending_at is not None and model.summary.workers == []
    html = queue_html(model.summary, stale_after=60)
    assert "<b>2</b> pending" in html and "oldest pending job has waited" in html
    assert "Oldest pending waited" in html
    assert list(model.summary.oldest_pending_by_type) == ["pipeline_rerun"]
    run_all(db, settings)
    model.refresh()
    assert model.summary.by_type == {} and model.summary.oldest_pending_at is None


@pytest.mark.parametrize("typed, fragment", [
    ("job-2025-10-17-144009", "2025-10-17T14:40:09"),
    ("job-2025-10-17-1440", "2025-10-17T14:40"),
    ("2025-10-17-14", "2025-10-17T14"),
    ("job-2025-10", "2025-10"),
    ("-j17", "-j17"),
])
def test_a_run_id_typed_in_part_is_looked_for_in_the_ms_name(typed, fragment):
    from dsa110_dashboard.repositories.jobs import ms_fragment_of_run_id

    assert ms_fragment_of_run_id(typed) == fragment


def test_the_role_is_the_signed_in_users_and_an_unreadable_session_is_a_viewer(setup):
    make, first, _ = setup
    db, settings = make(DSA110_DASH_ROLES="olga=operator",
                        DSA110_DASH_OPEN_ACCESS_ROLE="operator")
    olga = JobDetailModel(db, settings, identify=lambda: "olga", ref=str(first))
    olga.load()
    assert olga.role == Role.OPERATOR and olga.blocked is None
    assert olga.actor("10.0.0.7") == Actor(name="olga", address="10.0.0.7", role="operator")
    # Sign-in on, session unreadable: never the open-access role.
    nobody = JobDetailModel(db, settings, identify=lambda: "", ref=str(first))
    nobody.load()
    assert nobody.role == Role.VIEWER and "viewer" in nobody.blocked
    # Sign-in off: the open-access role, acting as "anonymous".
    open_access = JobDetailModel(db, settings, identify=lambda: None, ref=str(first))
    open_access.load()
    assert open_access.role == Role.OPERATOR
    assert open_access.actor(None).name == "anonymous"


def test_a_pipeline_database_without_our_tables_reads_and_refuses_actions(tmp_path):
    """The pipeline's own schema only (never upgraded), opened read-only as in production."""
    import sqlalchemy as sa

    from dsa110_dashboard.db import schema

    path = tmp_path / "pipeline.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        insert(conn, "jobs", type="imaging", status="failed", ms_path=MS, logs="boom",
               created_at=UNIX0, started_at=UNIX0 + 1, finished_at=UNIX0 + 9)
    engine.dispose()
    settings = settings_with(str(path), tmp_path, "echo {run_id}",
                             DSA110_DASH_READ_ONLY="1")
    db = Database(settings)
    try:
        assert not db.catalog.has_table("dash_job_state")
        jobs = JobsModel(db)
        jobs.run = "job-2025-10-17"
        jobs.refresh()
        assert jobs.total == 1 and jobs.rows["requested_by"].tolist() == [None]
        queue = QueueModel(db)
        queue.refresh()
        assert queue.summary.workers == [] and queue.error is None
        model = JobDetailModel(db, settings, role=Role.OPERATOR,
                               ref="job-2025-10-17-144009")
        model.load()
        assert model.detail.state is None and model.detail.events == ()
        assert model.detail.audit == () and "read-only" in model.blocked
        assert model.log_text == "boom"  # no file: the lines the database kept
    finally:
        db.dispose()


def test_the_queue_card_lists_idle_stale_and_stopped_workers():
    from dsa110_dashboard.repositories.queue_status import QueueSummary, WorkerSeen

    now = UNIX0 + 1000
    workers = [WorkerSeen("h1:10", "h1", now - 1, pid=10, started_at=UNIX0, state="idle"),
               WorkerSeen("h2:20", "h2", now - 1, pid=20, started_at=UNIX0,
                          current_job_id=7, state="running"),
               WorkerSeen("h3:30", "h3", now - 500, pid=30, started_at=UNIX0, state="stale"),
               WorkerSeen("h4:40", "h4", now - 9, pid=40, started_at=UNIX0,
                          stopped_at=now - 9, state="stopped")]
    html = queue_html(QueueSummary({}, None, workers), stale_after=60, now=now)
    for state in ("idle", "running", "stale", "stopped"):
        assert f"dsa-status-{state}" in html
    assert "job 7" in html and "No worker seen lately" not in html
    assert "No worker seen lately" in queue_html(QueueSummary({}, None, []), 60, now)


def test_a_refusal_recorded_by_run_id_is_in_the_jobs_audit_trail(setup):
    """An action asked for by run id and refused before the reference was resolved (here:
    a viewer's) is recorded under the run id; the job's trail finds it by either name."""
    from dsa110_dashboard.errors import ForbiddenError
    from dsa110_dashboard.repositories.jobs import JobRepository

    make, first, _ = setup
    db, settings = make()
    result = JobService(db, settings).rerun(OPERATOR, first)
    viewer = Actor(name="vera", address="127.0.0.1", role="viewer")
    with pytest.raises(ForbiddenError):
        JobService(db, settings).cancel(viewer, result.run_id)
    JobService(db, settings).cancel(OPERATOR, result.job_id)
    assert JobRepository(db).get(result.job_id).run_id == result.run_id
    for ref in (result.run_id, str(result.job_id)):
        model = JobDetailModel(db, settings, role=Role.OPERATOR, ref=ref)
        model.load()
        assert [(a.action, a.result, a.actor) for a in model.detail.audit] == [
            ("cancel", "ok", "olga"), ("cancel", "refused", "vera")], ref

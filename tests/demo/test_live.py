"""The live demo: a simulated pipeline queues observations, a worker really images them
through the command template, and a rerun really makes the image again."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.demo import live as live_module
from dsa110_dashboard.demo.live import LivePipeline, demo_template
from dsa110_dashboard.demo.live_command import main as live_command
from dsa110_dashboard.jobs.audit import Actor
from dsa110_dashboard.jobs.service import JobService
from dsa110_dashboard.jobs.worker import Worker
from dsa110_dashboard.repositories.jobs import JobRepository
from dsa110_dashboard.settings import Settings


@pytest.fixture
def live(small_demo, tmp_path, monkeypatch):
    out = tmp_path / "data"
    shutil.copytree(small_demo.out_dir, out)
    env = {"DSA110_DASH_DB": str(out / "pipeline.sqlite3"), "DSA110_DASH_DATA_DIR": str(out),
           "CONTIMG_LOGS_DIR": str(out / "logs"), "PIPELINE_CMD_TEMPLATE": demo_template(),
           "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT": "0.5"}
    for key, value in env.items():
        monkeypatch.setenv(key, value)  # the command finds the database as a worker's child
    settings = Settings.load()
    db = Database(settings)
    yield db, settings, out
    db.dispose()


def count(db, table, **where) -> int:
    t = db.catalog[table].table
    stmt = sa.select(sa.func.count()).select_from(t)
    for key, value in where.items():
        stmt = stmt.where(t.c[key] == value)
    with db.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


@pytest.mark.slow
def test_an_observation_is_imaged_and_a_rerun_images_it_again(live, monkeypatch):
    db, settings, out = live
    monkeypatch.setattr(live_module, "FAIL_RATE", 0.0)
    images_before = count(db, "images")
    job_id, run_id = LivePipeline(db, settings, out).observe()
    repo = JobRepository(db)
    job = repo.get(job_id)
    assert (job.status, job.type) == ("pending", "imaging")
    ms_path = job.ms_path
    assert count(db, "ms_index", path=ms_path, status="pending") == 1

    worker = Worker(db, settings, name="demo-worker")
    assert worker.run_one("demo-worker")
    assert repo.get(job_id).status == "completed", repo.get(job_id).logs
    assert count(db, "images") == images_before + 1
    image = db.catalog["images"].table
    with db.connect() as conn:
        path = conn.execute(sa.select(image.c.path).where(image.c.ms_path == ms_path)
                            ).scalar_one()
    n_phot = count(db, "photometry", image_path=path)
    assert n_phot > 10 and count(db, "image_qa", image_path=path) == 1
    assert count(db, "ms_index", path=ms_path, status="completed") == 1
    # The job records the image it made, and its QA row names the job (the job page
    # and the image page's provenance link each other through these).
    assert repo.get(job_id).artifacts == {"image": path}
    assert count(db, "image_qa", image_path=path, job_id=job_id) == 1
    # Our summary row came with it (decision 0033).
    with db.connect() as conn:
        image_id = conn.execute(sa.select(image.c.id).where(image.c.path == path)).scalar_one()
    assert count(db, "dash_image_summary", image_id=image_id) == 1
    assert "forced photometry" in (out / "logs" / f"{run_id}.log").read_text()
    first_bytes = (out / path.split(str(out) + "/")[1]).read_bytes()

    rerun = JobService(db, settings).rerun(Actor.cli(), job_id)
    assert worker.run_one("demo-worker")
    assert repo.get(rerun.job_id).status == "completed", repo.get(rerun.job_id).logs
    # The same image, drawn again (new noise), its products replaced, not duplicated.
    assert (out / path.split(str(out) + "/")[1]).read_bytes() != first_bytes
    assert count(db, "images") == images_before + 1
    assert count(db, "photometry", image_path=path) == pytest.approx(n_phot, abs=3)
    assert count(db, "image_qa", image_path=path) == 2
    assert repo.get(rerun.job_id).artifacts == {"image": path}


def test_some_runs_fail_as_the_imaging_step_does(live, capsys):
    db, settings, out = live
    code = live_command(["--ms", str(out / "ms" / "2030-01-01T00:00:00.ms"), "--run-id",
                         "job-x", "--ra", "130", "--dec", "54.57", "--fail-rate", "1"])
    assert code == 137
    assert "wsclean exited with status 137" in capsys.readouterr().err


def test_the_demo_command_writes_only_under_the_data_roots(live):
    from dsa110_dashboard.errors import ForbiddenPathError

    with pytest.raises(ForbiddenPathError):
        live_command(["--ms", "/etc/ms/2030-01-01T00:00:00.ms", "--run-id", "job-x",
                      "--ra", "130", "--dec", "54.57"])


def test_demo_live_queues_at_once_and_stops_on_sigterm(live):
    import os
    import signal
    import subprocess
    import sys

    from jobs.jobhelpers import wait_for

    db, settings, out = live
    before = JobRepository(db).page().total
    proc = subprocess.Popen([sys.executable, "-m", "dsa110_dashboard.cli.main", "demo",
                             "--live", "--out", str(out)],
                            env={**os.environ, "DSA110_DASH_DEMO_LIVE_INTERVAL": "600"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: JobRepository(db).page().total == before + 1, timeout=60,
                 what="the first observation")
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, output
    assert "queued imaging job" in output
    job = JobRepository(db).get(int(JobRepository(db).page().rows["id"].max()))
    assert (job.status, job.type) == ("pending", "imaging")

"""Batches over real FITS images and real databases: the same results on the local
process pool and on a Dask ``LocalCluster``, per-item errors, cancel, resume, reruns."""

from __future__ import annotations

import shutil
import threading

import pytest
import sqlalchemy as sa

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import ConflictError, InvalidInputError
from dsa110_dashboard.fits.synth import sky_image, write_dsa110_fits
from dsa110_dashboard.jobs.batch import BatchService
from dsa110_dashboard.jobs.batch_kinds import Selection
from dsa110_dashboard.jobs.batch_runner import BatchRunner, batch_work_source
from dsa110_dashboard.jobs.worker import Worker
from dsa110_dashboard.repositories.audit import AuditRepository
from dsa110_dashboard.repositories.jobs import BatchJobRepository
from factories import insert

from .conftest import seed_original
from .jobhelpers import ACTOR, settings_with, template

N_IMAGES = 5


def seed_images(db: Database, data_dir, n: int = N_IMAGES) -> list[str]:
    """``n`` small FITS images with different noise and sources, registered as 5min."""
    paths = []
    (data_dir / "images").mkdir(parents=True, exist_ok=True)
    with db.transaction() as conn:
        for i in range(n):
            path = data_dir / "images" / f"2025-10-17T0{i}:00:00-image.fits"
            pixels = sky_image((160, 160), [(60 + 5 * i, 70, 0.2 * (i + 1))],
                               noise=1e-3 * (i + 1), beam_fwhm_pix=4, seed=i)
            write_dsa110_fits(path, pixels, 130.0 + i, 54.57, 20.0)
            insert(conn, "images", path=str(path),
                   ms_path=f"/data/ms/2025-10-17T0{i}:00:00.ms", type="5min")
            paths.append(str(path))
    return paths


def qa_rows(db: Database) -> list[tuple]:
    t = db.catalog["image_qa"].table
    with db.connect() as conn:
        return [tuple(r) for r in conn.execute(
            sa.select(t.c.image_path, t.c.ms_path, t.c.job_id, t.c.rms_noise, t.c.peak_flux,
                      t.c.dynamic_range, t.c.beam_major, t.c.overall_quality)
            .order_by(t.c.image_path))]


@pytest.fixture
def image_db(tmp_path, sqlite_url):
    settings = settings_with(sqlite_url, tmp_path)
    db = Database(settings)
    paths = seed_images(db, tmp_path / "data")
    yield db, settings, paths
    db.dispose()


def run_batch(db, settings, kind, selection, options=None, scheduler=None, progress=None):
    started = BatchService(db, settings).start(ACTOR, kind, selection, options,
                                               runner="here")
    runner = BatchRunner(db, settings, "here", scheduler=scheduler, progress=progress)
    assert runner.claim(started.batch_id) == started.batch_id
    return runner.run(started.batch_id)


@pytest.mark.slow
def test_qa_batch_gives_the_same_rows_on_the_local_pool_and_on_a_dask_cluster(
        image_db, tmp_path, sqlite_template):
    from distributed import LocalCluster

    db, settings, paths = image_db
    local = run_batch(db, settings, "qa", Selection(images="type=5min"))
    assert (local.status, local.done, local.failed) == ("done", N_IMAGES, 0)
    assert local.executor.startswith("local pool")
    on_pool = qa_rows(db)
    assert len(on_pool) == N_IMAGES
    assert all(r[2] == 0 and r[3] and r[4] and r[7] != "unknown" for r in on_pool)

    other = tmp_path / "other.sqlite3"
    shutil.copy(sqlite_template, other)
    db2 = Database(settings_with(str(other), tmp_path))
    try:
        seed_images(db2, tmp_path / "data")
        with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                          dashboard_address=None) as cluster:
            dask = run_batch(db2, db2.settings, "qa", Selection(images="type=5min"),
                             scheduler=cluster.scheduler_address)
        assert dask.executor.startswith("dask ")
        assert (dask.status, dask.done) == ("done", N_IMAGES)
        assert qa_rows(db2) == on_pool
    finally:
        db2.dispose()


def test_item_errors_are_recorded_and_fail_the_batch(image_db, tmp_path):
    db, settings, paths = image_db
    (tmp_path / "data" / "images" / "broken-image.fits").write_bytes(b"SIMPLE  = T" * 5)
    with db.transaction() as conn:
        insert(conn, "images", path=str(tmp_path / "data/images/broken-image.fits"),
               type="5min")
        insert(conn, "images", path="/etc/passwd", type="5min")
    seen = []
    summary = run_batch(db, settings, "thumbnails", Selection(images=""),
                        progress=lambda done, total, what: seen.append((done, total)))
    assert (summary.status, summary.done, summary.failed) == ("failed", N_IMAGES, 2)
    assert seen[-1] == (N_IMAGES + 2, N_IMAGES + 2)
    record = BatchJobRepository(db).get(summary.batch_id)
    errors = {i.error for i in record.items if i.status == "failed"}
    assert any("outside the configured data roots" in e for e in errors)
    assert record.derived_status == record.status == "failed"
    assert (record.completed_items, record.failed_items) == (N_IMAGES, 2)
    assert len(list((tmp_path / "data" / "cache" / "thumbnails").rglob("*.png"))) >= N_IMAGES
    [entry] = AuditRepository(db).entries("batch", summary.batch_id)
    assert (entry.action, entry.result, entry.actor) == ("batch_start", "ok", "tester")


def test_bad_selections_are_refused_naming_the_input(image_db):
    db, settings, _ = image_db
    service = BatchService(db, settings)
    with pytest.raises(InvalidInputError, match="unknown parameter 'colour'"):
        service.start(ACTOR, "qa", Selection(images="colour=red"))
    with pytest.raises(InvalidInputError, match="matches nothing"):
        service.start(ACTOR, "qa", Selection(images="type=mosaic"))
    with pytest.raises(InvalidInputError, match="unknown batch kind 'rm -rf'"):
        service.start(ACTOR, "rm -rf", Selection(images=""))
    with pytest.raises(InvalidInputError, match="give --images"):
        service.start(ACTOR, "thumbnails", Selection(ms=("/data/ms/x.ms",)))
    with pytest.raises(InvalidInputError, match="cmap"):
        service.start(ACTOR, "thumbnails", Selection(images=""),
                      {"thumbnail": {"cmap": "$(id)"}})
    assert BatchJobRepository(db).page().total == 0
    assert [e.result for e in AuditRepository(db).entries("batch")] == ["refused"] * 5


def test_cancel_stops_a_running_batch_and_a_queued_one(image_db):
    db, settings, _ = image_db
    service = BatchService(db, settings)
    queued = service.start(ACTOR, "qa", Selection(images=""))  # nobody runs it
    assert service.cancel(ACTOR, queued.batch_id) == "cancelled"
    record = BatchJobRepository(db).get(queued.batch_id)
    assert record.counts.cancelled == N_IMAGES and record.status == "done"
    with pytest.raises(ConflictError, match="finished"):
        service.cancel(ACTOR, queued.batch_id)

    settings1 = settings_with(settings.db, settings.data_dir.parent,
                              DSA110_DASH_BATCH_WORKERS="1")
    started = service.start(ACTOR, "qa", Selection(images=""), runner="here")

    def cancel_after_first(done, total, what):
        if done == 1:
            assert service.cancel(ACTOR, started.batch_id) == "requested"

    runner = BatchRunner(db, settings1, "here", progress=cancel_after_first)
    runner.claim(started.batch_id)
    summary = runner.run(started.batch_id)
    record = BatchJobRepository(db).get(started.batch_id)
    assert record.counts.done >= 1 and record.counts.cancelled >= 1
    assert record.counts.pending == record.counts.running == 0
    assert record.counts.done + record.counts.cancelled == N_IMAGES
    assert summary.status == "done"


def test_an_interrupted_batch_resumes_where_it_stopped(image_db):
    db, settings, _ = image_db
    started = BatchService(db, settings).start(ACTOR, "qa", Selection(images=""),
                                               runner="dead-runner")
    items = db.catalog["batch_job_items"].table
    with db.transaction() as conn:  # the dead runner had finished one, started another
        ids = conn.execute(sa.select(items.c.id).order_by(items.c.id)).scalars().all()
        conn.execute(sa.update(items).where(items.c.id == ids[0]).values(status="done"))
        conn.execute(sa.update(items).where(items.c.id == ids[1]).values(status="running"))
    runner = BatchRunner(db, settings, "rescuer")
    assert runner.claim(started.batch_id) is None  # its runner's heartbeat is fresh
    assert "dead-runner" in runner.why_not_runnable(started.batch_id)
    later = BatchRunner(db, settings, "rescuer",
                        clock=lambda: 10_000_000_000.0)  # long after the heartbeat
    assert later.claim(started.batch_id) == started.batch_id
    summary = later.run(started.batch_id)
    assert (summary.status, summary.done) == ("done", N_IMAGES)
    assert len(qa_rows(db)) == N_IMAGES - 1  # the item done before was not run again


def test_a_worker_runs_a_queued_batch(image_db):
    db, settings, _ = image_db
    started = BatchService(db, settings).start(ACTOR, "qa", Selection(images=""))
    assert batch_work_source(db, settings)(threading.Event(), "w1") is True
    assert BatchJobRepository(db).get(started.batch_id).status == "done"
    assert batch_work_source(db, settings)(threading.Event(), "w1") is False


def test_variability_batch_matches_the_recompute(db_url, make_service, tmp_path):
    from dsa110_dashboard.jobs.variability import recompute_variability
    from dsa110_dashboard.repositories.variability import VariabilityRepository

    db, settings, _ = make_service(db_url, None)
    with db.transaction() as conn:
        for s in range(3):
            for e in range(4):
                insert(conn, "photometry", source_id=f"S{s}", mjd=60000.0 + e,
                       flux_jy=0.01 * (s + 1) + 0.001 * e, flux_err_jy=0.001)
    summary = run_batch(db, settings, "variability", Selection(sources="all"),
                        {"now": 1.0e9})
    assert (summary.status, summary.done) == ("done", 1)
    t = db.catalog["dash_variability"].table
    with db.connect() as conn:
        by_batch = conn.execute(sa.select(t).order_by(t.c.source_id)).all()
    recompute_variability(db, now=1.0e9)
    with db.connect() as conn:
        by_recompute = conn.execute(sa.select(t).order_by(t.c.source_id)).all()
    assert by_batch == by_recompute and len(by_batch) == 3
    assert VariabilityRepository  # the pages read the same table


def test_a_rerun_batch_queues_jobs_that_settle_its_items(sqlite_url, make_service, script,
                                                         out):
    db, settings, _ = make_service(sqlite_url, template(script, "ok"))
    seed_original(db)
    with db.transaction() as conn:
        insert(conn, "ms_index", path="/data/ms/never-processed.ms")
    summary = run_batch(db, settings, "rerun",
                        Selection(ms=("/data/ms/2025-10-17T14:40:09.ms",
                                      "/data/ms/never-processed.ms")),
                        {"overrides": {"imsize": "2048"}})
    record = BatchJobRepository(db).get(summary.batch_id)
    assert record.counts.running == 1 and record.counts.failed == 1
    assert record.derived_status == "running"
    Worker(db, settings, name="w").run(until_idle=True)
    record = BatchJobRepository(db).get(summary.batch_id)
    assert record.status == record.derived_status == "failed"  # the MS without a job
    done = next(i for i in record.items if i.status == "done")
    assert done.job_id is not None
    failed = next(i for i in record.items if i.status == "failed")
    assert failed.error == "no job of this measurement set to rerun"

"""``dsa110-dash jobs``, ``worker`` and ``batch`` as an operator types them."""

from __future__ import annotations

import getpass
import shutil
import threading

import pytest

from dsa110_dashboard.cli.main import main
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.audit import AuditRepository
from dsa110_dashboard.repositories.jobs import JobRepository
from dbsupport import settings_for

from jobs.conftest import seed_original
from jobs.jobhelpers import template, write_script
from jobs.test_batches import seed_images


@pytest.fixture
def env(monkeypatch, tmp_path, sqlite_template):
    for var in ("DSA110_DASH_DB", "PIPELINE_DB", "PIPELINE_PRODUCTS_DB",
                "PIPELINE_CAL_REGISTRY_DB", "DSA110_DASH_READ_ONLY",
                "PIPELINE_CMD_TEMPLATE", "DSA110_PIPELINE_RUN_CMD"):
        monkeypatch.delenv(var, raising=False)
    path = tmp_path / "pipeline.sqlite3"
    shutil.copy(sqlite_template, path)
    out = tmp_path / "out"
    out.mkdir()
    script = write_script(tmp_path)
    values = {"DSA110_DASH_DB": str(path), "DSA110_DASH_DATA_DIR": str(tmp_path / "data"),
              "CONTIMG_LOGS_DIR": str(tmp_path / "data" / "logs"),
              "PIPELINE_CMD_TEMPLATE": template(script, "ok", "{ms_path}"),
              "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT": "0.2",
              "DSA110_DASH_TIMEOUT_WORKER_POLL": "0.2", "JOB_TEST_OUT": str(out)}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    db = Database(settings_for(str(path)))
    original = seed_original(db)
    yield {"db": db, "original": original, "tmp": tmp_path, "script": script}
    db.dispose()


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_rerun_worker_list_show_logs(env, capsys):
    original = env["original"]
    code, out, err = run(capsys, "jobs", "rerun", "job-2025-10-17-144009", "--set",
                         "imsize=2048", "--set", "weighting=uniform")
    assert code == 0, err
    job_id = JobRepository(env["db"]).page().rows["id"].max()
    run_id = f"job-2025-10-17-144009-j{job_id}"
    assert f"queued job {job_id} ({run_id}): rerun of job {original}" in out
    assert "imsize: 1024 -> 2048" in out and "weighting: 'briggs' -> 'uniform'" in out

    code, out, err = run(capsys, "jobs", "list", "--status", "pending")
    assert code == 0 and run_id in out and "pipeline_rerun" in out
    assert "2025-10-17T14:40:09.ms" in out and "imaging" not in out

    assert run(capsys, "worker", "--until-idle")[0] == 0
    code, out, err = run(capsys, "jobs", "show", run_id)
    assert code == 0
    assert "status      completed" in out and "exit code   0" in out
    assert "history:" in out and "audit trail:" not in out  # the audit is on the original
    code, out, err = run(capsys, "jobs", "show", str(original))
    assert f"rerun    ok       cli:{getpass.getuser()} (local)" in out

    code, out, err = run(capsys, "jobs", "logs", run_id)
    assert code == 0 and "all good" in out and "completed" in out
    code, out, err = run(capsys, "jobs", "logs", run_id, "--tail", "1")
    assert out.count("\n") == 1 and "completed" in out

    entry = AuditRepository(env["db"]).entries("job", original)[0]
    assert (entry.actor, entry.address, entry.result) == (
        f"cli:{getpass.getuser()}", "local", "ok")


def test_follow_prints_until_the_job_ends(env, capsys, monkeypatch):
    monkeypatch.setenv("PIPELINE_CMD_TEMPLATE", template(env["script"], "fail"))
    assert run(capsys, "jobs", "rerun", str(env["original"]))[0] == 0
    job_id = int(JobRepository(env["db"]).page().rows["id"].max())
    from dsa110_dashboard.jobs.worker import Worker
    from dsa110_dashboard.settings import Settings

    settings = Settings.load()
    worker_db = Database(settings)
    worker = threading.Thread(target=Worker(worker_db, settings).run,
                              kwargs={"until_idle": True})
    worker.start()
    code, out, err = run(capsys, "jobs", "logs", str(job_id), "--follow")
    worker.join(60)
    worker_db.dispose()
    assert code == 0
    assert "ValueError: bad visibilities" in out and "failed: exit code 3" in out


def test_refusals_are_one_clear_line(env, capsys, monkeypatch):
    original = str(env["original"])
    code, out, err = run(capsys, "jobs", "rerun", original, "--set", "imsize=1024; touch x")
    assert code == 1
    assert err.strip() == ("dsa110-dash: invalid input: imsize: '1024; touch x' is not a "
                           "whole number >= 128 and <= 16384")
    code, out, err = run(capsys, "jobs", "rerun", original, "--set", "imsize")
    assert code == 1 and "not of the form key=value" in err
    code, out, err = run(capsys, "jobs", "cancel", original)
    assert code == 1 and "not queued by the dashboard" in err
    code, out, err = run(capsys, "jobs", "show", "42424242")
    assert code == 1 and "no job 42424242" in err
    code, out, err = run(capsys, "--read-only", "true", "jobs", "rerun", original)
    assert code == 1 and "read-only" in err
    monkeypatch.delenv("PIPELINE_CMD_TEMPLATE")
    code, out, err = run(capsys, "jobs", "rerun", original)
    assert code == 1 and "not configured" in err and "PIPELINE_CMD_TEMPLATE" in err
    monkeypatch.setenv("PIPELINE_CMD_TEMPLATE", "run --ms {ms_path} {nonsense}")
    code, out, err = run(capsys, "jobs", "list")
    assert code == 2 and "PIPELINE_CMD_TEMPLATE: unknown placeholder {nonsense}" in err
    results = [e.result for e in AuditRepository(env["db"]).entries()]
    assert results.count("refused") == 3  # bad value, cancel, no template (reads are not audited)


def test_cancel_of_a_pending_job(env, capsys):
    run(capsys, "jobs", "rerun", str(env["original"]))
    job_id = str(JobRepository(env["db"]).page().rows["id"].max())
    code, out, err = run(capsys, "jobs", "cancel", job_id)
    assert code == 0 and "cancelled before it started" in out
    code, out, err = run(capsys, "jobs", "list", "--status", "cancelled")
    assert job_id in out


def test_batch_start_list_show_cancel(env, capsys):
    seed_images(env["db"], env["tmp"] / "data", n=3)
    code, out, err = run(capsys, "batch", "start", "qa", "--images", "type=5min")
    assert code == 0, err
    assert "batch 1: qa over 3 item(s)" in out and "batch 1 done: 3 done, 0 failed" in out
    assert "3/3" in err  # the progress bar
    code, out, err = run(capsys, "batch", "list")
    assert code == 0 and "qa" in out and "3/3 (3 done, 0 failed, 0 cancelled)" in out
    code, out, err = run(capsys, "batch", "show", "1")
    assert "local pool" in out and "batch_start ok" in out
    code, out, err = run(capsys, "batch", "cancel", "1")
    assert code == 1 and "has finished (done)" in err
    code, out, err = run(capsys, "batch", "start", "qa", "--images", "type=5min", "--queue")
    assert code == 0 and "queued for the workers" in err
    code, out, err = run(capsys, "batch", "cancel", "2")
    assert code == 0 and "batch 2: cancelled" in out
    code, out, err = run(capsys, "batch", "start", "qa", "--images", "grade=superb")
    assert code == 1 and "unknown QA grade 'superb'" in err


def test_batch_qa_over_images_never_assessed_then_by_id(env, capsys):
    seed_images(env["db"], env["tmp"] / "data", n=3)
    code, out, err = run(capsys, "batch", "start", "qa", "--image-id", "2")
    assert code == 0, err
    assert "batch 1: qa over 1 item(s)" in out and "batch 1 done: 1 done, 0 failed" in out
    code, out, err = run(capsys, "batch", "start", "qa", "--images", "grade=unknown")
    assert code == 0 and "batch 2: qa over 2 item(s)" in out  # 2 was assessed already
    code, out, err = run(capsys, "batch", "start", "qa", "--images", "grade=unknown")
    assert code == 1 and "matches nothing" in err
    code, out, err = run(capsys, "batch", "start", "qa", "--image-id", "2", "--image-id",
                         "3")
    assert code == 0 and "batch 3 done: 2 done, 0 failed" in out
    code, out, err = run(capsys, "batch", "start", "qa", "--image-id", "99")
    assert code == 1 and "no image with id 99" in err
    code, out, err = run(capsys, "batch", "start", "qa", "--image-id", "2", "--images", "")
    assert code == 1 and "not both" in err


@pytest.mark.parametrize("command", ["jobs", "batch"])
def test_listings_are_one_shape_bounded_by_the_page_size_setting(env, capsys, monkeypatch,
                                                                  command):
    """jobs list and batch list share cli/listing.py: newest first, "N of TOTAL" on
    standard error, and --limit bounded by DSA110_DASH_PAGE_SIZE_MAX like the API."""
    monkeypatch.setenv("DSA110_DASH_PAGE_SIZE_MAX", "1")
    code, out, err = run(capsys, command, "list", "--limit", "1")
    assert code == 0 and out.split()[0] == "id" and " of " in err
    code, out, err = run(capsys, command, "list", "--limit", "2")
    assert code == 1 and "--limit must be between 1 and 1" in err

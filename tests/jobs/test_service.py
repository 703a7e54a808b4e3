"""Rerun and cancel as an operator asks for them: configuration from the database,
validated overrides, refusals with clear messages, and an audit row for each."""

from __future__ import annotations

import dataclasses

import pytest

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import (
    ConflictError,
    InvalidInputError,
    NotConfiguredError,
    NotFoundError,
    ReadOnlyError,
)
from dsa110_dashboard.jobs.service import JobService, operator_actions_unavailable
from dsa110_dashboard.repositories.audit import AuditRepository
from dsa110_dashboard.repositories.jobs import JobFilter, JobRepository
from factories import insert

from .conftest import CAL, MS, seed_original
from .jobhelpers import ACTOR, template

FULL = ("{ms_path} {run_id} {cal_table} {phase_center_ra} {phase_center_dec} "
        "{imsize} {niter} {robust} {weighting}")


def test_rerun_takes_its_configuration_from_the_database(db_url, make_service, script):
    db, settings, service = make_service(db_url, f"{script} ok " + FULL)
    original = seed_original(db)
    result = service.rerun(ACTOR, original)
    assert result.argv == [str(script), "ok", MS, result.run_id, ",".join(CAL), "131.25",
                           "54.57", "1024", "10000", "0.5", "briggs"]
    assert result.changed == {}
    job = JobRepository(db).get(result.job_id)
    assert job.status == "pending" and job.type == "pipeline_rerun" and job.ms_path == MS
    assert job.params == {"imsize": 1024, "niter": 10000, "robust": 0.5,
                          "weighting": "briggs", "note": "kept", "rerun_of": original}
    state = JobRepository(db).queue_state(result.job_id)
    assert state.rerun_of == original and state.requested_by == "tester"
    assert state.command == result.argv
    [entry] = AuditRepository(db).entries("job", original)
    assert (entry.actor, entry.address, entry.action, entry.result) == (
        "tester", "127.0.0.1", "rerun", "ok")
    assert entry.detail["new_job"] == result.job_id


def test_overrides_apply_and_only_real_changes_are_recorded(db_url, make_service, script):
    db, settings, service = make_service(db_url, f"{script} ok " + FULL)
    original = seed_original(db)
    result = service.rerun(ACTOR, original, {"imsize": "2048", "niter": "10000",
                                             "phase_center_dec": "54.6",
                                             "cal_table": CAL[1]})
    assert result.changed == {"imsize": {"from": 1024, "to": 2048},
                              "phase_center_dec": {"from": 54.57, "to": 54.6},
                              "cal_table": {"from": ",".join(CAL), "to": CAL[1]}}
    assert result.argv[4:] == [CAL[1], "131.25", "54.6", "2048", "10000", "0.5", "briggs"]
    assert JobRepository(db).get(result.job_id).params["imsize"] == 2048
    assert JobRepository(db).queue_state(result.job_id).overrides == result.changed


@pytest.mark.parametrize("key, value, words", [
    ("imsize", "1024; touch x", "imsize: '1024; touch x' is not a whole number"),
    ("imsize", "99", "imsize: '99' is not a whole number >= 128"),
    ("imsize", "1_024", "imsize"),
    ("niter", "$(id)", "niter"),
    ("robust", "`id`", "robust"),
    ("robust", "nan", "robust"),
    ("phase_center_ra", "360", "phase_center_ra"),
    ("phase_center_dec", "1e999", "phase_center_dec"),
    ("weighting", "briggs\nuniform", "weighting"),
    ("weighting", "'natural'", "weighting"),
    ("cal_table", "/etc/passwd", "cal_table: '/etc/passwd' is not a registered"),
    ("cal_table", "/data/cal/old.bpcal; rm -rf /", "cal_table"),
    ("shell", "rm -rf /", "'shell' cannot be overridden"),
])
def test_bad_overrides_are_refused_naming_the_key(db_url, make_service, script, key, value,
                                                  words):
    db, settings, service = make_service(db_url, f"{script} ok {{ms_path}}")
    original = seed_original(db)
    with pytest.raises(InvalidInputError, match=words.replace("(", r"\(").replace(
            "$", r"\$").replace("?", r"\?")) as info:
        service.rerun(ACTOR, original, {key: value})
    assert info.value.parameter == key
    assert JobRepository(db).page().total == 1  # nothing was queued
    [entry] = AuditRepository(db).entries("job")
    assert entry.result == "refused" and key in entry.reason


def test_without_a_template_a_rerun_is_refused_and_audited(db_url, make_service):
    db, settings, service = make_service(db_url, None)
    original = seed_original(db)
    with pytest.raises(NotConfiguredError, match="PIPELINE_CMD_TEMPLATE"):
        service.rerun(ACTOR, original)
    assert JobRepository(db).page().total == 1
    [entry] = AuditRepository(db).entries("job", original)
    assert entry.result == "refused" and "no pipeline command" in entry.reason


def test_the_pipelines_own_variable_is_honoured(db_url, make_service, script):
    db, settings, service = make_service(db_url, None,
                                         DSA110_PIPELINE_RUN_CMD=f"{script} ok {{run_id}}")
    result = service.rerun(ACTOR, seed_original(db))
    assert result.argv == [str(script), "ok", result.run_id]


def test_a_read_only_database_refuses_operator_actions(db_url, make_service, script):
    db, settings, service = make_service(db_url, f"{script} ok")
    original = seed_original(db)
    ro_settings = dataclasses.replace(settings, read_only=True)
    ro = Database(ro_settings)
    try:
        # The reason reads as a sentence on the disabled buttons ("... needs write access").
        assert operator_actions_unavailable(ro).startswith(
            "rerunning or cancelling a job needs write access")
        with pytest.raises(ReadOnlyError, match="read-only"):
            JobService(ro, ro_settings).rerun(ACTOR, original)
        with pytest.raises(ReadOnlyError):
            JobService(ro, ro_settings).cancel(ACTOR, original)
    finally:
        ro.dispose()
    assert operator_actions_unavailable(db) is None


def test_cancel_refusals(db_url, make_service, script):
    db, settings, service = make_service(db_url, f"{script} ok")
    original = seed_original(db)
    with pytest.raises(ConflictError, match="not queued by the dashboard"):
        service.cancel(ACTOR, original)
    with pytest.raises(NotFoundError):
        service.cancel(ACTOR, 99999)
    queued = service.rerun(ACTOR, original)
    assert service.cancel(ACTOR, queued.run_id) == "cancelled"
    with pytest.raises(ConflictError, match="already cancelled"):
        service.cancel(ACTOR, queued.job_id)
    results = [(e.action, e.result) for e in reversed(AuditRepository(db).entries())]
    assert results == [("cancel", "refused"), ("cancel", "refused"), ("rerun", "ok"),
                       ("cancel", "ok"), ("cancel", "refused")]


def test_run_ids_resolve(db_url, make_service, script):
    db, settings, service = make_service(db_url, f"{script} ok")
    original = seed_original(db)
    repo = JobRepository(db)
    assert repo.resolve("job-2025-10-17-144009") == original
    queued = service.rerun(ACTOR, original)
    assert repo.resolve(queued.run_id) == queued.job_id
    assert repo.resolve(str(queued.job_id)) == queued.job_id
    # A rerun goes by its own run id; the MS run id still names the original (it once
    # named both, so an original's run id stopped working after its first rerun).
    assert repo.resolve("job-2025-10-17-144009") == original
    assert repo.page(JobFilter(run_id="job-2025-10-17-144009")).rows["id"].tolist() == \
        [original]
    # Two of the pipeline's own jobs of one MS share its run id: the message says which.
    with db.transaction() as conn:
        second = insert(conn, "jobs", type="calibration", status="failed", ms_path=MS)["id"]
    with pytest.raises(InvalidInputError, match=f"ids {original}, {second}"):
        repo.resolve("job-2025-10-17-144009")
    with pytest.raises(InvalidInputError, match="neither a job id nor a run id"):
        repo.resolve("'; drop table jobs; --")
    with pytest.raises(NotFoundError):
        repo.resolve("job-2031-01-01-000000")
    with db.transaction() as conn:  # LIKE wildcards in a run id match only themselves
        insert(conn, "jobs", ms_path="/data/ms/a_b%c.ms")
    with pytest.raises(NotFoundError):
        repo.resolve("job-a%")
    assert repo.page().rows.set_index("id").loc[queued.job_id, "run_id"] == queued.run_id

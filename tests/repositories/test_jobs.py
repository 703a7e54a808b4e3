"""JobRepository and BatchJobRepository on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from factories import UNIX0, insert

from dsa110_dashboard.errors import InvalidInputError, NotFoundError
from dsa110_dashboard.repositories.jobs import (
    BatchJobFilter,
    BatchJobRepository,
    JobFilter,
    JobRepository,
    derived_status,
)
from dsa110_dashboard.repositories.paging import PageRequest

MS = "/ms/2025-10-17T01:00:00.ms"


@pytest.fixture
def jobs(db):
    with db.transaction() as conn:
        return {
            "ok": insert(conn, "jobs", type="imaging", status="completed", ms_path=MS,
                         created_at=UNIX0, params='{"robust": 0.5}',
                         artifacts='["a.fits"]', logs="line 1\nline 2")["id"],
            "bad": insert(conn, "jobs", type="calibration", status="failed", ms_path=MS,
                          created_at=UNIX0 + 10, params="not json {",
                          artifacts=None)["id"],
            "odd": insert(conn, "jobs", type="pipeline_rerun", status="paused-by-op",
                          ms_path="/ms/other.ms", created_at=UNIX0 + 20)["id"],
        }


def test_get_parses_json_or_keeps_text_with_flag(db, jobs):
    repo = JobRepository(db)
    ok = repo.get(jobs["ok"])
    assert ok.params == {"robust": 0.5} and not ok.params_invalid
    assert ok.artifacts == ["a.fits"] and ok.logs == "line 1\nline 2"
    assert ok.run_id == "job-2025-10-17-010000"
    bad = repo.get(jobs["bad"])
    assert bad.params == "not json {" and bad.params_invalid
    assert bad.artifacts is None and not bad.artifacts_invalid
    assert bad.started_at is None and bad.finished_at is None
    with pytest.raises(NotFoundError):
        repo.get(123456)


@pytest.mark.parametrize("flt, keys", [
    (JobFilter(statuses=("failed", "paused-by-op")), ["odd", "bad"]),
    (JobFilter(types=("imaging",)), ["ok"]),
    (JobFilter(ms_path=MS), ["bad", "ok"]),
    (JobFilter(created_after=UNIX0 + 5, created_before=UNIX0 + 15), ["bad"]),
    (JobFilter(ms_contains="2025-10-17T01"), ["bad", "ok"]),
    (JobFilter(ms_contains="100%_"), []),
    (JobFilter(run_id_contains="job-2025-10-17-0100"), ["bad", "ok"]),
    (JobFilter(run_id_contains="other"), ["odd"]),
])
def test_filters(db, jobs, flt, keys):
    page = JobRepository(db).page(flt)
    assert list(page.rows["id"]) == [jobs[k] for k in keys]
    assert page.total == len(keys) and "logs" not in page.rows.columns


def test_sort_and_invalid_sort(db, jobs):
    repo = JobRepository(db)
    page = repo.page(None, PageRequest(sort="type", descending=False))
    assert list(page.rows["type"]) == ["calibration", "imaging", "pipeline_rerun"]
    with pytest.raises(InvalidInputError) as info:
        repo.page(None, PageRequest(sort="logs"))
    assert info.value.parameter == "sort"


def test_counts_and_for_ms(db, jobs):
    repo = JobRepository(db)
    assert repo.counts_by_status() == {"completed": 1, "failed": 1, "paused-by-op": 1}
    assert [j.id for j in repo.for_ms(MS)] == [jobs["bad"], jobs["ok"]]
    assert repo.for_ms("/none.ms") == []


def test_counts_created_between_agree_with_the_pages_totals(db, jobs):
    """The Overview's one query gives what two filtered pages' totals gave: bounds
    included, only 'failed' counted as failed."""
    repo = JobRepository(db)
    windows = ((UNIX0, UNIX0 + 20), (UNIX0 + 5, UNIX0 + 20), (UNIX0 + 30, UNIX0 + 40))
    for after, before in windows:
        window = JobFilter(created_after=after, created_before=before)
        failed = JobFilter(created_after=after, created_before=before, statuses=("failed",))
        expected = (repo.page(window, PageRequest(limit=1)).total,
                    repo.page(failed, PageRequest(limit=1)).total)
        assert repo.counts_created_between(after, before) == expected
    assert repo.counts_created_between(UNIX0, UNIX0 + 20) == (3, 1)
    assert repo.counts_created_between(UNIX0 + 30, UNIX0 + 40) == (0, 0)
    # No upper bound (the wall's): as the page with created_after alone.
    for after in (UNIX0, UNIX0 + 5, UNIX0 + 30):
        expected = (repo.page(JobFilter(created_after=after), PageRequest(limit=1)).total,
                    repo.page(JobFilter(created_after=after, statuses=("failed",)),
                              PageRequest(limit=1)).total)
        assert repo.counts_created_between(after) == expected


@pytest.mark.parametrize("statuses, expected", [
    ([], "done"),
    (["done", "done"], "done"),
    (["done", "cancelled"], "done"),
    (["done", "failed"], "failed"),
    (["failed", "pending"], "running"),
    (["running", "done"], "running"),
    (["pending"], "running"),
])
def test_derived_status_rule(statuses, expected):
    assert derived_status(statuses) == expected


@pytest.fixture
def batches(db):
    with db.transaction() as conn:
        lagging = insert(conn, "batch_jobs", status="running", total_items=3,
                         completed_items=0, created_at=UNIX0, params='{"x": 1}')["id"]
        for status in ("done", "failed", "done"):
            insert(conn, "batch_job_items", batch_id=lagging, status=status)
        busy = insert(conn, "batch_jobs", status="running", total_items=2,
                      created_at=UNIX0 + 5, type="reimage")["id"]
        for status in ("running", "pending"):
            insert(conn, "batch_job_items", batch_id=busy, status=status)
        empty = insert(conn, "batch_jobs", status="pending", total_items=0,
                       created_at=UNIX0 + 10, params="{oops")["id"]
    return {"lagging": lagging, "busy": busy, "empty": empty}


def test_batch_get_recounts_items(db, batches):
    repo = BatchJobRepository(db)
    batch = repo.get(batches["lagging"])
    assert batch.status == "running" and batch.completed_items == 0  # stored, lagging
    assert batch.derived_status == "failed"
    assert (batch.counts.total, batch.counts.done, batch.counts.failed) == (3, 2, 1)
    assert [i.status for i in batch.items] == ["done", "failed", "done"]
    assert batch.params == {"x": 1}
    empty = repo.get(batches["empty"])
    assert empty.items == () and empty.params_invalid and empty.params == "{oops"
    with pytest.raises(NotFoundError):
        repo.get(99999)


def test_batch_page_with_counts(db, batches):
    page = BatchJobRepository(db).page()
    assert list(page.rows["id"]) == [batches["empty"], batches["busy"], batches["lagging"]]
    assert list(page.rows["derived_status"]) == ["done", "running", "failed"]
    assert list(page.rows["items_total"]) == [0, 2, 3]
    assert list(page.rows["items_failed"]) == [0, 0, 1]
    only = BatchJobRepository(db).page(BatchJobFilter(types=("reimage",)))
    assert list(only.rows["id"]) == [batches["busy"]] and only.total == 1

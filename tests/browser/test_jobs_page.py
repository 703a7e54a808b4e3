"""The Jobs page in Chromium: filter the table (the URL keeps it), open a job, follow a
running job's log as a real worker runs a real script, rerun as an operator, and the
buttons disabled for a viewer.

The servers serve a copy of the demo database (reruns add jobs; the shared demo must
not change under the other tests) with a command template pointing at a script written
here, and their own logs directory.
"""

from __future__ import annotations

import re
import shlex
import sqlite3
import stat
import sys
import threading
import urllib.parse

import pytest

from browser.conftest import demo_env
from browser.helpers import wait_idle
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.jobs.worker import Worker
from dsa110_dashboard.repositories.jobs import JobRepository
from dsa110_dashboard.settings import Settings
from hashes import quick_hash
from server import start_server

#: Prints a numbered line every 0.4 s, twelve in all, then succeeds.
SCRIPT = """#!{python}
import sys, time
for i in range(12):
    print(f"step {{i + 1}} of 12 for", sys.argv[1], flush=True)
    time.sleep(0.4)
"""


@pytest.fixture(scope="module")
def world(demo_dataset, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("jobs-page")
    db_path = tmp / "pipeline.sqlite3"
    with sqlite3.connect(demo_dataset / "pipeline.sqlite3") as source, \
            sqlite3.connect(db_path) as copy:
        source.backup(copy)
    script = tmp / "slow_pipeline.py"
    script.write_text(SCRIPT.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    env = {**demo_env(demo_dataset, tmp / "cache"), "DSA110_DASH_DB": str(db_path),
           "CONTIMG_LOGS_DIR": str(tmp / "logs"),
           "PIPELINE_CMD_TEMPLATE": shlex.join([str(script), "{run_id}"]),
           "DSA110_DASH_LOG_POLL_SECONDS": "0.3", "DSA110_DASH_JOBS_REFRESH_SECONDS": "1",
           "DSA110_DASH_TIMEOUT_JOB_HEARTBEAT": "0.3",
           "DSA110_DASH_TIMEOUT_WORKER_POLL": "0.2"}
    settings = Settings.load(environ=env)
    db = Database(settings)
    yield env, settings, db
    db.dispose()


@pytest.fixture(scope="module")
def operator_server(world):
    env, _settings, _db = world
    server = start_server({**env, "DSA110_DASH_OPEN_ACCESS_ROLE": "operator"})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def viewer_server(world):
    env, _settings, _db = world
    server = start_server(env)  # open access: viewer by default
    yield server
    server.stop()


def rows(page) -> list[str]:
    """The jobs table's rows as text (the header left out)."""
    return page.locator("table.dsa-jobs tr:has(td) a.dsa-job-link").all_inner_texts()


def wait_for_rows(page, predicate, timeout_ms: int = 20_000) -> list[str]:
    for _ in range(timeout_ms // 100):
        shown = rows(page)
        if predicate(shown):
            return shown
        page.wait_for_timeout(100)
    raise AssertionError(f"the table never showed the rows expected: {rows(page)}")


def badges(page) -> set[str]:
    """The status badges of the jobs table (the queue card's workers table has badges too)."""
    return set(page.locator(".dsa-jobs-table table.dsa-jobs td .dsa-badge").all_inner_texts())


def test_filter_the_table_and_the_url_keeps_it(operator_server, world, page):
    _env, _settings, db = world
    failed = JobRepository(db).counts_by_status().get("failed", 0)
    assert failed >= 1, "the demo has failed jobs"
    page.goto(operator_server.url + "/jobs")
    wait_idle(page)
    page.locator("table.dsa-jobs a.dsa-job-link").first.wait_for()
    page.locator(".dsa-jobs-status select").select_option("failed")
    page.wait_for_url(re.compile(r"status=failed"))
    page.locator(".dsa-jobs-range").get_by_text(f"of {failed:,}").wait_for()
    assert badges(page) == {"failed"}
    # A run id typed in part narrows it further, and the address says so.
    first = rows(page)[0]
    part = first[:len("job-2026-01-01-12")]
    field = page.locator(".dsa-jobs-run input")
    field.fill(part)
    field.press("Enter")
    page.wait_for_url(re.compile(r"run=" + re.escape(urllib.parse.quote(part))))
    wait_for_rows(page, lambda shown: shown and all(r.startswith(part) for r in shown))
    # The same address in a new page shows the same filtered table.
    url = page.url
    page.goto(url)
    wait_idle(page)
    page.locator("table.dsa-jobs a.dsa-job-link").first.wait_for()
    assert page.locator(".dsa-jobs-run input").input_value() == part
    assert page.locator(".dsa-jobs-status select").input_value() == "failed"
    assert all(r.startswith(part) for r in rows(page)) and first in rows(page)
    assert badges(page) == {"failed"}


def test_a_bad_url_value_is_named(operator_server, page):
    page.goto(operator_server.url + "/jobs?status=bogus&sort=nonsense")
    wait_idle(page)
    note = page.locator(".dsa-jobs-notes")
    note.get_by_text("Ignored status=bogus").wait_for()
    note.get_by_text("Ignored sort=nonsense").wait_for()
    page.wait_for_url(lambda url: "bogus" not in url and "nonsense" not in url)


def test_open_a_job_and_an_unknown_one(operator_server, page):
    page.goto(operator_server.url + "/jobs")
    wait_idle(page)
    link = page.locator("table.dsa-jobs a.dsa-job-link").first
    run_id = link.inner_text()
    link.click()
    page.wait_for_url(re.compile(r"/jobs/\d+$"))
    wait_idle(page)
    page.locator("h2").get_by_text(run_id).wait_for()
    page.locator(".dsa-job-summary").get_by_text("Measurement set").wait_for()
    page.goto(operator_server.url + "/jobs/999999")
    wait_idle(page)
    page.locator(".dsa-not-found").get_by_text("No such job").wait_for()
    page.goto(operator_server.url + "/jobs/job-1999-01-01-000000")
    wait_idle(page)
    page.locator(".dsa-not-found").get_by_text("No such job").wait_for()


def test_rerun_as_operator_then_follow_its_log_while_a_worker_runs_it(
        operator_server, world, page):
    _env, settings, db = world
    repo = JobRepository(db)
    original = int(repo.page().rows["id"].iloc[-1])
    page.goto(f"{operator_server.url}/jobs/{original}")
    wait_idle(page)
    field = page.locator(".dsa-field-imsize input")
    field.wait_for()
    assert not page.locator(".dsa-rerun button").is_disabled()
    # A value that is not an integer is refused beside its field; nothing is queued.
    field.fill("1024; touch x")
    field.press("Enter")
    page.locator(".dsa-rerun button").click()
    page.locator(".dsa-error-imsize").get_by_text("not a whole number").wait_for()
    field.fill("2048")
    field.press("Enter")
    page.locator(".dsa-rerun button").click()
    message = page.locator(".dsa-action-message").get_by_text("Rerun queued as job")
    message.wait_for()
    new_id = int(re.search(r"job (\d+)", message.inner_text()).group(1))
    state = repo.queue_state(new_id)
    assert repo.get(new_id).status == "pending" and state.rerun_of == original
    assert state.overrides["imsize"]["to"] == 2048 and state.requested_by == "anonymous"

    page.goto(f"{operator_server.url}/jobs/{new_id}")
    wait_idle(page)
    page.locator(".dsa-log-following").wait_for()
    page.locator(".dsa-command").get_by_text(state.run_id).wait_for()
    worker = Worker(db, settings, concurrency=1, name="browser-test-worker")
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        log = page.locator(".dsa-log-box pre")
        seen = []
        while not page.locator(".dsa-log-ended").count():
            count = log.inner_text().count("step ")
            if not seen or count != seen[-1]:
                seen.append(count)
            page.wait_for_timeout(150)
            assert len(seen) < 400
        # The log grew in several steps while the page stayed open, to the end.
        assert len([n for n in seen if 0 < n < 12]) >= 2, seen
        page.locator("h2 .dsa-badge").get_by_text("completed").wait_for()
        assert log.inner_text().count("step ") == 12
        page.locator(".dsa-job-timeline").get_by_text("exit code 0").wait_for()
    finally:
        worker.stop()
        thread.join(30)


def test_buttons_are_disabled_for_a_viewer_with_the_reason(viewer_server, world, page):
    _env, _settings, db = world
    job_id = int(JobRepository(db).page().rows["id"].iloc[0])
    page.goto(f"{viewer_server.url}/jobs/{job_id}")
    wait_idle(page)
    page.locator(".dsa-blocked").get_by_text("Your role is viewer").wait_for()
    assert page.locator(".dsa-rerun button").is_disabled()
    assert page.locator(".dsa-cancel button").is_disabled()
    assert page.locator(".dsa-field-imsize input").is_disabled()


def test_the_table_refreshes_by_itself_keeping_filters_and_scroll(operator_server, world,
                                                                  page):
    _env, settings, db = world
    from dsa110_dashboard.jobs.audit import Actor
    from dsa110_dashboard.jobs.service import JobService

    repo = JobRepository(db)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(operator_server.url + "/jobs?sort=id&order=desc")
    wait_idle(page)
    before = repo.page().total
    page.locator(".dsa-jobs-range").get_by_text(f"of {before:,}").wait_for()
    pending = repo.counts_by_status().get("pending", 0)
    # The range label can arrive before the table's rows are laid out (under load the
    # page is still short then); wait until there is room to scroll.
    page.wait_for_function(
        "() => document.documentElement.scrollHeight > window.innerHeight + 250")
    page.evaluate("() => window.scrollTo(0, 250)")
    page.wait_for_timeout(300)
    scrolled = page.evaluate("() => window.scrollY")
    assert scrolled > 0, "the page is long enough to scroll"

    original = int(repo.page().rows["id"].iloc[-1])
    queued = JobService(db, settings).rerun(Actor(name="refresh-test"), original)
    try:
        page.locator(".dsa-jobs-range").get_by_text(f"of {before + 1:,}").wait_for()
        assert rows(page)[0] == queued.run_id
        assert page.locator(".dsa-jobs-sort select").input_value() == "ID"  # its label
        assert "sort=id" in page.url
        # Not sent back to the top; content that grew above (the queue's new row) moves
        # it down with the reader's place (the browser's scroll anchoring).
        assert page.evaluate("() => window.scrollY") >= scrolled
        page.locator(".dsa-queue").get_by_text(f"{pending + 1} pending").wait_for()
    finally:
        JobService(db, settings).cancel(Actor(name="refresh-test"), queued.job_id)


def test_a_signed_in_operator_acts_under_their_name(world, tmp_path, page):
    env, _settings, db = world
    server = start_server({**env, "DSA110_DASH_BASIC_AUTH": quick_hash("pulsar-42"),
                           "DSA110_DASH_COOKIE_SECRET": "x" * 40,
                           "DSA110_DASH_AUTH_DB": str(tmp_path / "auth.sqlite3"),
                           "DSA110_DASH_ROLES": "olga=operator"})
    try:
        repo = JobRepository(db)
        running_or_pending = repo.counts_by_status()
        job_id = int(repo.page().rows["id"].iloc[-1])
        page.goto(f"{server.url}/jobs/{job_id}")
        page.wait_for_url("**/login**")
        page.fill("input[name=username]", "olga")
        page.fill("input[name=password]", "pulsar-42")
        page.click("button[type=submit]")
        # Back on the job's page (a page under /jobs/ once looped on /jobs/login).
        page.wait_for_url(f"**/jobs/{job_id}")
        wait_idle(page)
        page.locator(".dsa-field-niter input").wait_for()
        assert not page.locator(".dsa-rerun button").is_disabled()
        page.locator(".dsa-rerun button").click()
        message = page.locator(".dsa-action-message").get_by_text("Rerun queued as job")
        message.wait_for()
        new_id = int(re.search(r"job (\d+)", message.inner_text()).group(1))
        assert repo.queue_state(new_id).requested_by == "olga"
        page.locator(".dsa-job-audit").get_by_text("olga").first.wait_for()
        assert repo.counts_by_status().get("pending", 0) == \
            running_or_pending.get("pending", 0) + 1
        from dsa110_dashboard.jobs.audit import Actor
        from dsa110_dashboard.jobs.service import JobService

        JobService(db, _settings).cancel(Actor(name="cleanup"), new_id)
    finally:
        server.stop()

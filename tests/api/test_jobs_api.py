"""The jobs, queue and batch endpoints on real servers (issue 13, decisions 0046-0047):
who may act (401 without identity, 403 for a viewer, XSRF for cookies, Bearer tokens that
stop at once when revoked), audited actions, refused overrides, 409s, HEAD, paging errors
that name the parameter, and the read-only refusal.

Two servers share one dataset and one sign-in store: a signed-in writable one, and an
open-access read-only one (whose visitors are strangers: paths scrubbed).
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
from dataclasses import dataclass
from http.cookies import SimpleCookie

import pytest
import sqlalchemy as sa

from api_dataset import make_dataset
from dbsupport import settings_for
from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.auth.store import prepare_store, store_database
from dsa110_dashboard.auth.tokens import TokenStore
from dsa110_dashboard.db.dashboard_schema import dash_audit, dash_job_state
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.settings import Settings
from factories import UNIX0, insert
from hashes import quick_hash
from jobs.conftest import MS, seed_original
from jobs.jobhelpers import template, write_script
from server import start_server

SECRET = "k" * 40
USERS = {"vera": "viewer-pw", "otto": "operator-pw"}


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> dict:
        assert "application/json" in self.headers.get("Content-Type", ""), self.headers
        return json.loads(self.body)

    def cookies(self) -> dict[str, str]:
        jar: dict[str, str] = {}
        for line in self.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(line).items():
                jar[name] = morsel.value
        return jar


def call(url: str, method: str, path: str, *, body: dict | str | None = None,
         cookies: dict[str, str] | None = None, headers: dict | None = None) -> Answer:
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    sent = dict(headers or {})
    data = None
    if isinstance(body, dict):
        data = json.dumps(body)
        sent.setdefault("Content-Type", "application/json")
    elif isinstance(body, str):
        data = body
    if cookies:
        sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    try:
        conn.request(method, path, body=data, headers=sent)
        response = conn.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        conn.close()


@dataclass
class Browser:
    """A signed-in user's cookies: the session and the XSRF cookie from a GET."""

    url: str
    cookies: dict[str, str]

    def get(self, path: str) -> Answer:
        return call(self.url, "GET", path, cookies=self.cookies)

    def post(self, path: str, body: dict | None = None, *, xsrf: str | None = "cookie",
             cookies: dict[str, str] | None = None) -> Answer:
        headers = {}
        if xsrf == "cookie":
            headers["X-XSRFToken"] = self.cookies["_xsrf"]
        elif xsrf is not None:
            headers["X-XSRFToken"] = xsrf
        return call(self.url, "POST", path, body=body, headers=headers,
                    cookies=self.cookies if cookies is None else cookies)


@dataclass
class World:
    dataset: object
    signed: object          # sign-in on, writable
    open_ro: object         # open access, read-only
    original: int           # a completed job to rerun
    running: int            # a running job a worker holds
    tokens: TokenStore
    script_out: object

    def browser(self, user: str) -> Browser:
        login = call(self.signed.url, "POST", "/login",
                     body=urllib.parse.urlencode({"username": user, "password": USERS[user],
                                                  "next": "/"}),
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert login.status == 302, login
        cookies = login.cookies()
        listed = call(self.signed.url, "GET", "/api/v1/jobs", cookies=cookies)
        assert listed.status == 200
        cookies.update(listed.cookies())
        assert "_xsrf" in cookies, "a GET of the jobs endpoint hands out the XSRF cookie"
        (line,) = [c for c in listed.headers.get_all("Set-Cookie") if c.startswith("_xsrf")]
        assert "samesite=strict" in line.lower() and "httponly" not in line.lower()
        return Browser(self.signed.url, cookies)

    def token(self, name: str, role: Role) -> str:
        return self.tokens.create(name, role, "test")

    def db(self) -> Database:
        return Database(settings_for(str(self.dataset.db_path)))

    def audit(self) -> list[dict]:
        db = self.db()
        try:
            with db.connect() as conn:
                return [dict(r) for r in conn.execute(
                    sa.select(dash_audit).order_by(dash_audit.c.id)).mappings()]
        finally:
            db.dispose()

    def job_count(self) -> int:
        db = self.db()
        try:
            with db.connect() as conn:
                return conn.execute(sa.text("SELECT count(*) FROM jobs")).scalar_one()
        finally:
            db.dispose()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobsapi")
    ds = make_dataset(root)
    script = write_script(root)
    out = root / "out"
    out.mkdir()
    db = Database(settings_for(str(ds.db_path)))
    original = seed_original(db)
    with db.transaction() as conn:
        running = int(insert(conn, "jobs", type="imaging", status="running", ms_path=MS,
                             created_at=UNIX0 + 100, started_at=UNIX0 + 101)["id"])
        conn.execute(sa.insert(dash_job_state).values(
            job_id=running, run_id=f"job-running-j{running}", worker="hostA:4242",
            host="hostA", attempt=1, heartbeat_at=time.time(), claimed_at=time.time(),
            command=json.dumps(["run", "it"]),
            log_path=str(ds.data_dir / "logs" / f"job-running-j{running}.log")))
    db.dispose()
    users = root / "users.json"
    users.write_text(json.dumps({u: quick_hash(p) for u, p in USERS.items()}))
    common = {"DSA110_DASH_AUTH_DB": str(root / "auth.sqlite3"),
              "CONTIMG_LOGS_DIR": str(ds.data_dir / "logs"),
              "PIPELINE_CMD_TEMPLATE": template(script, "ok", "{ms_path}", "--imsize",
                                                "{imsize}", "--weighting={weighting}")}
    signed = start_server(ds.env(**common, DSA110_DASH_BASIC_AUTH=str(users),
                                 DSA110_DASH_COOKIE_SECRET=SECRET,
                                 DSA110_DASH_ROLES="otto=operator"))
    open_ro = start_server(ds.env(**common, DSA110_DASH_READ_ONLY="true"))
    store_db = store_database(Settings.load(environ={"DSA110_DASH_AUTH_DB":
                                                     common["DSA110_DASH_AUTH_DB"]}))
    prepare_store(store_db)
    yield World(ds, signed, open_ro, original, running, TokenStore(store_db), out)
    signed.stop()
    open_ro.stop()
    store_db.dispose()


def rerun_path(job) -> str:  # noqa: ANN001
    return f"/api/v1/jobs/{job}/rerun"


# ------------------------------------------------------------------ who may act

def test_without_any_identity_a_post_is_401_json(world):
    for server in (world.signed, world.open_ro):
        answer = call(server.url, "POST", rerun_path(world.original), body={})
        assert answer.status == 401
        body = answer.json()
        assert body["error"] == "not_authenticated" and "API token" in body["message"]
        assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert call(world.signed.url, "GET", "/api/v1/jobs").status == 401, "sign-in is on"


def test_a_viewer_cannot_rerun_and_the_refusal_is_audited(world):
    vera = world.browser("vera")
    before = world.job_count()
    answer = vera.post(rerun_path(world.original), {"overrides": {"imsize": 2048}})
    assert answer.status == 403
    assert answer.json()["error"] == "forbidden" and "operator role" in answer.json()["message"]
    assert world.job_count() == before
    row = world.audit()[-1]
    assert (row["actor"], row["role"], row["action"], row["result"], row["address"]) == (
        "vera", "viewer", "rerun", "refused", "127.0.0.1")
    viewer_token = world.token("viewer-script", Role.VIEWER)
    answer = call(world.signed.url, "POST", f"/api/v1/jobs/{world.original}/cancel",
                  headers=bearer(viewer_token))
    assert answer.status == 403 and answer.json()["error"] == "forbidden"


def test_missing_or_forged_xsrf_tokens_are_refused(world):
    otto = world.browser("otto")
    before = world.job_count()
    missing = otto.post(rerun_path(world.original), {}, xsrf=None)
    assert missing.status == 403 and missing.json()["error"] == "xsrf_failed"
    assert "X-XSRFToken" in missing.json()["message"]
    # A token that belongs to another browser's cookie (what a forger can obtain).
    other = world.browser("vera").cookies["_xsrf"]
    forged = otto.post(rerun_path(world.original), {}, xsrf=other)
    assert forged.status == 403 and forged.json()["error"] == "xsrf_failed"
    garbage = otto.post(rerun_path(world.original), {}, xsrf="2|00|00|0")
    assert garbage.status == 403
    without_cookie = {k: v for k, v in otto.cookies.items() if k != "_xsrf"}
    no_cookie = otto.post(rerun_path(world.original), {}, cookies=without_cookie)
    assert no_cookie.status == 403 and no_cookie.json()["error"] == "xsrf_failed"
    assert world.job_count() == before


def test_an_operator_with_cookie_and_xsrf_reruns_and_it_is_audited(world):
    otto = world.browser("otto")
    answer = otto.post(rerun_path(world.original),
                       {"overrides": {"imsize": "2048", "weighting": "natural"}})
    assert answer.status == 201, answer.body
    made = answer.json()
    assert made["rerun_of"] == world.original
    assert made["changed"] == {"imsize": {"from": 1024, "to": 2048},
                               "weighting": {"from": "briggs", "to": "natural"}}
    assert made["argv"][-3:] == ["--imsize", "2048", "--weighting=natural"]
    assert answer.headers["Location"] == made["url"] == f"/api/v1/jobs/{made['id']}"
    row = world.audit()[-1]
    assert (row["actor"], row["address"], row["role"], row["action"], row["result"],
            row["target_id"]) == ("otto", "127.0.0.1", "operator", "rerun", "ok",
                                  str(world.original))
    assert json.loads(row["detail"])["new_job"] == made["id"]

    detail = otto.get(f"/api/v1/jobs/{made['run_id']}").json()
    assert detail["id"] == made["id"] and detail["status"] == "pending"
    assert detail["run"]["argv"] == made["argv"]
    assert detail["run"]["rerun_of"] == world.original
    assert detail["run"]["requested_by"] == "otto"
    assert detail["run"]["overrides"] == made["changed"]
    assert [e["status"] for e in detail["timeline"]] == ["pending"]
    by_id = otto.get(f"/api/v1/jobs/{made['id']}").json()
    assert by_id["run_id"] == made["run_id"]
    original = otto.get(f"/api/v1/jobs/{world.original}").json()
    assert original["audit"][0]["actor"] == "otto"
    assert original["audit"][0]["result"] == "ok"
    assert original["params"]["imsize"] == 1024 and original["duration_s"] == 59.0


def test_a_bearer_token_acts_without_xsrf_and_stops_at_once_when_revoked(world):
    token = world.token("nightly", Role.OPERATOR)
    answer = call(world.signed.url, "POST", rerun_path(world.original),
                  body={"overrides": {"niter": 5}}, headers=bearer(token))
    assert answer.status == 201, answer.body
    assert world.audit()[-1]["actor"] == "token:nightly"
    listed = call(world.signed.url, "GET", "/api/v1/jobs?limit=1", headers=bearer(token))
    assert listed.status == 200 and "_xsrf" not in listed.cookies()
    thumbnail = call(world.signed.url, "GET",
                     f"/api/v1/images/{world.dataset.ids['square']}/thumbnail.png?size=32",
                     headers=bearer(token))
    assert thumbnail.status == 200, "a token opens every endpoint"
    world.tokens.revoke("nightly", "test")
    for method, path in (("GET", "/api/v1/jobs"), ("POST", rerun_path(world.original))):
        refused = call(world.signed.url, method, path, body={} if method == "POST" else None,
                       headers=bearer(token))
        assert refused.status == 401 and "revoked" in refused.json()["message"]
    for header in ("Bearer dsa110_not-a-token", "Basic b3R0bzpvcGVyYXRvci1wdw==", "Bearer"):
        answer = call(world.signed.url, "GET", "/api/v1/jobs",
                      headers={"Authorization": header})
        assert answer.status == 401 and answer.json()["error"] == "not_authenticated"
    health = call(world.signed.url, "GET", "/api/v1/health", headers=bearer(token))
    assert health.status == 200, "a probe's stray header does not fail the probe"


@pytest.mark.parametrize("key,value", [
    ("imsize", "1024; rm -rf /"), ("imsize", "$(id)"), ("niter", "`id`"),
    ("weighting", "natural; rm -rf /"), ("weighting", "'natural'"),
    ("weighting", 'natural"'), ("robust", "0.5\nrm -rf /"), ("cal_table", "$(id)"),
    ("imsize; rm -rf /", "1024"), ("$(id)", "1"), ("imsize", ["1024"]), ("imsize", True),
])
def test_hostile_overrides_are_refused_naming_the_key(world, key, value):
    token = world.tokens.create(f"ops-{abs(hash((key, str(value)))) % 10**8}",
                                Role.OPERATOR, "test")
    before = world.job_count()
    answer = call(world.signed.url, "POST", rerun_path(world.original),
                  body={"overrides": {key: value}}, headers=bearer(token))
    assert answer.status == 400, answer.body
    body = answer.json()
    assert body["error"] == "invalid_parameter" and body["details"]["parameter"] == key
    assert world.job_count() == before


def test_bad_bodies_are_refused_naming_what_is_wrong(world):
    token = world.token("bodies", Role.OPERATOR)
    cases = [({"overrides": {}, "extra": 1}, "extra"), ({"overrides": [1]}, "overrides"),
             ("{not json", "body"), ("[1, 2]", "body"),
             # Deeper than Python's JSON decoder recurses, yet under the size limit.
             ("[" * 30_000 + "]" * 30_000, "body"),
             ('{"overrides": ' + "[" * 30_000 + "]" * 30_000 + "}", "body")]
    for body, parameter in cases:
        answer = call(world.signed.url, "POST", rerun_path(world.original), body=body,
                      headers={**bearer(token), "Content-Type": "application/json"})
        assert answer.status == 400 and answer.json()["details"]["parameter"] == parameter
    form = call(world.signed.url, "POST", rerun_path(world.original), body="overrides=x",
                headers={**bearer(token), "Content-Type": "text/plain"})
    assert form.status == 400 and form.json()["details"]["parameter"] == "Content-Type"
    assert call(world.signed.url, "GET", rerun_path(world.original),
                headers=bearer(token)).status == 405


def test_cancel_pending_then_finished_is_409(world):
    token = world.token("canceller", Role.OPERATOR)
    made = call(world.signed.url, "POST", rerun_path(world.original), body={},
                headers=bearer(token)).json()
    cancel = f"/api/v1/jobs/{made['run_id']}/cancel"
    first = call(world.signed.url, "POST", cancel, headers=bearer(token))
    assert first.status == 200 and first.json()["outcome"] == "cancelled"
    again = call(world.signed.url, "POST", cancel, headers=bearer(token))
    assert again.status == 409 and again.json()["error"] == "conflict"
    finished = call(world.signed.url, "POST", f"/api/v1/jobs/{world.original}/cancel",
                    headers=bearer(token))
    assert finished.status == 409
    missing = call(world.signed.url, "POST", "/api/v1/jobs/999999/cancel",
                   headers=bearer(token))
    assert missing.status == 404 and missing.json()["error"] == "not_found"


# ------------------------------------------------------------------------ reads

def test_jobs_list_filters_sorts_and_pages_with_its_total(world):
    token = world.token("reader", Role.VIEWER)

    def get(query: str) -> dict:
        answer = call(world.signed.url, "GET", f"/api/v1/jobs?{query}", headers=bearer(token))
        assert answer.status == 200, answer.body
        return answer.json()

    everything = get("limit=500")
    assert everything["total"] == len(everything["jobs"]) >= 2
    completed = get("status=completed")
    assert [j["id"] for j in completed["jobs"]] == [world.original]
    assert completed["jobs"][0]["url"] == f"/api/v1/jobs/{world.original}"
    both = get("status=completed,running&sort=id&order=asc")
    assert [j["id"] for j in both["jobs"]] == sorted([world.original, world.running])
    assert get("type=imaging&limit=1")["limit"] == 1
    assert get(f"ms={urllib.parse.quote(MS)}")["total"] >= 2
    run_id = completed["jobs"][0]["run_id"]
    assert [j["id"] for j in get(f"run_id={run_id}")["jobs"]] == [world.original]
    assert get("run_id=job-running-j" + str(world.running))["jobs"][0]["id"] == world.running
    assert get("status=completed&offset=1")["jobs"] == []


@pytest.mark.parametrize("path,parameter", [
    ("/api/v1/jobs?limit=0", "limit"), ("/api/v1/jobs?limit=abc", "limit"),
    ("/api/v1/jobs?limit=100000", "limit"), ("/api/v1/jobs?offset=-1", "offset"),
    ("/api/v1/jobs?offset=1.5", "offset"), ("/api/v1/jobs?sort=logs", "sort"),
    ("/api/v1/jobs?order=up", "order"), ("/api/v1/jobs?status=done", "status"),
    ("/api/v1/jobs/1/logs?tail=0", "tail"), ("/api/v1/jobs/1/logs?tail=abc", "tail"),
    ("/api/v1/jobs/1/logs?tail=10001", "tail"), ("/api/v1/batch?limit=-5", "limit"),
    ("/api/v1/batch?sort=params", "sort"), ("/api/v1/batch/abc", "id"),
    ("/api/v1/jobs/not-a-run-id", "job"),
])
def test_bad_values_are_400_naming_the_parameter(world, path, parameter):
    answer = call(world.signed.url, "GET", path,
                  headers=bearer(world.tokens.create(f"p{abs(hash(path)) % 10**8}",
                                                     Role.VIEWER, "test")))
    assert answer.status == 400, (path, answer.body)
    assert answer.json()["details"]["parameter"] == parameter


def test_logs_tail_from_the_file_else_from_the_database(world):
    token = world.token("logs", Role.VIEWER)
    run_id = call(world.signed.url, "GET", f"/api/v1/jobs/{world.original}",
                  headers=bearer(token)).json()["run_id"]
    kept = call(world.signed.url, "GET", f"/api/v1/jobs/{world.original}/logs",
                headers=bearer(token)).json()
    assert kept["source"] == "database"
    logs = world.dataset.data_dir / "logs"
    logs.mkdir(exist_ok=True)
    (logs / f"{run_id}.log").write_text("".join(f"line {i}\n" for i in range(1, 50001)))
    tail = call(world.signed.url, "GET", f"/api/v1/jobs/{world.original}/logs?tail=3",
                headers=bearer(token)).json()
    assert tail["source"] == "file" and tail["lines"] == ["line 49998", "line 49999",
                                                          "line 50000"]
    assert tail["log_file"] == str(logs / f"{run_id}.log"), "a token holder sees paths"
    stranger = call(world.open_ro.url, "GET",
                    f"/api/v1/jobs/{world.original}/logs?tail=1").json()
    assert stranger["lines"] == ["line 50000"]
    assert str(world.dataset.data_dir) not in json.dumps(stranger), "scrubbed for strangers"


def test_the_queue_shows_counts_per_type_the_oldest_pending_and_workers(world):
    token = world.token("queue", Role.OPERATOR)
    call(world.signed.url, "POST", rerun_path(world.original), body={}, headers=bearer(token))
    queue = call(world.signed.url, "GET", "/api/v1/queue", headers=bearer(token)).json()
    assert queue["by_type"]["imaging"]["running"] == 1
    assert queue["by_type"]["pipeline_rerun"]["pending"] >= 1
    assert queue["pending"] >= 1 and queue["oldest_pending_age_s"] >= 0
    rerun = queue["by_type"]["pipeline_rerun"]
    assert rerun["oldest_pending_age_s"] >= 0 and rerun["oldest_pending_at"] is not None
    assert queue["by_type"]["imaging"]["oldest_pending_at"] is None  # none pending
    (worker,) = queue["workers"]
    assert worker["name"] == "hostA:4242" and worker["host"] == "hostA"
    assert worker["jobs"][0]["job_id"] == world.running and worker["stale"] is False
    assert worker["state"] == "running"


def test_batches_start_list_show_and_cancel(world):
    token = world.token("batcher", Role.OPERATOR)
    viewer = world.token("batch-viewer", Role.VIEWER)
    body = {"kind": "thumbnails", "selection": {"images": ""},
            "options": {"thumbnail": {"size": 64}}}
    refused = call(world.signed.url, "POST", "/api/v1/batch", body=body,
                   headers=bearer(viewer))
    assert refused.status == 403
    for bad, parameter in (({**body, "kind": "nope"}, "kind"),
                           ({**body, "selection": {"everything": True}},
                            "selection.everything"),
                           ({**body, "options": {"speed": 11}}, "options.speed"),
                           ({**body, "options": {"thumbnail": {"size": "huge"}}}, "size")):
        answer = call(world.signed.url, "POST", "/api/v1/batch", body=bad,
                      headers=bearer(token))
        assert answer.status == 400, (bad, answer.body)
        assert answer.json()["details"]["parameter"] == parameter
    started = call(world.signed.url, "POST", "/api/v1/batch", body=body,
                   headers=bearer(token))
    assert started.status == 201, started.body
    batch = started.json()
    assert batch["kind"] == "thumbnails" and batch["total"] == len(world.dataset.ids)
    listed = call(world.signed.url, "GET", "/api/v1/batch?status=pending",
                  headers=bearer(viewer)).json()
    assert listed["total"] == 1 and listed["batches"][0]["items_pending"] == batch["total"]
    shown = call(world.signed.url, "GET", batch["url"], headers=bearer(viewer)).json()
    assert shown["counts"]["pending"] == batch["total"]
    assert shown["params"]["requested_by"] == "token:batcher"
    cancel = call(world.signed.url, "POST", batch["url"] + "/cancel", headers=bearer(token))
    assert cancel.status == 200 and cancel.json()["outcome"] == "cancelled"
    assert call(world.signed.url, "POST", batch["url"] + "/cancel",
                headers=bearer(token)).status == 409
    assert call(world.signed.url, "GET", "/api/v1/batch/999999",
                headers=bearer(viewer)).status == 404
    actions = [(r["action"], r["result"]) for r in world.audit()
               if r["target_kind"] == "batch"]
    assert ("batch_start", "ok") in actions and ("batch_cancel", "ok") in actions


@pytest.mark.parametrize("path", ["/api/v1/jobs", "/api/v1/jobs/{original}",
                                  "/api/v1/jobs/{original}/logs?tail=5", "/api/v1/queue",
                                  "/api/v1/batch", "/api/v1/jobs/999999",
                                  "/api/v1/jobs?limit=0"])
def test_head_answers_like_get_without_a_body(world, path):
    path = path.format(original=world.original)
    headers = bearer(world.tokens.create(f"h{abs(hash(path)) % 10**8}", Role.VIEWER, "t"))
    get = call(world.signed.url, "GET", path, headers=headers)
    head = call(world.signed.url, "HEAD", path, headers=headers)
    assert head.status == get.status and head.body == b""
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    assert call(world.signed.url, "HEAD", rerun_path(world.original),
                headers=headers).status == 405


# -------------------------------------------------------------- read-only database

def test_a_read_only_database_refuses_operator_actions_clearly(world):
    token = world.token("ro-operator", Role.OPERATOR)
    before = len(world.audit())
    for path in (rerun_path(world.original), f"/api/v1/jobs/{world.original}/cancel",
                 "/api/v1/batch/1/cancel"):
        answer = call(world.open_ro.url, "POST", path, body={}, headers=bearer(token))
        assert answer.status == 409, (path, answer.body)
        body = answer.json()
        assert body["error"] == "read_only" and "write access" in body["message"]
    answer = call(world.open_ro.url, "POST", "/api/v1/batch", headers=bearer(token),
                  body={"kind": "qa", "selection": {"images": ""}})
    assert answer.status == 409
    assert len(world.audit()) == before, "nothing is written to a read-only database"
    reads = call(world.open_ro.url, "GET", f"/api/v1/jobs/{world.running}")
    assert reads.status == 200, "open access reads"
    run = reads.json()["run"]
    assert str(world.dataset.data_dir) not in run["log_path"], "scrubbed for strangers"
    assert run["log_path"].endswith(f"job-running-j{world.running}.log")


def test_a_bare_nan_in_the_pipelines_json_reads_as_null(world):
    db = world.db()
    with db.transaction() as conn:
        odd = int(insert(conn, "jobs", type="calibration", status="failed", ms_path=MS,
                         params='{"robust": NaN, "imsize": 512}',
                         artifacts='["/x.fits", Infinity]', created_at=UNIX0 + 5)["id"])
    db.dispose()
    token = world.token("nan-reader", Role.VIEWER)
    detail = call(world.signed.url, "GET", f"/api/v1/jobs/{odd}", headers=bearer(token))
    assert detail.status == 200, detail.body
    assert detail.json()["params"] == {"robust": None, "imsize": 512}
    listed = call(world.signed.url, "GET", "/api/v1/jobs?type=calibration",
                  headers=bearer(token)).json()
    (row,) = listed["jobs"]
    assert row["params"] == {"robust": None, "imsize": 512}
    assert row["artifacts"] == ["/x.fits", None] and row["params_invalid"] is False

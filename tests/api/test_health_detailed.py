"""The service checks over HTTP (issue 16): ``GET /api/v1/health?detailed=true``,
``GET /api/v1/services``, ``GET /api/v1/cache`` and ``POST /api/v1/cache/clear`` (an
operator's audited action), on real servers with sign-in on and with open access."""

from __future__ import annotations

import json
import sys
import time
import urllib.parse
from pathlib import Path

import pytest
import sqlalchemy as sa

from api_dataset import make_dataset
from api_helpers import fetch
from dbsupport import settings_for
from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.auth.tokens import TokenStore
from dsa110_dashboard.auth.store import prepare_store, store_database
from dsa110_dashboard.db.dashboard_schema import dash_audit
from dsa110_dashboard.db.engine import Database
from hashes import quick_hash
from server import start_server
from test_jobs_api import SECRET, USERS, bearer, call

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "status"))
from servers import closed_port, http_service  # noqa: E402


@pytest.fixture(scope="module")
def health_world(tmp_path_factory):
    root = tmp_path_factory.mktemp("healthapi")
    ds = make_dataset(root)
    users = root / "users.json"
    users.write_text(json.dumps({u: quick_hash(p) for u, p in USERS.items()}))
    with http_service() as ok_url, http_service(b"degraded") as degraded_url:
        checks = root / "checks.toml"
        checks.write_text(f"""
[[check]]
name = "api"
kind = "http"
url = "{ok_url}"
[[check]]
name = "grafana"
kind = "http"
url = "{degraded_url}"
[[check]]
name = "closed"
kind = "tcp"
port = {closed_port()}
""")
        common = ds.env(DSA110_DASH_AUTH_DB=str(root / "auth.sqlite3"),
                        DSA110_DASH_HEALTH_CHECKS=str(checks),
                        DSA110_DASH_HEALTH_INTERVAL_SECONDS="0.5")
        signed = start_server({**common, "DSA110_DASH_BASIC_AUTH": str(users),
                               "DSA110_DASH_COOKIE_SECRET": SECRET,
                               "DSA110_DASH_ROLES": "otto=operator"})
        opened = start_server(common)
        store = store_database(settings_for(str(ds.db_path),
                                            DSA110_DASH_AUTH_DB=str(root / "auth.sqlite3")))
        prepare_store(store)
        tokens = TokenStore(store)
        try:
            yield {"ds": ds, "signed": signed, "open": opened, "tokens": tokens}
        finally:
            signed.stop()
            opened.stop()
            store.dispose()


def _sign_in(url: str, user: str) -> dict[str, str]:
    login = call(url, "POST", "/login",
                 body=urllib.parse.urlencode({"username": user, "password": USERS[user],
                                              "next": "/"}),
                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert login.status == 302, login
    cookies = login.cookies()
    listed = call(url, "GET", "/api/v1/cache", cookies=cookies)
    assert listed.status == 200
    cookies.update(listed.cookies())
    assert "_xsrf" in cookies
    return cookies


def _detailed(url: str, headers: dict | None = None) -> dict:
    deadline = time.monotonic() + 30
    while True:
        reply = fetch(url, "/api/v1/health?detailed=true", headers)
        body = reply.json()
        if all(c["checked_at"] is not None for c in body["checks"]) or \
                time.monotonic() > deadline:
            return body
        time.sleep(0.2)


def test_detailed_health_lists_every_check_with_its_history(health_world):
    body = _detailed(health_world["open"].url)
    assert body["status"] in ("ok", "degraded") and body["database"]["ok"] is True
    checks = {c["name"]: c for c in body["checks"]}
    assert {"database", "workers", "freshness", "api", "grafana", "closed"} <= set(checks)
    assert checks["api"]["status"] == "ok" and checks["api"]["latency_ms"] is not None
    assert checks["grafana"]["status"] == "warning"
    assert checks["closed"]["status"] == "critical" and checks["closed"]["error"]
    assert body["overall"] == "critical"
    for check in checks.values():
        assert set(check) >= {"status", "latency_ms", "checked_at", "error", "history"}
        assert check["history"]["points"] >= 1
    assert body["interval_s"] == 0.5 and body["history_s"] == 86400


def test_the_plain_form_is_unchanged(health_world):
    body = fetch(health_world["open"].url, "/api/v1/health").json()
    assert set(body) == {"status", "checked_at", "database", "pipeline", "cache"}
    assert fetch(health_world["open"].url, "/api/v1/health?detailed=no").json().keys() \
        == body.keys()
    bad = fetch(health_world["open"].url, "/api/v1/health?detailed=maybe")
    assert bad.status == 400 and bad.json()["details"]["parameter"] == "detailed"


def test_detailed_needs_a_sign_in_when_sign_in_is_on(health_world):
    signed = health_world["signed"].url
    assert fetch(signed, "/api/v1/health").status == 200  # the plain probe stays public
    refused = fetch(signed, "/api/v1/health?detailed=true")
    assert refused.status == 401
    token = health_world["tokens"].create("monitor", Role.VIEWER, "test")
    body = _detailed(signed, bearer(token))
    assert {c["name"] for c in body["checks"]} >= {"api", "closed"}


def test_services_lists_the_configuration(health_world):
    reply = fetch(health_world["open"].url, "/api/v1/services")
    services = {s["name"]: s for s in reply.json()["services"]}
    assert services["api"]["kind"] == "http" and services["api"]["timeout_s"] == 5.0
    assert services["closed"]["kind"] == "tcp"
    assert fetch(health_world["signed"].url, "/api/v1/services").status == 401


def test_cache_stats(health_world):
    url = health_world["open"].url
    assert fetch(url, "/api/v1/images/1/thumbnail.png").status == 200
    caches = {c["name"]: c for c in fetch(url, "/api/v1/cache").json()["caches"]}
    thumbs = caches["thumbnails"]
    assert thumbs["entries"] >= 1 and thumbs["bytes"] > 0
    assert thumbs["limit_bytes"] == 2 * 1024**3 and thumbs["misses"] >= 1
    assert thumbs["location"] is not None and "queries" in caches


def _audit(ds) -> list[dict]:
    db = Database(settings_for(str(ds.db_path)))
    try:
        with db.connect() as conn:
            return [dict(r) for r in conn.execute(
                sa.select(dash_audit).where(dash_audit.c.action == "clear-cache")
                .order_by(dash_audit.c.id)).mappings()]
    finally:
        db.dispose()


def test_clearing_needs_an_operator_and_is_audited(health_world):
    url, ds = health_world["signed"].url, health_world["ds"]
    assert call(url, "POST", "/api/v1/cache/clear", body={}).status == 401
    vera = _sign_in(url, "vera")
    refused = call(url, "POST", "/api/v1/cache/clear", body={}, cookies=vera,
                   headers={"X-XSRFToken": vera["_xsrf"]})
    assert refused.status == 403 and "operator" in refused.json()["message"]
    otto = _sign_in(url, "otto")
    no_xsrf = call(url, "POST", "/api/v1/cache/clear", body={}, cookies=otto)
    assert no_xsrf.status == 403 and no_xsrf.json()["error"] == "xsrf_failed"
    unknown = call(url, "POST", "/api/v1/cache/clear", body={"caches": ["nope"]},
                   cookies=otto, headers={"X-XSRFToken": otto["_xsrf"]})
    assert unknown.status == 400 and "nope" in unknown.json()["message"]
    assert fetch(url, "/api/v1/images/1/thumbnail.png", {"Cookie": "; ".join(
        f"{k}={v}" for k, v in otto.items())}).status == 200
    done = call(url, "POST", "/api/v1/cache/clear", body={"caches": ["thumbnails"]},
                cookies=otto, headers={"X-XSRFToken": otto["_xsrf"]})
    assert done.status == 200, done.body
    assert done.json()["cleared"] == ["thumbnails"] and done.json()["removed"]["thumbnails"] >= 1
    after = {c["name"]: c for c in call(url, "GET", "/api/v1/cache", cookies=otto)
             .json()["caches"]}
    assert after["thumbnails"]["entries"] == 0
    rows = _audit(ds)
    assert [(r["actor"], r["role"], r["result"]) for r in rows[-2:]] == [
        ("vera", "viewer", "refused"), ("otto", "operator", "ok")]
    assert rows[-1]["target_kind"] == "cache" and rows[-1]["target_id"] == "thumbnails"
    assert rows[-1]["address"] == "127.0.0.1"


def test_a_head_and_a_get_of_the_clear_endpoint(health_world):
    url = health_world["open"].url
    assert call(url, "GET", "/api/v1/cache/clear").status == 405
    assert call(url, "HEAD", "/api/v1/cache").status == 200
    assert call(url, "HEAD", "/api/v1/health?detailed=true").status == 200

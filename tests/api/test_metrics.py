"""``/metrics`` (decision 0064) on a real server over a small generated demo dataset,
parsed with prometheus_client's own parser: the figures match the database, the
thumbnail counters move, a route's latency histogram has its buckets, and who may
scrape is decided by address or token."""

from __future__ import annotations

import time
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from dsa110_dashboard.auth.roles import Role
from dsa110_dashboard.auth.store import prepare_store, store_database
from dsa110_dashboard.auth.tokens import TokenStore
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.settings import Settings
from server import start_server


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from dsa110_dashboard.demo.build import build_demo

    out = tmp_path_factory.mktemp("metrics-demo")
    build_demo(out, days=1, size=128, seed=11, images_per_day=8)
    return out


@pytest.fixture(scope="module")
def env(demo, tmp_path_factory):
    return {"DSA110_DASH_DB": str(demo / "pipeline.sqlite3"),
            "DSA110_DASH_DATA_DIR": str(demo),
            "DSA110_DASH_CACHE_DIR": str(tmp_path_factory.mktemp("metrics-cache")),
            "DSA110_DASH_AUTH_DB": str(tmp_path_factory.mktemp("metrics-auth") / "a.sqlite3"),
            "CONTIMG_LOGS_DIR": str(demo / "logs"),
            # Every scrape reads the database again: the tests change it between scrapes.
            "DSA110_DASH_METRICS_CACHE_SECONDS": "0.001",
            "DSA110_DASH_COUNT_CACHE_SECONDS": "0.001"}


@pytest.fixture(scope="module")
def server(env):
    running = start_server(env)
    yield running
    running.stop()


def scrape(server, headers: dict | None = None) -> dict[str, dict]:
    """{family name: {(sample name, frozenset(labels)): value}}."""
    request = urllib.request.Request(server.url + "/metrics", headers=headers or {})
    with urllib.request.urlopen(request, timeout=20) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        text = response.read().decode()
    families = {}
    for family in text_string_to_metric_families(text):
        families[family.name] = {(s.name, frozenset(s.labels.items())): s.value
                                 for s in family.samples}
    return families


def value(families, family: str, sample: str | None = None, **labels) -> float:
    return families[family][(sample or family, frozenset(labels.items()))]


def test_figures_match_the_demo_database(server, env):
    families = scrape(server)
    db = Database(Settings.load(environ=env))
    try:
        with db.connect() as conn:
            def one(sql: str, **params):
                return conn.execute(sa.text(sql), params).scalar()

            now = time.time()
            images = one("SELECT count(*) FROM images")
            photometry = one("SELECT count(*) FROM photometry")
            newest = one("SELECT max(created_at) FROM images")
            last_day = one("SELECT count(*) FROM images WHERE created_at > :t", t=now - 86400)
            statuses = dict(conn.execute(sa.text(
                "SELECT status, count(*) FROM jobs GROUP BY status")).all())
    finally:
        db.dispose()
    assert images > 0 and photometry > 0
    assert value(families, "dsa110_dash_images") == images
    assert value(families, "dsa110_dash_photometry_rows") == photometry
    assert value(families, "dsa110_dash_rows", table="images", exact="1") == images
    assert value(families, "dsa110_dash_sources") > 0
    assert value(families, "dsa110_dash_images_last_24h") == last_day
    age = value(families, "dsa110_dash_newest_image_age_seconds")
    assert now - newest - 60 <= age <= now - newest + 60
    assert {dict(labels)["status"]: v for (_n, labels), v
            in families["dsa110_dash_jobs"].items()} == statuses
    assert value(families, "dsa110_dash_sessions_open") >= 0


def test_open_sessions_are_the_count_the_health_page_shows(server):
    """One count for both (decision 0077): a page opened is a session in /metrics and in
    views.sessions, which the /health page's process card reads (the server runs in
    this test process, so both are read here)."""
    from dsa110_dashboard.views.sessions import open_sessions

    with urllib.request.urlopen(server.url + "/images", timeout=60) as page:
        assert page.status == 200  # Bokeh made the page's session
    before = open_sessions()
    scraped = value(scrape(server), "dsa110_dash_sessions_open")
    after = open_sessions()
    assert before >= 1 and min(before, after) <= scraped <= max(before, after)


def test_pending_queue_age_per_type(server, env):
    db = Database(Settings.load(environ={**env, "DSA110_DASH_READ_ONLY": "false"}))
    try:
        with db.transaction() as conn:
            conn.execute(sa.text(
                "INSERT INTO jobs (type, status, ms_path, params, created_at) "
                "VALUES ('metrics_probe', 'pending', '/x.ms', '{}', :t)"),
                {"t": time.time() - 120})
        families = scrape(server)
        age = value(families, "dsa110_dash_queue_oldest_pending_age_seconds",
                    type="metrics_probe")
        assert 110 <= age <= 3600
        assert value(families, "dsa110_dash_queue_jobs", type="metrics_probe",
                     status="pending") == 1
    finally:
        with db.transaction() as conn:
            conn.execute(sa.text("DELETE FROM jobs WHERE type = 'metrics_probe'"))
        db.dispose()


def test_thumbnail_counters_move_and_the_route_has_a_histogram(server, env):
    db = Database(Settings.load(environ=env))
    with db.connect() as conn:
        image_id = conn.execute(sa.text("SELECT min(id) FROM images")).scalar()
    db.dispose()
    before = scrape(server)
    renders = value(before, "dsa110_dash_thumbnail_renders", "dsa110_dash_thumbnail_renders_total")
    hits = value(before, "dsa110_dash_thumbnail_cache_hits",
                 "dsa110_dash_thumbnail_cache_hits_total")
    path = f"/api/v1/images/{image_id}/thumbnail.png?size=48"
    assert server.get(path)[0] == 200  # rendered
    assert server.get(path)[0] == 200  # from the cache
    after = scrape(server)
    assert value(after, "dsa110_dash_thumbnail_renders",
                 "dsa110_dash_thumbnail_renders_total") == renders + 1
    assert value(after, "dsa110_dash_thumbnail_cache_hits",
                 "dsa110_dash_thumbnail_cache_hits_total") == hits + 1
    route = "/api/v1/images/{}/thumbnail.png"
    histogram = after["dsa110_dash_request_duration_seconds"]
    buckets = {dict(labels)["le"]: v for (name, labels), v in histogram.items()
               if name.endswith("_bucket") and dict(labels).get("route") == route
               and dict(labels).get("code") == "200"}
    assert buckets["+Inf"] >= 2 and "0.1" in buckets and "1.0" in buckets
    assert value(after, "dsa110_dash_request_duration_seconds",
                 "dsa110_dash_request_duration_seconds_count", route=route, method="GET",
                 code="200") >= 2
    # Labels are route patterns, never raw URLs.
    assert not any(f"/images/{image_id}/" in dict(labels).get("route", "")
                   for (_n, labels) in histogram)


def test_pages_are_labelled_by_their_route(server):
    assert server.get("/images/1")[0] in (200, 302)
    families = scrape(server)
    routes = {dict(labels).get("route")
              for (_n, labels) in families["dsa110_dash_request_duration_seconds"]}
    assert "/images/{image_id}" in routes and "/metrics" in routes


def test_a_scraper_from_elsewhere_needs_a_token(env):
    """Here only a network this machine is not on may scrape without a token (192.0.2.0/24
    is for documentation): a bearer token of any role may."""
    running = start_server({**env, "DSA110_DASH_METRICS_ALLOW": "192.0.2.0/24"})
    try:
        status, body = running.get("/metrics")
        assert status == 403 and body["error"] == "forbidden"
        assert "DSA110_DASH_METRICS_ALLOW" in body["message"]
        store = store_database(Settings.load(environ=env))
        prepare_store(store)
        token = TokenStore(store).create("prometheus", Role.VIEWER, created_by="test")
        store.dispose()
        families = scrape(running, {"Authorization": f"Bearer {token}"})
        assert "dsa110_dash_images" in families
        request = urllib.request.Request(running.url + "/metrics",
                                         headers={"Authorization": "Bearer wrong"})
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=10)
        assert info.value.code == 403
    finally:
        running.stop()


def test_malformed_allow_list_is_named():
    from dsa110_dashboard.errors import ConfigError

    with pytest.raises(ConfigError, match="DSA110_DASH_METRICS_ALLOW: 'ten.0.0.0/8'"):
        Settings.load(environ={"DSA110_DASH_METRICS_ALLOW": "ten.0.0.0/8"})


def test_each_health_check_has_its_status_and_latency(server):
    """The health monitor's checks (status.checks) as gauges: the database answers."""
    for _ in range(100):
        families = scrape(server)
        status = families["dsa110_dash_health_check_status"]
        if status.get(("dsa110_dash_health_check_status",
                       frozenset({("check", "database")}))) == 0:
            break
        time.sleep(0.3)
    else:
        raise AssertionError(f"the database check never reported ok: {status}")
    latency = value(families, "dsa110_dash_health_check_latency_seconds", check="database")
    assert 0 <= latency < 5
    assert all(v in (0, 1, 2, 3) for v in status.values())


def test_odd_methods_and_unknown_paths_do_not_make_new_labels(server):
    import http.client

    for n in range(3):
        conn = http.client.HTTPConnection(server.url.removeprefix("http://"), timeout=10)
        conn.request(f"PROBE{n}", f"/api/v1/images/{n}/nothing-{n}")
        conn.getresponse().read()
        conn.close()
    histogram = scrape(server)["dsa110_dash_request_duration_seconds"]
    labels = [dict(labels) for (_n, labels) in histogram]
    assert not any(label.get("method", "").startswith("PROBE") for label in labels)
    assert not any("nothing" in label.get("route", "") for label in labels)
    assert any(label.get("method") == "other" and label.get("route") == "other"
               for label in labels)

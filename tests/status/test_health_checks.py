"""The health checks against real services the tests start (issue 16): HTTP servers
answering, degraded and hanging, a closed port, PostgreSQL and SQLite, Redis on this
machine, the real free disk space, and the monitor's timeouts and bounded history."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

from dsa110_dashboard.errors import ConfigError
from dsa110_dashboard.status.checks import (
    CRITICAL,
    OK,
    UNKNOWN,
    WARNING,
    CheckResult,
    HealthConfigError,
    HealthMonitor,
    build_monitor,
    load_checks,
    overall,
)
from dsa110_dashboard.status.checks.probes import (
    GB,
    Check,
    DatabaseCheck,
    DiskCheck,
    HttpCheck,
    RedisCheck,
    SystemdCheck,
    TcpCheck,
)
from dsa110_dashboard.status.checks.result import Outcome

from dbsupport import settings_for
from servers import closed_port, http_service

REDIS = ("127.0.0.1", 6379)


def run(*checks: Check) -> dict[str, CheckResult]:
    return {r.name: r for r in HealthMonitor(checks, interval_s=30).run_once()}


def test_http_ok_degraded_and_error_status():
    with http_service() as ok_url, http_service(b'{"status": "degraded"}') as degraded_url, \
            http_service(b"down", status=503) as down_url:
        results = run(HttpCheck("ok", 5, url=ok_url), HttpCheck("degraded", 5, url=degraded_url),
                      HttpCheck("down", 5, url=down_url))
    assert results["ok"].status == OK and results["ok"].detail == "HTTP 200"
    assert results["ok"].latency_ms is not None and results["ok"].checked_at is not None
    assert results["degraded"].status == WARNING
    assert "degraded" in results["degraded"].error
    assert results["down"].status == CRITICAL and "503" in results["down"].error


def test_a_hanging_service_times_out_without_delaying_the_others():
    hold = threading.Event()
    with http_service(hold=hold) as slow_url, http_service() as ok_url:
        monitor = HealthMonitor([HttpCheck("slow", 0.5, url=slow_url),
                                 HttpCheck("ok", 5, url=ok_url)], interval_s=30)
        results = {r.name: r for r in monitor.run_once()}
        # The round ended while the slow service was still holding its answer.
        assert not hold.is_set()
        assert results["slow"].status == CRITICAL
        assert results["slow"].error.startswith("timed out after 0.5 s")
        assert results["slow"].latency_ms is None
        assert results["ok"].status == OK
        assert monitor.overall() == CRITICAL
        monitor.stop()  # reading started its scheduler


def test_a_slow_sender_is_cut_off_at_the_checks_timeout():
    """The socket's timeout bounds each read; the check bounds the whole body, so its
    thread comes back instead of reading a drip for hours."""
    with http_service(b"x" * 5000, drip=0.05) as url:
        outcome = HttpCheck("drip", 0.5, url=url).run()
    assert outcome.status == CRITICAL
    assert "reading the answer" in outcome.error


def test_a_hung_check_is_not_started_again_while_it_runs():
    release = threading.Event()
    started = []

    class Hung(Check):
        kind = "test"

        def run(self) -> Outcome:
            started.append(1)
            release.wait(60)
            return Outcome(OK)

    monitor = HealthMonitor([Hung("hung", 0.2)], interval_s=30)
    try:
        first = monitor.run_once()[0]
        second = monitor.run_once()[0]
    finally:
        release.set()
    assert first.status == second.status == CRITICAL
    assert "timed out" in second.error
    assert len(started) == 1


def test_a_closed_port_is_critical():
    port = closed_port()
    results = run(TcpCheck("tcp", 2, host="127.0.0.1", port=port),
                  RedisCheck("redis", 2, host="127.0.0.1", port=port),
                  HttpCheck("http", 2, url=f"http://127.0.0.1:{port}/"))
    for result in results.values():
        assert result.status == CRITICAL, result
        assert result.error  # the refusal, in words
    assert "no answer" in results["http"].error


def test_redis_answers_ping():
    with socket.create_connection(REDIS, timeout=2):
        pass  # Redis is required here: a refusal fails this line, loudly
    results = run(RedisCheck("redis", 2, host=REDIS[0], port=REDIS[1]),
                  TcpCheck("tcp", 2, host=REDIS[0], port=REDIS[1]))
    assert results["redis"].status == OK and results["redis"].detail == "PONG"
    assert results["tcp"].status == OK


def test_redis_check_on_something_else_is_critical():
    with http_service() as url:
        port = int(url.split(":")[2].split("/")[0])
        result = run(RedisCheck("redis", 2, host="127.0.0.1", port=port))["redis"]
    assert result.status == CRITICAL


def test_database_check_on_both_backends(db):
    result = run(DatabaseCheck("database", 2, db=db))["database"]
    assert result.status == OK
    assert result.latency_ms is not None and result.latency_ms >= 0
    assert db.dialect in result.detail


def test_an_unreachable_postgresql_is_critical():
    port = closed_port()
    settings = settings_for(f"postgresql+psycopg://postgres@127.0.0.1:{port}/nothing")
    from dsa110_dashboard.db.engine import Database

    missing = Database(settings)
    try:
        result = run(DatabaseCheck("database", 2, db=missing))["database"]
    finally:
        missing.dispose()
    assert result.status == CRITICAL and result.error


@pytest.mark.parametrize("ok_factor, warning_factor, expected", [
    (0.5, 0.25, OK), (2.0, 0.5, WARNING), (3.0, 2.0, CRITICAL)])
def test_disk_thresholds_around_the_real_free_space(tmp_path, ok_factor, warning_factor,
                                                    expected):
    free = shutil.disk_usage(tmp_path).free
    check = DiskCheck("disk", 2, path=tmp_path, ok_bytes=int(free * ok_factor),
                      warning_bytes=int(free * warning_factor))
    result = run(check)["disk"]
    assert result.status == expected
    assert "GB free" in result.detail


def test_disk_thresholds_from_settings_and_a_missing_path(tmp_path):
    free_gb = shutil.disk_usage(tmp_path).free / GB
    path = tmp_path / "pipeline.sqlite3"
    path.touch()
    settings = settings_for(str(path), DSA110_DASH_DATA_DIR=str(tmp_path),
                            DSA110_DASH_DISK_OK_GB=str(free_gb * 2),
                            DSA110_DASH_DISK_WARNING_GB=str(free_gb / 2))
    from dsa110_dashboard.db.engine import Database

    db = Database(settings)
    disks = [c for c in load_checks(settings, db) if c.kind == "disk"]
    assert disks and all(r.status == WARNING for r in run(*disks).values())
    gone = run(DiskCheck("gone", 2, path=tmp_path / "nowhere"))["gone"]
    assert gone.status == CRITICAL and "does not exist" in gone.error


def test_systemd_without_systemctl_is_unknown(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no systemctl on this PATH
    result = run(SystemdCheck("unit", 2, unit="contimg-stream.service"))["unit"]
    assert result.status == UNKNOWN and "systemctl" in result.error


def test_systemd_unit_on_this_host():
    """Where systemctl exists the answer is a state (or unknown when systemd is not
    running, as in a container); never an error from a shell."""
    result = run(SystemdCheck("unit", 5, unit="dsa110-no-such-unit.service"))["unit"]
    if shutil.which("systemctl") is None:
        assert result.status == UNKNOWN
    else:
        assert result.status in (CRITICAL, UNKNOWN)


def test_history_is_bounded_by_time_and_count():
    now = [1000.0]

    class Quick(Check):
        kind = "test"

        def run(self) -> Outcome:
            return Outcome(OK)

    monitor = HealthMonitor([Quick("q", 1)], interval_s=10, history_s=100,
                            clock=lambda: now[0])
    for _ in range(50):
        monitor.run_once()
        now[0] += 10
    points = monitor.history("q")
    assert len(points) <= 11
    assert points[0].checked_at >= now[0] - 10 - 100
    summary = monitor.summary("q")
    assert summary["counts"][OK] == len(points)


def test_overall_rolls_up_and_unknown_hides_nothing():
    def r(status: str) -> CheckResult:
        return CheckResult("x", "t", "", status, None, None)

    assert overall([]) == UNKNOWN
    assert overall([r(UNKNOWN), r(OK)]) == OK
    assert overall([r(OK), r(WARNING), r(UNKNOWN)]) == WARNING
    assert overall([r(WARNING), r(CRITICAL)]) == CRITICAL


# ------------------------------------------------------------------ configuration
def _settings(tmp_path: Path, text: str | None = None, **env: str):
    db = tmp_path / "pipeline.sqlite3"
    db.touch()
    if text is not None:
        (tmp_path / "checks.toml").write_text(text)
        env["DSA110_DASH_HEALTH_CHECKS"] = str(tmp_path / "checks.toml")
    return settings_for(str(db), DSA110_DASH_DATA_DIR=str(tmp_path), **env)


def _load(settings):
    from dsa110_dashboard.db.engine import Database

    return load_checks(settings, Database(settings))


def test_default_checks_are_the_dashboards_own(tmp_path):
    kinds = [c.kind for c in _load(_settings(tmp_path))]
    assert kinds == ["database", "disk", "disk", "thumbnail-cache", "workers", "queue",
                     "freshness"]


def test_the_example_file_loads(tmp_path):
    example = Path(__file__).resolve().parents[2] / "docs" / "health-checks.example.toml"
    settings = _settings(tmp_path, example.read_text())
    checks = {c.name: c for c in _load(settings)}
    assert checks["Grafana"].url == "http://127.0.0.1:3030/api/health"
    assert checks["Prometheus"].url == "http://127.0.0.1:9090/-/healthy"
    assert checks["Redis"].port == 6379
    assert checks["pipeline API"].url.startswith("http://127.0.0.1:8000/")
    assert {c.kind for c in checks.values()} >= {"systemd", "http", "redis", "database"}


def test_a_file_without_defaults_and_timeouts(tmp_path):
    settings = _settings(tmp_path, """
include_defaults = false
[[check]]
name = "api"
kind = "http"
url = "http://127.0.0.1:8000/"
timeout = 1.5
[[check]]
name = "port"
kind = "tcp"
port = 9090
""", DSA110_DASH_TIMEOUT_QUICK_CHECK="3")
    checks = _load(settings)
    assert [(c.name, c.timeout) for c in checks] == [("api", 1.5), ("port", 3.0)]


@pytest.mark.parametrize("text, named", [
    ('[[check]]\nname = "a"\nkind = "http"\nurll = "http://x/"',
     "check #1 ('a'): 'url' is missing"),
    ('[[check]]\nname = "a"\nkind = "http"\nurl = "http://x/"\nextra = 1', "unknown key 'extra'"),
    ('[[check]]\nname = "a"\nkind = "ftp"', "unknown kind 'ftp'"),
    ('[[check]]\nname = "a"\nkind = "http"\nurl = "file:///etc/passwd"', "not an http://"),
    ('[[check]]\nname = "a"\nkind = "tcp"\nport = 70000', "not a port number"),
    ('[[check]]\nname = "a"\nkind = "tcp"\nport = 1\ntimeout = 0', "'timeout' must be greater"),
    ('[[check]]\nname = "a"\nkind = "systemd"\nunit = "--root=/ x"', "not a systemd unit"),
    ('[[check]]\nname = "database"\nkind = "tcp"\nport = 1', "used twice"),
    ('[[check]]\nname = "a"\nkind = "disk"\npath = "/"\nok_gb = 1\nwarning_gb = 2',
     "above 'ok_gb'"),
    ('checks = 1', "unknown top-level key 'checks'"),
    ('[[check]\n', "not valid TOML"),
])
def test_bad_configuration_names_the_entry(tmp_path, text, named):
    with pytest.raises(HealthConfigError) as err:
        _load(_settings(tmp_path, text))
    message = str(err.value)
    assert message.startswith("DSA110_DASH_HEALTH_CHECKS: ")
    assert named in message
    assert isinstance(err.value, ConfigError)


def test_a_missing_file_is_a_setting_error(tmp_path):
    with pytest.raises(ConfigError, match="DSA110_DASH_HEALTH_CHECKS"):
        settings_for(str(tmp_path / "x.sqlite3"),
                     DSA110_DASH_HEALTH_CHECKS=str(tmp_path / "missing.toml"))


def test_the_scheduler_runs_rounds_by_itself(tmp_path):
    settings = _settings(tmp_path, DSA110_DASH_HEALTH_INTERVAL_SECONDS="0.2")
    from dsa110_dashboard.db.engine import Database

    monitor = build_monitor(settings, Database(settings))
    assert monitor.interval_s == 0.2
    monitor.start()
    try:
        deadline = time.monotonic() + 60
        while monitor.runs < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert monitor.runs >= 2
        results = monitor.results()
        assert all(r.checked_at is not None for r in results)
        assert {r.name: r.status for r in results}["database"] == OK
    finally:
        monitor.stop()
    assert os.getpid() == monitor._pid


def test_a_stop_then_a_start_leaves_one_scheduler():
    """stop() then start() at once (a test server stopped, the monitor read again): the
    first scheduler ends even if it had not yet seen its stop."""
    monitor = HealthMonitor([], interval_s=3600)
    monitor.start()
    first = monitor._thread
    monitor.stop()
    monitor.start()
    second = monitor._thread
    try:
        first.join(timeout=30)
        assert not first.is_alive(), "the stopped scheduler kept running beside the new one"
        assert second is not first and second.is_alive()
    finally:
        monitor.stop(wait=True)
    assert not second.is_alive()


def test_monitors_start_in_a_forked_process_through_one_hook_and_are_not_kept():
    """Several processes (DSA110_DASH_NUM_PROCS > 1): a monitor asked to start after a
    fork runs its scheduler in the child; a stopped one does not, and a monitor nobody
    holds any more is not kept alive by the hook (a hook per context kept every context
    of every test server, and restarted the stopped ones in a fork)."""
    import gc
    import weakref

    live, stopped, dropped = (HealthMonitor([], interval_s=3600) for _ in range(3))
    for monitor in (live, stopped, dropped):
        monitor.start_after_fork()
    stopped.stop()
    gone = weakref.ref(dropped)
    del dropped, monitor
    gc.collect()
    assert gone() is None, "the at-fork hook kept a monitor nobody holds"
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child reports which schedulers run, and leaves at once
        ran = [m._thread is not None and m._thread.is_alive() and m._pid == os.getpid()
               for m in (live, stopped)]
        os.write(write, bytes(ran))
        os._exit(0)
    os.close(write)
    try:
        assert os.read(read, 2) == bytes([True, False])
    finally:
        os.close(read)
        os.waitpid(child, 0)
        live.stop()

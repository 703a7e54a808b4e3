"""Start the real dashboard server (app.py) on a free port: in a thread, for tests
(``start_server``), or as its own process as in production (``serve_in_process``; the
wall tests that restart it and benchmarks/soak_wall.py, which imports it from here)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dsa110_dashboard.cli.serve_cmd import load_app
from dsa110_dashboard.settings import Settings

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class RunningServer:
    url: str
    thread: object
    own_dir: str | None = None  # a data dir made for it, removed when it stops

    def get(self, path: str, timeout: float = 10.0) -> tuple[int, dict | bytes]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=timeout) as response:
                return response.status, _decode(response)
        except urllib.error.HTTPError as err:
            return err.code, _decode(err)

    def stop(self) -> None:
        self.thread.stop()
        monitor = getattr(self.thread, "health", None)
        if monitor is not None:  # the server's health scheduler (app.serve)
            monitor.stop()
        if self.own_dir is not None:
            shutil.rmtree(self.own_dir, ignore_errors=True)


def _decode(response) -> dict | bytes:
    body = response.read()
    if "json" in (response.headers.get("Content-Type") or ""):
        return json.loads(body)
    return body


def start_server(env: dict[str, str], timeout: float = 60.0,
                 port: int | None = None) -> RunningServer:
    """``port``: when the test must know it before the server starts (an OAuth redirect
    URI); a free one otherwise."""
    port = port or free_port()
    own_dir = None
    if not env.get("DSA110_DASH_DATA_DIR"):
        # The sign-in store and cache of this server: never the checkout's ./demo-data.
        own_dir = tempfile.mkdtemp(prefix="dsa110-test-server-")
        env = {**env, "DSA110_DASH_DATA_DIR": own_dir}
    settings = Settings.load(environ={**env, "DSA110_DASH_PORT": str(port),
                                      "DSA110_DASH_ADDRESS": "127.0.0.1"})
    thread = load_app(ROOT / "app.py").serve(settings, threaded=True)
    server = RunningServer(url=f"http://127.0.0.1:{port}", thread=thread, own_dir=own_dir)
    deadline = time.monotonic() + timeout
    while True:
        try:
            status, _ = server.get("/api/v1/health", timeout=2)
            if status == 200:
                return server
        except OSError:
            pass
        if not thread.is_alive():
            raise RuntimeError(f"the dashboard server thread died while starting on port "
                               f"{port}; see the captured log")
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"the dashboard did not start on port {port}")
        time.sleep(0.2)


def serve_in_process(env: dict[str, str], port: int, log: Path,
                     timeout: float = 90.0) -> subprocess.Popen:
    """``dsa110-dash serve`` on 127.0.0.1:``port`` with ``env`` over this environment,
    in a process group of its own (``stop_process`` ends it with its children), its
    output appended to ``log``; returned once /api/v1/health answers. RuntimeError
    naming the log when it exits first or does not answer within ``timeout`` s."""
    full = {**os.environ, **env, "DSA110_DASH_PORT": str(port),
            "DSA110_DASH_ADDRESS": "127.0.0.1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "dsa110_dashboard.cli.main", "serve"], env=full, cwd=ROOT,
        stdout=log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health",
                                        timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the server exited; see {log}: {log.read_text()[-2000:]}")
        time.sleep(0.3)
    stop_process(process)
    raise RuntimeError(f"the server did not start within {timeout:g} s; see {log}")


def stop_process(process: subprocess.Popen, timeout: float = 20.0) -> None:
    """End a server from ``serve_in_process`` (its whole group): SIGTERM, then SIGKILL
    after ``timeout`` seconds."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

"""Start the real dashboard server (app.py) in a thread on a free port, for tests."""

from __future__ import annotations

import json
import shutil
import socket
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

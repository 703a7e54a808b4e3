"""tests/server.py's ``serve_in_process``, the one helper that starts ``dsa110-dash
serve`` as its own process (the wall restart test, benchmarks/soak_wall.py): a server
that cannot start is a RuntimeError carrying its log, not a wait for the timeout."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from server import ROOT, free_port, serve_in_process


def test_a_server_that_exits_is_named_with_its_log(tmp_path):
    log = tmp_path / "server.log"
    began = time.monotonic()
    with pytest.raises(RuntimeError, match="DSA110_DASH_WALL_NETWORKS") as raised:
        serve_in_process({"DSA110_DASH_WALL_NETWORKS": "control-room",
                          "DSA110_DASH_DATA_DIR": str(tmp_path)}, free_port(), log)
    assert str(log) in str(raised.value) and time.monotonic() - began < 80


def test_the_soak_benchmark_takes_its_helpers_from_there():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "soak_wall.py"),
                           "--help"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "--minutes" in done.stdout, done.stderr

"""One helper starts ``dsa110-dash serve`` as its own process: tests/server.py's
``serve_in_process`` and ``stop_process``, which the wall's restart test
(tests/browser/test_wall_page.py) runs for real and benchmarks/soak_wall.py imports
rather than carrying a copy."""

from __future__ import annotations

import importlib.util

import server
from server import ROOT


def test_the_soak_benchmark_starts_and_stops_its_server_with_the_shared_helper():
    spec = importlib.util.spec_from_file_location("soak_wall",
                                                  ROOT / "benchmarks" / "soak_wall.py")
    soak = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(soak)  # its imports only: main() is not run
    assert soak.serve_in_process is server.serve_in_process
    assert soak.stop_process is server.stop_process and soak.free_port is server.free_port

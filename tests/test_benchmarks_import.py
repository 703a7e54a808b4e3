"""Every benchmark script imports: they run by hand, outside the suite, so a name moved in
the package (as eta_v's RESAMPLE_FACTOR to views/raster_size.py) would otherwise break
one unnoticed until the next measurement."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
SCRIPTS = sorted(p.stem for p in BENCHMARKS.glob("*.py"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_the_benchmark_script_imports(name, monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # the scripts import each other
    for cached in [m for m in sys.modules if m in SCRIPTS]:
        monkeypatch.delitem(sys.modules, cached)
    module = importlib.import_module(name)
    # Each runs only from its command line (bench_api_frameworks builds its FastAPI
    # server as a script's text: fastapi is not a dependency of the dashboard).
    assert module.__doc__
    if name != "js_profile":
        assert callable(getattr(module, "main", None)), f"{name} has no main()"

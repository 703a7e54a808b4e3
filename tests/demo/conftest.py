"""A small demo dataset built once per session, on real files and real SQLite."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest

from dsa110_dashboard.demo import build_demo

#: The demo ends when it is built (as `dsa110-dash demo` does); one end time for the
#: session, so two builds with the same arguments can be compared row for row.
SMALL = {"days": 2, "size": 256, "seed": 1, "end": float(round(time.time()))}


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "data"
    summary = build_demo(out, **SMALL)
    return summary


@pytest.fixture
def conn(small_demo):
    c = sqlite3.connect(f"file:{small_demo.out_dir / 'pipeline.sqlite3'}?mode=ro", uri=True)
    c.row_factory = sqlite3.Row
    yield c
    c.close()


@pytest.fixture(scope="session")
def truth(small_demo) -> dict:
    return json.loads((Path(small_demo.out_dir) / "demo_truth.json").read_text())

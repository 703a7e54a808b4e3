"""Fixtures of the queue's tests: a migrated database with one original job to rerun."""

from __future__ import annotations

import json
import shutil

import pytest

from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.jobs.service import JobService
from factories import MJD0, UNIX0, insert

from .jobhelpers import settings_with, write_script

MS = "/data/ms/2025-10-17T14:40:09.ms"
CAL = ["/data/cal/2025-10-17_0834+555/k.kcal", "/data/cal/2025-10-17_0834+555/bp.bpcal"]


@pytest.fixture
def out(tmp_path, monkeypatch):
    """Where the fake pipeline writes what it was given (inherited by its processes)."""
    path = tmp_path / "out"
    path.mkdir()
    monkeypatch.setenv("JOB_TEST_OUT", str(path))
    return path


@pytest.fixture
def script(tmp_path):
    return write_script(tmp_path)


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    path = tmp_path / "pipeline.sqlite3"
    shutil.copy(sqlite_template, path)
    return str(path)


def seed_original(db: Database) -> int:
    """An imaging job on an MS with a phase centre and two active calibration tables."""
    with db.transaction() as conn:
        insert(conn, "ms_index", path=MS, mid_mjd=MJD0 + 0.5, ra_deg=131.25,
               dec_deg=54.57)
        insert(conn, "caltables", set_name="s", path=CAL[1], table_type="BP",
               order_index=30, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1)
        insert(conn, "caltables", set_name="s", path=CAL[0], table_type="K",
               order_index=10, valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1)
        insert(conn, "caltables", set_name="old", path="/data/cal/old.bpcal",
               table_type="BP", order_index=30, status="retired",
               valid_start_mjd=MJD0, valid_end_mjd=MJD0 + 1)
        row = insert(conn, "jobs", type="imaging", status="completed", ms_path=MS,
                     params=json.dumps({"imsize": 1024, "niter": 10000, "robust": 0.5,
                                        "weighting": "briggs", "note": "kept"}),
                     created_at=UNIX0, started_at=UNIX0 + 1, finished_at=UNIX0 + 60)
    return int(row["id"])


@pytest.fixture
def make_service(tmp_path):
    made = []

    def make(db_url: str, template_text: str | None, **env: str):
        settings = settings_with(db_url, tmp_path, template_text, **env)
        db = Database(settings)
        made.append(db)
        return db, settings, JobService(db, settings)

    yield make
    for db in made:
        db.dispose()

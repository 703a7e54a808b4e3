"""Shared fixtures: real databases on SQLite and on the local PostgreSQL server.

Every repository test runs on both backends through the ``db`` fixture. PostgreSQL is
required: when it is unreachable the suite fails loudly rather than skipping.
"""

from __future__ import annotations

import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database

from dbsupport import PG_HOST, PG_PORT, BACKENDS, pg_url, settings_for  # noqa: F401

from dsa110_dashboard import settings as settings_module

CHECKOUT = Path(__file__).resolve().parents[1]
#: The real default (./demo-data), for the test of the default itself.
REAL_DEFAULT_DATA_DIR = settings_module._default_data_dir


@pytest.fixture(scope="session", autouse=True)
def data_dir_outside_the_checkout(tmp_path_factory):
    """Settings loaded without DSA110_DASH_DATA_DIR keep their sign-in store and cache in
    a temporary folder, never in the checkout's ./demo-data (that is `make run`'s demo);
    the session fails if anything new appears there all the same."""
    before = _entries(CHECKOUT / "demo-data")
    default = tmp_path_factory.mktemp("default-data-dir") / "demo-data"

    def moved() -> Path:
        return default

    moved.real = REAL_DEFAULT_DATA_DIR  # for the test of the default itself
    settings_module._default_data_dir = moved
    yield default
    settings_module._default_data_dir = REAL_DEFAULT_DATA_DIR
    added = _entries(CHECKOUT / "demo-data") - before
    assert not added, f"tests wrote into the checkout's demo-data: {sorted(added)}"


def _entries(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


@pytest.fixture(scope="session")
def pg_admin() -> Iterator[sa.Engine]:
    try:
        with socket.create_connection((PG_HOST, PG_PORT), timeout=5):
            pass
    except OSError as exc:
        pytest.fail(f"PostgreSQL is required at {PG_HOST}:{PG_PORT} and is not reachable "
                    f"({exc}); start it (see README) — the suite does not skip it")
    engine = sa.create_engine(pg_url("postgres"), isolation_level="AUTOCOMMIT")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_template(pg_admin) -> Iterator[str]:
    """A database migrated to head, copied for each test (CREATE DATABASE ... TEMPLATE)."""
    name = f"dsa110_tmpl_{uuid.uuid4().hex[:10]}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    template = Database(settings_for(pg_url(name)))
    migrate.upgrade(template)
    template.dispose()
    yield name
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "pipeline.sqlite3"
    template = Database(settings_for(str(path)))
    migrate.upgrade(template)
    with template.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    template.dispose()
    return path


@pytest.fixture
def make_pg_database(pg_admin, pg_template):
    """Create empty-but-migrated PostgreSQL databases; all are dropped after the test."""
    made: list[str] = []

    def make(template: str | None = pg_template) -> str:
        name = f"dsa110_test_{uuid.uuid4().hex[:12]}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with pg_admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{clause}')
        made.append(name)
        return pg_url(name)

    yield make
    with pg_admin.connect() as conn:
        for name in made:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, request, tmp_path, sqlite_template) -> str:
    """A fresh database at the head revision, on the backend under test."""
    if backend == "sqlite":
        path = tmp_path / "pipeline.sqlite3"
        shutil.copy(sqlite_template, path)
        return str(path)
    return request.getfixturevalue("make_pg_database")()


@pytest.fixture
def db(db_url) -> Iterator[Database]:
    database = Database(settings_for(db_url))
    yield database
    database.dispose()

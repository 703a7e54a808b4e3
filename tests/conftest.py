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

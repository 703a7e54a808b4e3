"""Database helpers shared by the tests (importable; conftest.py is not)."""

from __future__ import annotations

import os

from dsa110_dashboard.settings import Settings

PG_HOST = os.environ.get("DSA110_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("DSA110_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("DSA110_TEST_PG_USER", "postgres")
BACKENDS = ("sqlite", "postgresql")


def pg_url(database: str) -> str:
    return f"postgresql+psycopg://{PG_USER}@{PG_HOST}:{PG_PORT}/{database}"


def settings_for(db: str, **env: str) -> Settings:
    """Settings as a user would set them, isolated from this shell's environment."""
    return Settings.load(environ={"DSA110_DASH_DB": db, **env})

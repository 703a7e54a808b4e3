"""Engines, transactions and the failures a production database brings."""

import sqlite3
import subprocess
import sys
import textwrap

import pytest
import sqlalchemy as sa

from dbsupport import settings_for
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.errors import (
    ConflictError,
    DatabaseLockedError,
    DatabaseUnavailableError,
    ReadOnlyError,
)
from factories import insert
from legacy import older_unified


def count_images(db):
    images = db.catalog["images"]
    with db.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(images.table)).scalar()


def test_transaction_commits_on_success_and_rolls_back_on_error(db):
    with db.transaction() as conn:
        insert(conn, "images", path="/img/kept.fits")
    with pytest.raises(RuntimeError):
        with db.transaction() as conn:
            insert(conn, "images", path="/img/lost.fits")
            raise RuntimeError("boom")
    assert count_images(db) == 1


def test_unique_violation_is_a_conflict(db):
    with db.transaction() as conn:
        insert(conn, "images", path="/img/same.fits")
    with pytest.raises(ConflictError):
        with db.transaction() as conn:
            insert(conn, "images", path="/img/same.fits")
    assert count_images(db) == 1


def test_engine_is_made_once_per_process_and_again_after_a_fork(db):
    first = db.engine
    assert db.engine is first
    db._pid = -1  # what a forked child sees: another process id
    assert db.engine is not first
    assert count_images(db) == 0


def test_own_sqlite_database_runs_in_wal_mode_with_busy_timeout(tmp_path):
    db = Database(settings_for(str(tmp_path / "own.sqlite3"),
                               DSA110_DASH_TIMEOUT_DB_CONNECTION="7"))
    db.create_missing_file()
    with db.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
    db.dispose()


def test_read_only_mode_reads_and_refuses_writes(tmp_path):
    path = older_unified(tmp_path / "pipeline.sqlite3")
    db = Database(settings_for(str(path), DSA110_DASH_READ_ONLY="true"))
    assert count_images(db) == 2
    with pytest.raises(ReadOnlyError):
        with db.transaction() as conn:
            conn.exec_driver_sql("DELETE FROM images")
    db.dispose()
    assert sqlite3.connect(path).execute("SELECT count(*) FROM images").fetchone()[0] == 2


def test_a_writable_database_is_never_created_by_opening_it(tmp_path):
    """Only ``db upgrade`` (and the demo) make a database file; the server must not."""
    missing = tmp_path / "own.sqlite3"
    db = Database(settings_for(str(missing)))
    with pytest.raises(DatabaseUnavailableError, match="does not exist"):
        db.ping()
    with pytest.raises(DatabaseUnavailableError, match="does not exist"):
        count_images(db)
    assert not missing.exists()
    db.dispose()


def test_a_database_file_deleted_under_an_open_pool_is_unavailable_and_comes_back(tmp_path):
    """Pooled connections keep reading a deleted file; the engine must notice, answer
    'unavailable' (not the stale copy, not a new empty file) and serve the restored file."""
    path = older_unified(tmp_path / "pipeline.sqlite3")
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    backup = tmp_path / "backup.sqlite3"
    backup.write_bytes(path.read_bytes())
    db = Database(settings_for(str(path)))
    assert count_images(db) == 2  # the pool now holds an open connection to the file
    path.unlink()
    with pytest.raises(DatabaseUnavailableError, match="does not exist"):
        count_images(db)
    with pytest.raises(DatabaseUnavailableError):
        db.ping()
    assert not path.exists(), "no new empty database appeared in its place"
    backup.rename(path)
    assert count_images(db) == 2
    db.dispose()


def test_read_only_mode_never_creates_a_missing_file(tmp_path):
    missing = tmp_path / "absent.sqlite3"
    db = Database(settings_for(str(missing), DSA110_DASH_READ_ONLY="true"))
    with pytest.raises(DatabaseUnavailableError, match="does not exist"):
        count_images(db)
    assert not missing.exists()


def test_read_only_file_in_a_read_only_directory_still_opens(tmp_path):
    """The pipeline's account owns the file; the dashboard's may only read it, so SQLite
    cannot create the WAL's -shm file beside it.

    The subprocess runs without the capabilities that let root ignore file permissions
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so a 0555 directory and a 0444 file are as
    read-only for it as they are for an unprivileged account.
    """
    directory = tmp_path / "state"
    directory.mkdir()
    path = older_unified(directory / "pipeline.sqlite3")
    sqlite3.connect(path).execute("PRAGMA wal_checkpoint(TRUNCATE)").close()
    for p in (directory / "pipeline.sqlite3-wal", directory / "pipeline.sqlite3-shm"):
        p.unlink(missing_ok=True)
    path.chmod(0o444)
    directory.chmod(0o555)
    script = textwrap.dedent(f"""
        import sqlalchemy as sa
        from dsa110_dashboard.db.engine import Database
        from dsa110_dashboard.settings import Settings
        db = Database(Settings.load(environ={{"PIPELINE_DB": {str(path)!r}}}))
        images = db.catalog["images"]
        with db.connect() as conn:
            print(conn.execute(sa.select(sa.func.count()).select_from(images.table)).scalar())
    """)
    try:
        result = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all",
             sys.executable, "-c", script],
            capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "2"
        assert not (directory / "pipeline.sqlite3-shm").exists(), "nothing written beside it"
    finally:
        directory.chmod(0o755)


def test_locked_database_gives_a_clear_error_and_recovers(tmp_path):
    # A rollback-journal file (as older pipelines wrote) with a writer holding it
    # exclusively blocks readers too; WAL files block only writers.
    path = older_unified(tmp_path / "pipeline.sqlite3", wal=False)
    db = Database(settings_for(str(path), DSA110_DASH_READ_ONLY="true",
                               DSA110_DASH_TIMEOUT_DB_CONNECTION="0.2"))
    assert count_images(db) == 2
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(DatabaseLockedError, match="busy"):
            count_images(db)
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert count_images(db) == 2
    db.dispose()


def test_writer_lock_on_wal_database_blocks_writes_not_reads(tmp_path):
    path = tmp_path / "own.sqlite3"
    db = Database(settings_for(str(path), DSA110_DASH_TIMEOUT_DB_CONNECTION="0.2"))
    from dsa110_dashboard.db import migrate

    migrate.upgrade(db)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        assert count_images(db) == 0
        with pytest.raises(DatabaseLockedError):
            with db.transaction() as conn:
                insert(conn, "images")
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    with db.transaction() as conn:
        insert(conn, "images")
    assert count_images(db) == 1
    db.dispose()


def test_postgresql_down_is_database_unavailable():
    db = Database(settings_for("postgresql+psycopg://postgres@127.0.0.1:1/none",
                               DSA110_DASH_TIMEOUT_DB_CONNECTION="2"))
    with pytest.raises(DatabaseUnavailableError, match="unavailable"):
        db.ping()


def test_corrupt_sqlite_file_is_database_unavailable(tmp_path):
    path = tmp_path / "pipeline.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    db = Database(settings_for(str(path), DSA110_DASH_READ_ONLY="true"))
    with pytest.raises(DatabaseUnavailableError):
        count_images(db)


def test_postgresql_read_only_refuses_writes(make_pg_database):
    db = Database(settings_for(make_pg_database(), DSA110_DASH_READ_ONLY="true"))
    assert count_images(db) == 0
    with pytest.raises(ReadOnlyError):
        with db.transaction() as conn:
            insert(conn, "images")
    db.dispose()

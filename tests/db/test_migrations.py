"""Migrations only add, are idempotent, and never touch the pipeline's own columns."""

import sqlite3

import pytest
import sqlalchemy as sa

from dbsupport import settings_for
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.dashboard_schema import DASHBOARD_INDEXES
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.db.schema import PIPELINE_TABLES
from dsa110_dashboard.errors import ReadOnlyError
from legacy import older_two_file_layout, older_unified


def sqlite_schema(path):
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY name").fetchall()
    data = {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
            for (kind, t, _) in rows if kind == "table"}
    conn.close()
    return {(kind, name): sql for kind, name, sql in rows}, data


def test_upgrade_of_a_pipeline_database_only_adds_and_is_idempotent(tmp_path):
    path = older_unified(tmp_path / "pipeline.sqlite3")
    before, data_before = sqlite_schema(path)
    db = Database(settings_for(str(path)))
    migrate.upgrade(db)
    after, data_after = sqlite_schema(path)
    for key, sql in before.items():
        assert after[key] == sql, f"{key} was altered"
    assert all(data_after[t] == rows for t, rows in data_before.items()), "data changed"
    added = set(after) - set(before)
    assert ("table", "alembic_version") in added
    assert ("table", "sources") in added and ("table", "variability_stats") in added
    assert ("table", "hdf5_files") not in added, "the older name counts as present"
    assert ("index", "dash_idx_image_qa_latest") in added
    assert migrate.current_revision(db) == migrate.head_revision()
    migrate.upgrade(db)
    assert sqlite_schema(path)[0] == after
    report = migrate.check(db)
    assert report.exit_code == 0 and report.pending == []
    db.dispose()


def test_existing_index_on_same_columns_is_not_duplicated(tmp_path):
    path = older_unified(tmp_path / "pipeline.sqlite3")
    conn = sqlite3.connect(path)
    conn.executescript("CREATE TABLE image_qa (id INTEGER PRIMARY KEY, ms_path TEXT NOT NULL,"
                       " job_id INTEGER NOT NULL, image_path TEXT NOT NULL,"
                       " overall_quality TEXT, timestamp REAL NOT NULL);"
                       "CREATE INDEX pipeline_qa_time ON image_qa(timestamp);")
    conn.close()
    db = Database(settings_for(str(path)))
    migrate.upgrade(db)
    names = {ix["name"] for ix in sa.inspect(db.engine).get_indexes("image_qa")}
    assert "pipeline_qa_time" in names and "dash_idx_image_qa_timestamp" not in names
    assert "dash_idx_image_qa_latest" in names
    db.dispose()


def test_two_file_layout_upgrade_leaves_cal_registry_in_its_file(tmp_path):
    products, cal = older_two_file_layout(tmp_path)
    cal_before, _ = sqlite_schema(cal)
    db = Database(settings_for(str(products)))
    assert db.target.cal_registry_path == cal
    migrate.upgrade(db)
    products_after, _ = sqlite_schema(products)
    assert ("table", "caltables") not in products_after
    cal_after, _ = sqlite_schema(cal)
    assert set(cal_after) - set(cal_before) == {("index", "dash_idx_caltables_validity")}
    assert db.catalog["caltables"].schema == "cal_registry"
    db.dispose()


def test_downgrade_removes_only_dashboard_additions(db):
    migrate.downgrade(db, "base")
    inspector = sa.inspect(db.engine)
    tables = set(inspector.get_table_names())
    assert set(PIPELINE_TABLES) <= tables, "pipeline tables are never dropped"
    index_names = {ix["name"] for t in tables for ix in inspector.get_indexes(t)}
    assert not index_names & {name for name, _, _ in DASHBOARD_INDEXES}
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision()


def test_fresh_database_gets_the_full_schema(db):
    report = migrate.check(db)
    assert report.is_pipeline and report.missing_tables == []
    assert report.missing_columns == {}
    assert report.exit_code == 0


def test_postgresql_reals_are_double_precision(db):
    if db.dialect != "postgresql":
        assert db.dialect == "sqlite"
        with db.connect() as conn:
            decl = {r[1]: r[2] for r in conn.exec_driver_sql("PRAGMA table_info(photometry)")}
        assert decl["mjd"] == "REAL" and decl["source_id"] == "TEXT"
        return
    with db.connect() as conn:
        kind = conn.exec_driver_sql(
            "SELECT data_type FROM information_schema.columns "
            "WHERE table_name='photometry' AND column_name='mjd'").scalar()
    assert kind == "double precision", "an MJD in a 4-byte REAL loses minutes"


def test_migrating_a_read_only_database_is_refused(tmp_path):
    path = older_unified(tmp_path / "pipeline.sqlite3")
    db = Database(settings_for(str(path), DSA110_DASH_READ_ONLY="true"))
    with pytest.raises(ReadOnlyError, match="read-only"):
        migrate.upgrade(db)
    assert migrate.current_revision(db) is None


def test_this_sessions_revisions_step_down_and_up(db):
    """0010 drops only the catalogue table, 0009 only the flags table (with the flags
    written before: they are ours), and upgrading makes both again, on either backend."""
    def tables() -> set[str]:
        return set(sa.inspect(db.engine).get_table_names())

    assert {"dash_image_flags", "dash_image_qa_catalogue"} <= tables()
    migrate.downgrade(db, "0009_image_flags")
    assert "dash_image_qa_catalogue" not in tables() and "dash_image_flags" in tables()
    assert migrate.current_revision(db) == "0009_image_flags"
    migrate.downgrade(db, "0008_workers")
    assert "dash_image_flags" not in tables()
    assert set(PIPELINE_TABLES) <= tables(), "pipeline tables are never dropped"
    migrate.upgrade(db)
    assert {"dash_image_flags", "dash_image_qa_catalogue"} <= tables()
    assert migrate.current_revision(db) == migrate.head_revision()


def test_0011_adds_the_funnel_index_and_its_downgrade_drops_only_it(db):
    def indexes() -> set[str]:
        return {ix["name"] for ix in sa.inspect(db.engine).get_indexes("ms_index")}

    assert "dash_idx_ms_index_funnel" in indexes()
    migrate.downgrade(db, "0010_image_qa_extra")
    assert "dash_idx_ms_index_funnel" not in indexes()
    assert {"idx_ms_index_stage", "idx_ms_index_mid_mjd"} <= indexes()
    migrate.upgrade(db)
    assert "dash_idx_ms_index_funnel" in indexes()

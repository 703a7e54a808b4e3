"""The scale generator on both backends: counts, links between tables, refusal."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from dsa110_dashboard.errors import ConflictError
from dsa110_dashboard.scale import fill_database
from factories import insert

N_IMAGES, N_SOURCES, N_EPOCHS = 200, 50, 20


def _count(conn, sql: str) -> int:
    return conn.exec_driver_sql(sql).scalar_one()


@pytest.fixture
def filled(db):
    calls = []
    summary = fill_database(db, images=N_IMAGES, sources=N_SOURCES, epochs=N_EPOCHS,
                            seed=3, batch_size=500,
                            progress=lambda done, total, what: calls.append((done, total, what)))
    return db, summary, calls


def test_row_counts_match_the_request_and_the_summary(filled):
    db, summary, calls = filled
    with db.connect() as conn:
        for table, n in summary.rows.items():
            assert _count(conn, f"SELECT count(*) FROM {table}") == n, table
        assert _count(conn, "SELECT count(*) FROM images") == N_IMAGES
        assert _count(conn, "SELECT count(*) FROM ms_index") == N_IMAGES
        assert _count(conn, "SELECT count(*) FROM image_qa") == N_IMAGES
        assert _count(conn, "SELECT count(*) FROM variability_stats") == N_SOURCES
        n_phot = _count(conn, "SELECT count(*) FROM photometry")
        # Each source is measured in `epochs` images, fewer only on a strip that has
        # fewer images than that; n_obs records exactly how many.
        assert n_phot == _count(conn, "SELECT sum(n_obs) FROM variability_stats")
        assert 0.8 * N_SOURCES * N_EPOCHS <= n_phot <= N_SOURCES * N_EPOCHS
        assert _count(conn, "SELECT count(*) FROM caltables") >= 3
        assert _count(conn, "SELECT count(*) FROM calibration_qa") >= 1
        # Realistic mess: some NULL image metadata and normalised fluxes.
        assert _count(conn, "SELECT count(*) FROM images WHERE noise_jy IS NULL") > 0
        assert _count(conn, "SELECT count(*) FROM photometry "
                            "WHERE normalized_flux_jy IS NULL") > 0
    # batch_size=500 forces several batches, each reported.
    assert sum(1 for c in calls if c[2] == "photometry rows") > 1
    assert calls[-1][2] == "analyze"


def test_photometry_points_at_real_images_and_their_observation_mjd(filled):
    db, _, _ = filled
    with db.connect() as conn:
        orphans = _count(conn, "SELECT count(*) FROM photometry p LEFT JOIN images i "
                               "ON i.path = p.image_path WHERE i.id IS NULL")
        assert orphans == 0
        mismatched = _count(conn, "SELECT count(*) FROM photometry p "
                                  "JOIN images i ON i.path = p.image_path "
                                  "JOIN ms_index m ON m.path = i.ms_path "
                                  "WHERE p.mjd IS NULL OR p.mjd <> m.mid_mjd")
        assert mismatched == 0
        joined = _count(conn, "SELECT count(*) FROM photometry p "
                              "JOIN images i ON i.path = p.image_path "
                              "JOIN ms_index m ON m.path = i.ms_path")
        assert joined == _count(conn, "SELECT count(*) FROM photometry")
        # image_qa links to the imaging job and to the image.
        assert _count(conn, "SELECT count(*) FROM image_qa q JOIN jobs j ON j.id = q.job_id "
                            "JOIN images i ON i.path = q.image_path") == N_IMAGES


def test_photometry_indexes_are_rebuilt(filled):
    db, _, _ = filled
    with db.connect() as conn:
        names = {ix["name"] for ix in sa.inspect(conn).get_indexes("photometry")}
    assert {"idx_photometry_mjd", "idx_photometry_radec", "idx_photometry_source_id",
            "idx_photometry_image_path"} <= names


def test_new_rows_after_a_fill_get_fresh_ids(filled):
    db, _, _ = filled
    with db.transaction() as conn:
        row = insert(conn, "jobs")
    with db.connect() as conn:
        assert row["id"] == _count(conn, "SELECT max(id) FROM jobs")


def test_refuses_a_non_empty_database(db):
    with db.transaction() as conn:
        insert(conn, "jobs")
    with pytest.raises(ConflictError):
        fill_database(db, images=10, sources=5, epochs=3)
    with db.connect() as conn:
        assert _count(conn, "SELECT count(*) FROM images") == 0


def test_a_blank_database_is_migrated_then_filled(tmp_path):
    from dbsupport import settings_for

    from dsa110_dashboard.db.engine import Database

    blank = Database(settings_for(str(tmp_path / "new.sqlite3")))
    try:
        summary = fill_database(blank, images=30, sources=5, epochs=4)
        with blank.connect() as conn:
            assert _count(conn, "SELECT count(*) FROM images") == 30
            assert _count(conn, "SELECT count(*) FROM photometry") == summary.rows["photometry"]
    finally:
        blank.dispose()


# ------------------------------------------------ bulk work and the statement timeout
# The interactive statement timeout (DSA110_DASH_TIMEOUT_STATEMENT) stops a runaway page
# query; at one year it also stopped scale-db's photometry index builds. Bulk and
# maintenance steps run without it; everything else keeps it.
TINY_TIMEOUT = {"DSA110_DASH_TIMEOUT_STATEMENT": "0.2"}


@pytest.fixture
def pg_tiny_timeout(make_pg_database):
    from dbsupport import settings_for

    from dsa110_dashboard.db.engine import Database

    database = Database(settings_for(make_pg_database(template=None), **TINY_TIMEOUT))
    yield database
    database.dispose()


def test_a_fill_on_postgresql_succeeds_with_a_tiny_statement_timeout(pg_tiny_timeout):
    db = pg_tiny_timeout
    # A blank database: the migrations, the bulk loads, the index builds, the grades
    # and VACUUM ANALYZE all run under the 0.2 s setting.
    summary = fill_database(db, images=N_IMAGES, sources=N_SOURCES, epochs=N_EPOCHS,
                            seed=5, batch_size=500)
    with db.connect() as conn:
        assert _count(conn, "SELECT count(*) FROM photometry") == summary.rows["photometry"]
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar_one() == "200ms"
        names = {ix["name"] for ix in sa.inspect(conn).get_indexes("photometry")}
    assert names  # rebuilt after the load


def test_bulk_statements_outlast_the_timeout_and_the_pool_gets_it_back(pg_tiny_timeout):
    from dsa110_dashboard.errors import DatabaseUnavailableError
    from dsa110_dashboard.scale.writers import BulkWriter

    db = pg_tiny_timeout
    db.create_missing_file()
    writer = BulkWriter(db)
    try:
        writer.execute("SELECT pg_sleep(0.5)")  # longer than the 0.2 s setting
    finally:
        writer.close()
    with db.maintenance_transaction() as conn:
        conn.exec_driver_sql("SELECT pg_sleep(0.5)")
    # Ordinary connections, including the writer's own back from the pool, keep it.
    for _ in range(3):
        with pytest.raises(DatabaseUnavailableError, match="statement timeout"), \
                db.connect() as conn:
            conn.exec_driver_sql("SELECT pg_sleep(0.5)")

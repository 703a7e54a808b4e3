"""Both pipeline layouts, and older files with fewer columns, read through one API."""

import pandas as pd
import sqlalchemy as sa

from dbsupport import settings_for
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from dsa110_dashboard.repositories.tables import table_row_counts
from dsa110_dashboard.settings import Settings
from legacy import older_two_file_layout, older_unified


def test_older_two_file_layout_reads_caltables_unqualified(tmp_path):
    products, cal = older_two_file_layout(tmp_path)
    db = Database(Settings.load(environ={"PIPELINE_PRODUCTS_DB": str(products),
                                         "PIPELINE_CAL_REGISTRY_DB": str(cal)}))
    assert db.read_only
    catalog = db.catalog
    assert catalog.attached and catalog["caltables"].schema == "cal_registry"
    caltables = catalog["caltables"]
    with db.connect() as conn:
        rows = conn.execute(sa.select(caltables["table_type"])
                            .order_by(caltables["order_index"])).scalars().all()
    assert rows == ["K", "BP"]
    report = migrate.check(db)
    assert report.is_pipeline and report.layout.startswith("older two-file")
    assert report.revision is None and report.pending == migrate.all_revisions()
    assert report.exit_code == 3
    db.dispose()


def test_missing_columns_read_as_null_and_older_table_names_resolve(tmp_path):
    db = Database(settings_for(str(older_unified(tmp_path / "old.sqlite3"))))
    images = db.catalog["images"]
    assert not images.has("center_dec_deg") and images.has("noise_jy")
    with db.connect() as conn:
        rows = conn.execute(
            sa.select(images.col("path"), images.col("noise_jy"), images.col("center_dec_deg"),
                      images.col("type"))
            .where(images["center_dec_deg"].is_(None)).order_by(images["id"])).all()
    assert [r.path for r in rows] == ["/img/a.fits", "/img/b.fits"]
    assert rows[0].noise_jy is None and rows[1].noise_jy == 0.00031
    assert all(r.center_dec_deg is None for r in rows)
    assert [r.type for r in rows] == ["pbcor", "continuum"], "vocabulary passes through"
    hdf5 = db.catalog["hdf5_files"]
    assert hdf5.actual_name == "hdf5_file_index"
    counts = table_row_counts(db).set_index("table")
    assert counts.loc["hdf5_files", "rows"] == 1
    assert counts.loc["hdf5_files", "found_as"] == "hdf5_file_index"
    assert counts.loc["sources", "rows"] is pd.NA, "a missing table is not a zero"
    report = migrate.check(db)
    assert "center_dec_deg" in report.missing_columns["images"]
    assert "sources" in report.missing_tables
    db.dispose()


def test_row_counts_on_both_backends(db):
    from factories import insert

    with db.transaction() as conn:
        insert(conn, "ms_index")
        insert(conn, "images")
        insert(conn, "images")
    counts = table_row_counts(db).set_index("table")["rows"]
    assert counts["images"] == 2 and counts["ms_index"] == 1 and counts["photometry"] == 0


def test_missing_numeric_column_reads_as_null_on_both_backends(db):
    from factories import insert

    with db.transaction() as conn:
        insert(conn, "photometry", snr=12.5)
        conn.exec_driver_sql("ALTER TABLE photometry DROP COLUMN snr")
    db.refresh_catalog()
    photometry = db.catalog["photometry"]
    assert not photometry.has("snr")
    with db.connect() as conn:
        row = conn.execute(sa.select(photometry.col("snr"), photometry.col("flux_jy"))).one()
    assert row.snr is None and row.flux_jy == 0.05

"""Pipeline databases as they are found in the field, written with the pipeline's own DDL.

These are not made with our schema module on purpose: they stand for files that an older
pipeline wrote, with fewer columns, an older table name and two files instead of one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

OLDER_PRODUCTS_DDL = """
CREATE TABLE ms_index (path TEXT PRIMARY KEY, start_mjd REAL, end_mjd REAL, mid_mjd REAL,
    processed_at REAL, status TEXT, stage TEXT, stage_updated_at REAL,
    cal_applied INTEGER DEFAULT 0, imagename TEXT, created_at REAL NOT NULL);
CREATE INDEX idx_ms_stage ON ms_index(stage);
CREATE TABLE images (id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE,
    ms_path TEXT NOT NULL, created_at REAL NOT NULL, type TEXT NOT NULL,
    beam_major_arcsec REAL, noise_jy REAL, pbcor INTEGER DEFAULT 0);
CREATE INDEX idx_images_created ON images(created_at);
CREATE TABLE photometry (id INTEGER PRIMARY KEY, source_id TEXT, image_path TEXT NOT NULL,
    ra_deg REAL NOT NULL, dec_deg REAL NOT NULL, nvss_flux_mjy REAL, peak_jyb REAL,
    peak_err_jyb REAL, measured_at REAL, snr REAL, mjd REAL);
CREATE INDEX idx_photometry_source ON photometry(source_id);
CREATE TABLE jobs (id INTEGER PRIMARY KEY, type TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'pending', ms_path TEXT NOT NULL, params TEXT, logs TEXT,
    artifacts TEXT, created_at REAL NOT NULL, started_at REAL, finished_at REAL);
CREATE TABLE hdf5_file_index (path TEXT PRIMARY KEY, filename TEXT NOT NULL,
    group_id TEXT NOT NULL, subband_code TEXT NOT NULL, indexed_at REAL NOT NULL);
"""

CAL_REGISTRY_DDL = """
CREATE TABLE caltables (id INTEGER PRIMARY KEY, set_name TEXT NOT NULL,
    path TEXT NOT NULL UNIQUE, table_type TEXT NOT NULL, order_index INTEGER NOT NULL,
    cal_field TEXT, refant TEXT, created_at REAL NOT NULL, valid_start_mjd REAL,
    valid_end_mjd REAL, status TEXT NOT NULL DEFAULT 'active', notes TEXT,
    source_ms_path TEXT, solver_command TEXT, solver_version TEXT, solver_params TEXT,
    quality_metrics TEXT);
"""

ROWS = """
INSERT INTO ms_index (path, mid_mjd, status, stage, created_at)
    VALUES ('/ms/2025-10-17T14:40:09.ms', 60965.61, 'done', 'imaged', 1760712009),
           ('/ms/2025-10-17T14:45:09.ms', 60965.615, 'weird_status', 'discovered', 1760712309);
INSERT INTO images (path, ms_path, created_at, type, beam_major_arcsec, noise_jy)
    VALUES ('/img/a.fits', '/ms/2025-10-17T14:40:09.ms', 1760712600, 'pbcor', NULL, NULL),
           ('/img/b.fits', '/ms/2025-10-17T14:45:09.ms', 1760712900, 'continuum', 17.5, 0.00031);
INSERT INTO photometry (source_id, image_path, ra_deg, dec_deg, peak_jyb, mjd)
    VALUES ('NVSS J123456.7+542000', '/img/a.fits', 188.736, 54.333, 0.051, 60965.61);
INSERT INTO jobs (type, status, ms_path, created_at)
    VALUES ('imaging', 'failed', '/ms/2025-10-17T14:40:09.ms', 1760712100);
INSERT INTO hdf5_file_index (path, filename, group_id, subband_code, indexed_at)
    VALUES ('/h5/2025-10-17T14:40:09_sb00.hdf5', '2025-10-17T14:40:09_sb00.hdf5',
            '2025-10-17T14:40:09', 'sb00', 1760712009);
"""

CAL_ROWS = """
INSERT INTO caltables (set_name, path, table_type, order_index, created_at, valid_start_mjd,
    valid_end_mjd, status) VALUES
    ('0834+555_2025-10-17', '/cal/a.bcal', 'BP', 30, 1760700000, 60965.0, 60966.0, 'active'),
    ('0834+555_2025-10-17', '/cal/a.kcal', 'K', 10, 1760700000, 60965.0, 60966.0, 'active');
"""


def write(path: Path, script: str, *, wal: bool = True) -> Path:
    conn = sqlite3.connect(path)
    if wal:
        conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(script)
    conn.commit()
    conn.close()
    return path


def older_two_file_layout(directory: Path) -> tuple[Path, Path]:
    """products.sqlite3 + cal_registry.sqlite3, as an older deployment has them."""
    products = write(directory / "products.sqlite3", OLDER_PRODUCTS_DDL + ROWS)
    cal = write(directory / "cal_registry.sqlite3", CAL_REGISTRY_DDL + CAL_ROWS)
    return products, cal


def older_unified(path: Path, *, wal: bool = True) -> Path:
    """One file with the older columns and the cal registry inside."""
    return write(path, OLDER_PRODUCTS_DDL + CAL_REGISTRY_DDL + ROWS + CAL_ROWS, wal=wal)

"""``import dsa110_dashboard as dd``: connect, the data facades and what they return, on a
real demo dataset (SQLite) and a migrated PostgreSQL database."""

from __future__ import annotations

import subprocess
import sys

import astropy.units as u
import numpy as np
import pandas as pd
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.table import QTable
from astropy.time import Time
from astropy.wcs import WCS

import dsa110_dashboard as dd
from dbsupport import pg_url
from dsa110_dashboard.errors import ForbiddenPathError, NotFoundError


@pytest.fixture(scope="module")
def db(notebook_demo):
    return dd.connect(notebook_demo / "pipeline.sqlite3")


def test_importing_the_package_imports_neither_panel_nor_the_database_code():
    code = ("import sys, dsa110_dashboard as dd; "
            "heavy = [m for m in ('panel', 'bokeh', 'sqlalchemy', 'astropy', 'pandas') "
            "if m in sys.modules]; print(heavy); "
            "dd.connect; print([m for m in ('panel', 'bokeh') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]", out
    assert out[1] == "[]", "connect must not import Panel: " + out[1]


def test_connect_opens_read_only_and_names_what_it_opened(db, notebook_demo):
    assert db.db.read_only
    assert "pipeline.sqlite3" in repr(db)
    assert dd.current() is db


def test_connect_says_at_once_when_there_is_no_database(tmp_path):
    with pytest.raises(FileNotFoundError, match="no database file"):
        dd.connect(tmp_path / "missing.sqlite3")


def test_image_lists_are_dataframes_with_their_total(db):
    images = db.images.list(limit=5)
    assert isinstance(images, pd.DataFrame) and len(images) == 5
    assert images.attrs["total"] == db.images.count() > 5
    assert str(images["created_utc"].dt.tz) == "UTC"
    five = db.images.list(types="5min", limit=500)
    assert set(five["type"]) == {"5min"} and five.attrs["total"] == len(five)
    since = Time(float(images["mjd"].min()), format="mjd")
    assert db.images.count(since=since) <= db.images.count()
    with pytest.raises(TypeError, match="cannot filter on 'colour'"):
        db.images.list(colour="red")


def test_an_image_file_gives_astropy_header_and_wcs(db):
    image_id = int(db.images.list(limit=1)["id"].iloc[0])
    header, wcs = db.images.header(image_id), db.images.wcs(image_id)
    assert isinstance(header, fits.Header) and isinstance(wcs, WCS)
    assert wcs.has_celestial and wcs.naxis == 2
    data = db.images.data(image_id)
    assert data.dtype == np.float32 and data.ndim == 2
    record = db.images.get(image_id)
    centre = wcs.pixel_to_world(data.shape[1] / 2, data.shape[0] / 2)
    if record.center_ra_deg is not None:
        expected = SkyCoord(record.center_ra_deg * u.deg, record.center_dec_deg * u.deg)
        assert centre.separation(expected) < 1 * u.deg
    assert db.images.provenance(image_id).image.id == image_id


def test_image_files_outside_the_data_roots_are_refused(notebook_demo, tmp_path):
    confined = dd.connect(notebook_demo / "pipeline.sqlite3", data_roots=[tmp_path])
    image_id = int(confined.images.list(limit=1)["id"].iloc[0])
    with pytest.raises(ForbiddenPathError):
        confined.images.header(image_id)


def test_a_lightcurve_is_a_qtable_with_times_and_units(db):
    name = db.sources.search(limit=1, sort="n_epochs")["source_id"].iloc[0]
    lc = db.sources.lightcurve(name)
    assert isinstance(lc, QTable) and len(lc) > 1
    assert isinstance(lc["time"], Time) and lc["time"].scale == "utc"
    assert np.all(np.diff(lc["time"].mjd) >= 0)
    assert lc["flux"].unit == u.mJy and lc["flux_err"].unit == u.mJy
    assert lc["sep_from_center"].unit == u.deg
    assert lc.meta["source_id"] == name
    raw = db.sources.lightcurves.lightcurve(name)
    assert np.allclose(lc["flux"].to_value(u.Jy), raw["flux_jy"], equal_nan=True)
    assert db.sources.lightcurve(name, flux="peak")["flux"].unit == u.mJy / u.beam
    with pytest.raises(NotFoundError):
        db.sources.lightcurve("NVSS J000000.0+000000")


def test_a_cone_search_takes_a_skycoord_and_an_angle(db):
    name = db.sources.search(limit=1)["source_id"].iloc[0]
    found = db.sources.search(near=db.sources.coord(name), radius=1 * u.arcsec)
    assert name in set(found["source_id"]) and found["sep_arcsec"].max() <= 1.0


def test_jobs_ms_calibration_and_qa(db):
    jobs = db.jobs.list(limit=500)
    assert jobs.attrs["total"] == len(jobs) > 0
    failed = db.jobs.list(status="failed", limit=500)
    assert set(failed["status"]) <= {"failed"}
    assert db.jobs.get(int(jobs["id"].iloc[0])).id == int(jobs["id"].iloc[0])
    ms = db.ms.list(limit=5)
    assert ms.attrs["total"] > 0 and "calibration_applied" in ms
    assert db.ms.get(ms["path"].iloc[0]).path == ms["path"].iloc[0]
    apply_list = db.cal.apply_list(at=Time(float(ms["mid_mjd"].iloc[0]), format="mjd"))
    assert apply_list.tables, "the demo calibrates every observation"
    assert db.cal.tables(limit=5).attrs["total"] > 0
    grades = db.qa.grades()
    assert grades["count"].sum() == db.images.count()


def test_postgresql_through_a_sqlalchemy_url(pg_template, pg_admin):
    import uuid

    name = f"dsa110_nb_{uuid.uuid4().hex[:10]}"
    with pg_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    try:
        conn_pg = dd.connect(pg_url(name))
        assert conn_pg.db.dialect == "postgresql" and conn_pg.db.read_only
        assert conn_pg.images.count() == 0
        assert conn_pg.jobs.list().attrs["total"] == 0
        conn_pg.close()
    finally:
        with pg_admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

"""GET /api/v1/sources/{source_id}/lightcurve: JSON, CSV (ECSV) and VOTable, parsed back
with astropy and compared with the database; 404 and 400 as JSON."""

from __future__ import annotations

import io
import json
import math
import urllib.parse

import numpy as np
import pytest
from astropy.io.votable import parse_single_table
from astropy.table import Table

from api_helpers import fetch
from dbsupport import settings_for
from dsa110_dashboard.db import migrate
from dsa110_dashboard.db.engine import Database
from factories import MJD0, UNIX0, insert
from server import start_server

SOURCE = "NVSS J123456.7+420312"
OTHER = "NVSS J123500.0+420000"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    path = tmp_path_factory.mktemp("lc") / "pipeline.sqlite3"
    db = Database(settings_for(str(path)))
    migrate.upgrade(db)
    expected = []
    with db.transaction() as conn:
        for i in range(6):
            img = insert(conn, "images", path=f"/data/images/lc{i}-image.fits")
            insert(conn, "image_qa", image_path=img["path"],
                   overall_quality="poor" if i == 2 else "good", timestamp=UNIX0 + i)
            norm = None if i == 4 else 0.050 + 0.001 * i  # epoch 4: falls back to flux_jy
            row = insert(conn, "photometry", source_id=SOURCE, image_path=img["path"],
                         ra_deg=188.736, dec_deg=42.053, mjd=MJD0 + i * 0.5,
                         normalized_flux_jy=norm, normalized_flux_err_jy=0.0005,
                         flux_jy=0.049 + 0.001 * i, flux_err_jy=0.0006, snr=80.0 + i,
                         nvss_flux_mjy=51.2)
            expected.append({"id": row["id"], "image_id": img["id"], "mjd": MJD0 + i * 0.5,
                             "flux": norm if norm is not None else 0.049 + 0.001 * i,
                             "column": "normalized_flux_jy" if norm is not None
                             else "flux_jy", "qa_failed": i == 2})
        # An epoch with no image row: image_id is missing, not 0.
        insert(conn, "photometry", source_id=SOURCE, image_path="/data/images/gone.fits",
               ra_deg=188.736, dec_deg=42.053, mjd=MJD0 + 10, flux_jy=0.051,
               flux_err_jy=0.0006, snr=None)
        insert(conn, "photometry", source_id=OTHER, image_path="/data/images/lc0-image.fits")
    db.dispose()
    server = start_server({"DSA110_DASH_DB": str(path)})
    yield server, expected
    server.stop()


def url(source_id: str, **query: str) -> str:
    q = ("?" + urllib.parse.urlencode(query)) if query else ""
    return f"/api/v1/sources/{urllib.parse.quote(source_id, safe='')}/lightcurve{q}"


def test_json_has_units_and_matches_the_database(served):
    server, expected = served
    reply = fetch(server.url, url(SOURCE, format="json"))
    assert reply.status == 200
    assert "NVSS_J123456.7+420312_lightcurve.json" in reply.headers["Content-Disposition"]
    body = reply.json()
    units = {c["name"]: c["unit"] for c in body["columns"]}
    assert units["mjd"] == "d" and units["flux"] == "Jy" and units["flux_err"] == "Jy"
    assert body["source"]["source_id"] == SOURCE
    names = [c["name"] for c in body["columns"]]
    rows = [dict(zip(names, r)) for r in body["data"]]
    assert len(rows) == 7
    for row, exp in zip(rows, expected):
        assert row["photometry_id"] == exp["id"] and row["image_id"] == exp["image_id"]
        assert math.isclose(row["mjd"], exp["mjd"]) and math.isclose(row["flux"], exp["flux"])
        assert row["flux_column"] == exp["column"] and row["qa_failed"] is exp["qa_failed"]
    assert rows[-1]["image_id"] is None and rows[-1]["snr"] is None


def test_csv_is_ecsv_read_back_by_astropy_with_units(served):
    server, expected = served
    reply = fetch(server.url, url(SOURCE, format="csv"))
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert 'filename="NVSS_J123456.7+420312_lightcurve.csv"' in \
        reply.headers["Content-Disposition"]
    text = reply.body.decode()
    assert text.startswith("# %ECSV")
    table = Table.read(text, format="ascii.ecsv")
    assert str(table["mjd"].unit) == "d" and str(table["flux"].unit) == "Jy"
    assert str(table["flux_err"].unit) == "Jy"
    assert table.meta["source_id"] == SOURCE
    np.testing.assert_allclose(table["flux"][:6], [e["flux"] for e in expected])
    np.testing.assert_allclose(table["mjd"][:6], [e["mjd"] for e in expected])
    assert list(table["photometry_id"][:6]) == [e["id"] for e in expected]
    assert list(table["qa_failed"][:6]) == [e["qa_failed"] for e in expected]
    assert table["image_id"].mask[-1]  # missing stays missing
    # Plain CSV readers get the same values after the comment block.
    import pandas as pd
    frame = pd.read_csv(io.StringIO(text), comment="#")
    np.testing.assert_allclose(frame["flux"][:6], [e["flux"] for e in expected])


def test_votable_read_back_by_astropy_with_units(served):
    server, expected = served
    reply = fetch(server.url, url(SOURCE, format="votable", flux="raw"))
    assert reply.status == 200 and "votable" in reply.headers["Content-Type"]
    assert reply.headers["Content-Disposition"].startswith("attachment;")
    table = parse_single_table(io.BytesIO(reply.body)).to_table()
    assert str(table["flux"].unit) == "Jy" and str(table["mjd"].unit) == "d"
    # flux=raw: flux_jy for every epoch.
    np.testing.assert_allclose(table["flux"][:6], [0.049 + 0.001 * i for i in range(6)])
    assert set(table["flux_column"]) == {"flux_jy"}
    assert list(table["image_id"][:6]) == [e["image_id"] for e in expected]
    assert table["image_id"].mask[-1]


def test_peak_fluxes_are_in_jy_per_beam(served):
    server, _ = served
    body = fetch(server.url, url(SOURCE, format="json", flux="peak")).json()
    units = {c["name"]: c["unit"] for c in body["columns"]}
    assert units["flux"] == "Jy/beam"


def test_literal_plus_in_the_path_is_the_same_source(served):
    server, _ = served
    reply = fetch(server.url, "/api/v1/sources/NVSS%20J123456.7+420312/lightcurve")
    assert reply.status == 200 and reply.json()["source"]["source_id"] == SOURCE


def test_unknown_source_is_a_404_json(served):
    server, _ = served
    reply = fetch(server.url, url("NVSS J000000.0+000000", format="csv"))
    assert reply.status == 404
    body = reply.json()
    assert body["error"] == "Not found" and "NVSS J000000.0+000000" in body["detail"]


@pytest.mark.parametrize("query, parameter", [({"format": "xml"}, "format"),
                                              ({"format": "csv", "flux": "best!"}, "flux")])
def test_bad_query_is_a_400_naming_the_parameter(served, query, parameter):
    server, _ = served
    reply = fetch(server.url, url(SOURCE, **query))
    assert reply.status == 400
    assert reply.json()["parameter"] == parameter


def test_the_page_links_are_the_api(served):
    from dsa110_dashboard.viewmodels.source_detail import export_url

    server, _ = served
    reply = fetch(server.url, export_url(SOURCE, "json", "normalized"))
    assert reply.status == 200
    assert json.loads(reply.body)["source"]["flux_choice"] == "normalized"

"""GET /api/v1/sources/{source_id}/lightcurve: JSON, plain CSV (read back with pandas),
ECSV and VOTable (read back with astropy), compared with the database; the page's
exclusions marked in an ``excluded`` column; 404 and 400 as JSON."""

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


def test_csv_is_plain_csv_with_units_in_the_column_names(served):
    import pandas as pd

    server, expected = served
    reply = fetch(server.url, url(SOURCE, format="csv"))
    assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/csv")
    assert 'filename="NVSS_J123456.7+420312_lightcurve.csv"' in \
        reply.headers["Content-Disposition"]
    text = reply.body.decode()
    assert not text.startswith("#")
    frame = pd.read_csv(io.StringIO(text))  # no options: as a spreadsheet opens it
    assert list(frame.columns[:6]) == ["photometry_id", "mjd", "date_utc", "flux_mjy",
                                       "flux_err_mjy", "flux_column"]
    assert len(frame) == 7
    np.testing.assert_allclose(frame["flux_mjy"][:6], [e["flux"] * 1e3 for e in expected])
    np.testing.assert_allclose(frame["flux_err_mjy"][:6], 0.5, atol=0.11)
    np.testing.assert_allclose(frame["mjd"][:6], [e["mjd"] for e in expected])
    assert list(frame["photometry_id"][:6]) == [e["id"] for e in expected]
    assert list(frame["qa_failed"][:6]) == [e["qa_failed"] for e in expected]
    assert frame["image_id"].isna().iloc[-1]  # missing stays missing (an empty cell)
    assert not frame["excluded"].any()
    peak = pd.read_csv(io.BytesIO(fetch(server.url, url(SOURCE, format="csv",
                                                         flux="peak")).body))
    assert "flux_mjy_per_beam" in peak.columns and "flux_mjy" not in peak.columns


def test_ecsv_read_back_by_astropy_with_units(served):
    server, expected = served
    reply = fetch(server.url, url(SOURCE, format="ecsv"))
    assert reply.status == 200
    assert 'filename="NVSS_J123456.7+420312_lightcurve.ecsv"' in \
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
    assert body["error"] == "not_found" and "NVSS J000000.0+000000" in body["message"]


@pytest.mark.parametrize("query, parameter", [({"format": "xml"}, "format"),
                                              ({"format": "csv", "flux": "best!"}, "flux"),
                                              ({"excluded": "3,x"}, "excluded"),
                                              ({"excluded": "-3"}, "excluded"),
                                              ({"exclude_qa": "maybe"}, "exclude_qa")])
def test_bad_query_is_a_400_naming_the_parameter(served, query, parameter):
    server, _ = served
    reply = fetch(server.url, url(SOURCE, **query))
    assert reply.status == 400
    assert reply.json()["details"]["parameter"] == parameter


def test_the_page_links_are_the_api(served):
    from dsa110_dashboard.viewmodels.source_detail import export_url

    server, _ = served
    reply = fetch(server.url, export_url(SOURCE, "json", "normalized"))
    assert reply.status == 200
    assert json.loads(reply.body)["source"]["flux_choice"] == "normalized"


@pytest.mark.parametrize("fmt", ["csv", "ecsv", "votable", "json"])
def test_the_page_s_exclusions_are_marked_in_every_format(served, fmt):
    from dsa110_dashboard.viewmodels.source_detail import export_url

    server, expected = served
    by_hand = [expected[0]["id"], expected[5]["id"]]
    reply = fetch(server.url, export_url(SOURCE, fmt, "best", by_hand, exclude_qa=True))
    assert reply.status == 200
    if fmt == "csv":
        import pandas as pd
        table = pd.read_csv(io.BytesIO(reply.body))
    elif fmt == "ecsv":
        table = Table.read(reply.body.decode(), format="ascii.ecsv")
        assert table.meta["excluded_ids"] == by_hand and table.meta["exclude_qa"] is True
    elif fmt == "votable":
        table = parse_single_table(io.BytesIO(reply.body)).to_table()
    else:
        body = reply.json()
        assert body["source"]["excluded_ids"] == by_hand
        names = [c["name"] for c in body["columns"]]
        table = {name: [row[names.index(name)] for row in body["data"]] for name in names}
    marked = {int(i) for i, x in zip(table["photometry_id"], table["excluded"]) if x}
    qa = {e["id"] for e in expected if e["qa_failed"]}
    assert marked == set(by_hand) | qa
    assert len(table["photometry_id"]) == 7  # marked, never dropped

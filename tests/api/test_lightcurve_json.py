"""The lightcurve's JSON built column by column (``json_body``, written by orjson) holds
exactly what ``json.dumps`` writes for the same rows (the same content once parsed, every
float to the last bit; decision 0073), on the values a database can hold: NULLs, NaN
and infinities, text that is a number, non-ASCII and quoted text, ids that are floats."""

from __future__ import annotations

import json
import math

from dsa110_dashboard.api.lightcurves import COLUMNS, columns_for, json_body

META = {"source_id": "NVSS J000000.0+000000", "ra_deg": 1.0, "dec_deg": 2.0,
        "nvss_flux_mjy": None, "flux_choice": "peak", "excluded_ids": [2],
        "exclude_qa": True, "include_flagged": False}


def _columns() -> dict:
    return {
        "photometry_id": (1, 2, 3, 4),
        "mjd": (60000.5, None, 60001.25, "60002"),
        "flux_jy": (0.1, float("nan"), float("inf"), -0.0),
        "flux_err_jy": (1e-3, None, "bad", 2.5e-310),
        "flux_column": ("peak_jyb", None, "peak_jyb", "peak_jyb"),
        "snr": (100.0, None, 3.0, 1e20),
        "image_path": ("/d/ä \"quoted\".fits", None, "/d/b,c.fits", "/d/ä \"quoted\".fits"),
        "image_id": (7, None, 8.0, 9),
        "qa_grade": ("good", "POOR ", None, "good"),
        "quality_flag": (None, None, "image_qa_poor", "ok"),
        "sep_from_center_deg": (0.5, None, 1.5, 2.0),
        "flag_verdict": ("bad", None, None, "good"),
        "flagged_bad": (True, False, False, False),
    }


def _reference(columns: dict) -> bytes:
    """What json.dumps of the rows gives, cell by cell as the old to_json wrote them."""
    def number(v):
        try:
            f = float(v) if v is not None else math.nan
        except ValueError:
            f = math.nan
        return f if math.isfinite(f) else None

    dates = ["2023-02-25T12:00:00.000", None, "2023-02-26T06:00:00.000",
             "2023-02-27T00:00:00.000"]
    failed = [False, True, True, False]
    rows = list(zip(
        columns["photometry_id"], [number(v) for v in columns["mjd"]], dates,
        [number(v) for v in columns["flux_jy"]], [number(v) for v in columns["flux_err_jy"]],
        columns["flux_column"], [number(v) for v in columns["snr"]],
        [None if v is None else int(v) for v in columns["image_id"]],
        columns["image_path"], columns["qa_grade"], failed, columns["quality_flag"],
        columns["flag_verdict"], columns["flagged_bad"],
        [number(v) for v in columns["sep_from_center_deg"]],
        # excluded: id 2 by hand, the QA-failed ones, the one flagged bad
        [True, True, True, False]))
    assert len(rows[0]) == len(COLUMNS)
    return json.dumps({
        "source": META,
        "columns": [{"name": n, "unit": unit, "datatype": d, "ucd": ucd, "description": desc}
                    for n, unit, d, ucd, desc in columns_for("peak")],
        "data": [list(r) for r in rows]}, allow_nan=False).encode()


def test_the_body_holds_what_json_dumps_writes():
    columns = _columns()
    body = json_body(columns, META, [2], exclude_qa=True)
    expected = json.loads(_reference(columns))
    assert json.loads(body) == expected
    # Bit for bit: the same floats (repr), signs of zero, and texts.
    assert repr(json.loads(body)["data"]) == repr(expected["data"])


def test_an_empty_lightcurve_has_no_rows():
    columns = {name: () for name in _columns()}
    body = json.loads(json_body(columns, META))
    assert body["data"] == [] and len(body["columns"]) == len(COLUMNS)

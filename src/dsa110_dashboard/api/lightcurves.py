"""``GET /api/v1/sources/{source_id}/lightcurve``: one source's lightcurve as a file.

The source id is the URL-quoted NVSS name (``/api/v1/sources/NVSS%20J123456.7%2B420312/
lightcurve``). Query:

- ``format``: ``json`` (default), ``csv`` or ``votable``; anything else is a 400 naming
  ``format``.
- ``flux``: ``best`` (default: normalised, else raw, else peak, per epoch - the column
  used is given per row), ``normalized``, ``raw`` or ``peak``; else 400 naming ``flux``.

Formats, each carrying units:

- ``csv`` is **ECSV** (astropy's "Enhanced CSV"): comma-separated values after a ``#``
  YAML header that declares every column's unit, type and description.
  ``astropy.table.Table.read(f, format="ascii.ecsv")`` gives back a table with units;
  ``pandas.read_csv(f, comment="#")`` reads the values.
- ``votable``: VOTable 1.4 (astropy.io.votable) with units and UCDs on the FIELDs.
- ``json``: ``{"source": {...}, "columns": [{"name", "unit", "datatype",
  "description"}], "data": [[...], ...]}`` - rows as lists in ``columns`` order, null
  for missing values.

Unknown source: 404 JSON. Every response names a file in Content-Disposition
(``NVSS_J123456.7+420312_lightcurve.csv``).
"""

from __future__ import annotations

import io
import json
import math
import re

import astropy.units as u
import numpy as np
import pandas as pd
from astropy.table import MaskedColumn, Table
from astropy.time import Time

from ..errors import InvalidInputError
from ..repositories.sources import SourceRecord, SourceRepository
from ..viewmodels.source_detail import qa_failed
from .base import ApiHandler
from .downloads import content_disposition

FORMATS = {"json": ("application/json; charset=utf-8", "json"),
           "csv": ("text/csv; charset=utf-8", "csv"),
           "votable": ("application/x-votable+xml", "vot")}
FLUXES = ("best", "normalized", "raw", "peak")

#: name, unit, datatype, UCD, description
COLUMNS = (
    ("photometry_id", None, "int64", "meta.id", "photometry row id"),
    ("mjd", "d", "float64", "time.epoch", "observation time, MJD (UTC)"),
    ("date_utc", None, "str", "time.epoch", "observation time, ISO 8601 (UTC)"),
    ("flux", "Jy", "float64", "phot.flux.density;em.radio",
     "flux density from the column named in flux_column"),
    ("flux_err", "Jy", "float64", "stat.error;phot.flux.density", "1-sigma error of flux"),
    ("flux_column", None, "str", "meta.note",
     "photometry column of this epoch: normalized_flux_jy, flux_jy or peak_jyb (Jy/beam)"),
    ("snr", None, "float64", "stat.snr", "signal-to-noise ratio"),
    ("image_id", None, "int64", "meta.id", "image id (/images/{id})"),
    ("image_path", None, "str", "meta.file", "image file"),
    ("qa_grade", None, "str", "meta.code.qual", "latest image QA grade of the image"),
    ("qa_failed", None, "bool", "meta.code.qual",
     "the image failed QA (grade poor or row flagged image_qa_poor)"),
    ("quality_flag", None, "str", "meta.code.qual", "pipeline quality flag of the row"),
    ("sep_from_center_deg", "deg", "float64", "pos.angDistance",
     "distance from the image centre"),
)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9.+\-]+")


def columns_for(flux: str) -> tuple:
    """COLUMNS with the flux unit of the choice: peak fluxes are Jy/beam."""
    if flux != "peak":
        return COLUMNS
    return tuple((n, "Jy/beam" if n in ("flux", "flux_err") else unit, d, ucd, desc)
                 for n, unit, d, ucd, desc in COLUMNS)


def export_frame(lightcurve: pd.DataFrame) -> pd.DataFrame:
    """The lightcurve in export columns (COLUMNS order)."""
    lc = lightcurve
    mjd = pd.to_numeric(lc["mjd"], errors="coerce").to_numpy(float)
    dates = [None if not math.isfinite(m) else d
             for m, d in zip(mjd, Time(np.nan_to_num(mjd), format="mjd", scale="utc").isot)]
    return pd.DataFrame({
        "photometry_id": lc["photometry_id"].astype("Int64"),
        "mjd": mjd,
        "date_utc": dates,
        "flux": pd.to_numeric(lc["flux_jy"], errors="coerce").astype(float),
        "flux_err": pd.to_numeric(lc["flux_err_jy"], errors="coerce").astype(float),
        "flux_column": lc["flux_column"],
        "snr": pd.to_numeric(lc["snr"], errors="coerce").astype(float),
        "image_id": pd.to_numeric(lc["image_id"], errors="coerce").astype("Int64"),
        "image_path": lc["image_path"],
        "qa_grade": lc["qa_grade"],
        "qa_failed": qa_failed(lc) if len(lc) else np.zeros(0, bool),
        "quality_flag": lc["quality_flag"],
        "sep_from_center_deg": pd.to_numeric(lc["sep_from_center_deg"],
                                             errors="coerce").astype(float),
    })


def source_meta(record: SourceRecord, flux: str) -> dict:
    return {"source_id": record.source_id, "ra_deg": record.ra_deg,
            "dec_deg": record.dec_deg, "nvss_flux_mjy": record.nvss_flux_mjy,
            "flux_choice": flux}


def to_table(frame: pd.DataFrame, meta: dict) -> Table:
    """An astropy Table with units, descriptions and masks for missing values."""
    table = Table(meta={k: v for k, v in meta.items() if v is not None})
    for name, unit, dtype, _ucd, desc in columns_for(meta.get("flux_choice", "best")):
        series = frame[name]
        if dtype == "str":
            values = series.astype(object)
            mask = values.isna().to_numpy(bool)
            data = np.array(["" if m else str(v) for v, m in zip(values, mask)], dtype=str)
            if data.size == 0:
                data = np.zeros(0, dtype="<U1")
        elif dtype == "int64":
            mask = series.isna().to_numpy(bool)
            data = series.fillna(0).to_numpy("int64")
        elif dtype == "bool":
            mask = np.zeros(len(series), bool)
            data = series.to_numpy(bool)
        else:
            data = series.to_numpy(float)
            mask = ~np.isfinite(data)
        column = MaskedColumn(data, name=name, mask=mask, description=desc,
                              unit=u.Unit(unit) if unit else None)
        table.add_column(column)
    return table


def to_ecsv(table: Table) -> bytes:
    out = io.StringIO()
    table.write(out, format="ascii.ecsv", delimiter=",")
    return out.getvalue().encode("utf-8")


def to_votable(table: Table) -> bytes:
    from astropy.io.votable import from_table

    votable = from_table(table, table_id="lightcurve")
    resource_table = votable.get_first_table()
    ucds = {name: ucd for name, _u, _d, ucd, _desc in COLUMNS}
    for field in resource_table.fields:
        field.ucd = ucds.get(field.name)
    out = io.BytesIO()
    votable.to_xml(out)
    return out.getvalue()


def to_json(frame: pd.DataFrame, meta: dict) -> bytes:
    def cell(value):
        if value is None or value is pd.NA:
            return None
        if isinstance(value, (np.bool_, bool)):
            return bool(value)
        if isinstance(value, (np.integer,)):
            return int(value)
        if isinstance(value, (float, np.floating)):
            return float(value) if math.isfinite(value) else None
        return value

    payload = {
        "source": meta,
        "columns": [{"name": n, "unit": unit, "datatype": dtype, "ucd": ucd,
                     "description": desc}
                    for n, unit, dtype, ucd, desc in columns_for(meta["flux_choice"])],
        "data": [[cell(v) for v in row]
                 for row in frame[[c[0] for c in COLUMNS]].astype(object).itertuples(
                     index=False, name=None)],
    }
    return json.dumps(payload, allow_nan=False).encode("utf-8")


def filename(source_id: str, ext: str) -> str:
    stem = _SAFE_NAME.sub("_", source_id).strip("_") or "source"
    return f"{stem}_lightcurve.{ext}"


def render(record: SourceRecord, lightcurve: pd.DataFrame, fmt: str, flux: str) -> bytes:
    frame = export_frame(lightcurve)
    meta = source_meta(record, flux)
    if fmt == "json":
        return to_json(frame, meta)
    table = to_table(frame, meta)
    return to_ecsv(table) if fmt == "csv" else to_votable(table)


class LightcurveHandler(ApiHandler):
    async def get(self, source_id: str) -> None:
        fmt = (self.get_query_argument("format", None) or "json").strip().lower()
        if fmt not in FORMATS:
            raise InvalidInputError(f"format must be one of json, csv, votable; got "
                                    f"{fmt[:20]!r}", parameter="format")
        flux = (self.get_query_argument("flux", None) or "best").strip().lower()
        if flux not in FLUXES:
            raise InvalidInputError(f"flux must be one of {', '.join(FLUXES)}; got "
                                    f"{flux[:20]!r}", parameter="flux")

        def work() -> bytes:
            repo = SourceRepository(self.ctx.db)
            record = repo.get(source_id)  # NotFoundError -> 404
            return render(record, repo.lightcurve(source_id, flux=flux), fmt, flux)

        body = await self.blocking(work)
        content_type, ext = FORMATS[fmt]
        self.set_header("Content-Type", content_type)
        self.set_header("Cache-Control", "no-store")
        disposition = "inline" if fmt == "json" else "attachment"
        self.set_header("Content-Disposition",
                        content_disposition(disposition, filename(source_id, ext)))
        self.finish(body)

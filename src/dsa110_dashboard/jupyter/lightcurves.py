"""A lightcurve as an astropy ``QTable``: fluxes as Quantities in mJy (mJy/beam for peak
fluxes), observation times as ``astropy.time.Time`` (UTC), missing values masked."""

from __future__ import annotations

import astropy.units as u
import numpy as np
import pandas as pd
from astropy.table import MaskedColumn, QTable
from astropy.time import Time

from ..queries.lightcurve import qa_failed
from ..repositories.sources import SourceRecord

#: name, unit or None, description (the lightcurve API's columns, decision 0032).
COLUMNS = (
    ("time", None, "observation time (photometry.mjd), UTC"),
    ("flux", "mJy", "flux density from the column named in flux_column"),
    ("flux_err", "mJy", "1-sigma error of flux"),
    ("flux_column", None,
     "photometry column of this epoch: normalized_flux_jy, flux_jy or peak_jyb (Jy/beam)"),
    ("snr", None, "signal-to-noise ratio"),
    ("image_id", None, "image id (dd.ImageView(image_id))"),
    ("image_path", None, "image file"),
    ("qa_grade", None, "latest image QA grade of the image"),
    ("qa_failed", None, "the image failed QA (grade poor or row flagged image_qa_poor)"),
    ("quality_flag", None, "pipeline quality flag of the row"),
    ("sep_from_center", "deg", "distance from the image centre"),
    ("photometry_id", None, "photometry row id"),
)


def lightcurve_table(frame: pd.DataFrame, record: SourceRecord, flux: str) -> QTable:
    """``LightcurveRepository.lightcurve`` rows as a QTable with the source in ``meta``."""
    flux_unit = u.mJy / u.beam if flux == "peak" else u.mJy
    mjd = pd.to_numeric(frame["mjd"], errors="coerce").to_numpy(float)
    times = Time(np.ma.masked_invalid(mjd), format="mjd", scale="utc")
    values = {
        "time": times,
        "flux": _quantity(frame["flux_jy"], 1e3, flux_unit),
        "flux_err": _quantity(frame["flux_err_jy"], 1e3, flux_unit),
        "flux_column": _text(frame["flux_column"]),
        "snr": _floats(frame["snr"]),
        "image_id": _ints(frame["image_id"]),
        "image_path": _text(frame["image_path"]),
        "qa_grade": _text(frame["qa_grade"]),
        "qa_failed": qa_failed(frame) if len(frame) else np.zeros(0, bool),
        "quality_flag": _text(frame["quality_flag"]),
        "sep_from_center": _quantity(frame["sep_from_center_deg"], 1.0, u.deg),
        "photometry_id": _ints(frame["photometry_id"]),
    }
    table = QTable(meta={"source_id": record.source_id, "name": record.name,
                         "ra_deg": record.ra_deg, "dec_deg": record.dec_deg,
                         "nvss_flux_mjy": record.nvss_flux_mjy, "flux_choice": flux})
    for name, _unit, description in COLUMNS:
        table[name] = values[name]
        table[name].info.description = description
    return table


def _floats(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(float)


def _quantity(series: pd.Series, factor: float, unit) -> u.Quantity:
    # Missing values are NaN: a Quantity column keeps its unit through arithmetic and
    # plotting, where a masked one would not everywhere.
    return _floats(series) * factor * unit


def _ints(series: pd.Series) -> MaskedColumn:
    values = pd.to_numeric(series, errors="coerce")
    mask = values.isna().to_numpy(bool)
    return MaskedColumn(values.fillna(0).to_numpy("int64"), mask=mask)


def _text(series: pd.Series) -> MaskedColumn:
    values = series.astype(object)
    mask = values.isna().to_numpy(bool)
    data = np.array(["" if m else str(v) for v, m in zip(values, mask)], dtype=str)
    if data.size == 0:
        data = np.zeros(0, dtype="<U1")
    return MaskedColumn(data, mask=mask)

"""QA over time: one row per image of a time range and declination strip, with every
metric the QA page plots, and the same metrics binned for ``/api/v1/qa/trends``.

Time is the observation's (``ms_index.mid_mjd``), else the image's ``created_at``: an
image made from an MS the index lacks still has a place on the time axis. A metric is
the latest ``image_qa`` assessment's value where the QA step measured it, else the
image row's own (noise, dynamic range and beam are both); NULL stays NULL (missing QA is
shown as missing, never as zero). A metric whose column this database lacks altogether
is reported as not measured (``unmeasured``), not as a series of NULLs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from ..errors import InvalidInputError
from ..science.times import mjd_to_unix, unix_to_mjd
from .paging import frame_from, raw_frame
from .qa_catalogue import TABLE as CATALOGUE_TABLE
from .qa_catalogue import VALUE_COLUMNS as CATALOGUE_COLUMNS
from .qa_catalogue import join_catalogue
from ..science.qa import DERIVED_FROM_DR, MEASURED, UNKNOWN_GRADE, grade_image_dynamic_range


@dataclass(frozen=True)
class Metric:
    """A plotted quantity: its label and unit, the columns it is read from (image_qa's
    first, then images'), and the scale from the stored unit to the shown one."""

    name: str
    label: str
    unit: str
    qa_column: str | None
    image_column: str | None
    scale: float = 1.0
    log: bool = False


METRICS: dict[str, Metric] = {m.name: m for m in (
    Metric("noise", "Image noise", "mJy/beam", "rms_noise", "noise_jy", 1e3, log=True),
    Metric("dynamic_range", "Dynamic range", "peak/RMS", "dynamic_range", "dynamic_range",
           log=True),
    Metric("beam_major", "Beam major axis", "arcsec", "beam_major", "beam_major_arcsec"),
    Metric("beam_minor", "Beam minor axis", "arcsec", "beam_minor", "beam_minor_arcsec"),
    Metric("beam_pa", "Beam position angle", "deg", "beam_pa", "beam_pa_deg"),
    Metric("num_sources", "Sources per image", "count", "num_sources", None),
    Metric("flux_scale_ratio", "Flux-scale ratio (measured / NVSS)", "ratio",
           "flux_scale_ratio", None),
    Metric("astrometry_offset", "Astrometric offset against the catalogue", "arcsec",
           "astrometry_offset_arcsec", None),
)}

POINT_COLUMNS = ("image_id", "path", "ms_path", "mjd", "dec", "grade", "grade_kind",
                 "integration_sec", "bandwidth_mhz", *METRICS)
#: Most bins a trends request may ask for.
MAX_BINS = 5000
#: Widest range one trends request may cover (days): ten years.
MAX_SPAN_DAYS = 3660.0


def _finite(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype(float)


class QATrends:
    def __init__(self, db: Database):
        self.db = db

    def _from_catalogue(self, qa, m: Metric) -> bool:
        """Whether ``m`` is read from the qa batch's catalogue comparison (its own table,
        decision 0058) rather than from a column of image_qa."""
        return (m.qa_column in CATALOGUE_COLUMNS and qa.exists and qa.has("id")
                and not qa.has(m.qa_column) and self.db.catalog.has_table(CATALOGUE_TABLE))

    def unmeasured(self) -> list[str]:
        """Metrics this database has no column for, in image_qa (or the catalogue
        comparison kept beside it) or images."""
        images = self.db.catalog["images"]
        qa = self.db.catalog["image_qa"]
        missing = []
        for m in METRICS.values():
            in_qa = m.qa_column is not None and qa.exists and (
                qa.has(m.qa_column) or self._from_catalogue(qa, m))
            in_images = (m.image_column is not None and images.exists
                         and images.has(m.image_column))
            if not (in_qa or in_images):
                missing.append(m.name)
        return missing

    def points(self, start_mjd: float, end_mjd: float, dec_min: float | None = None,
               dec_max: float | None = None) -> pd.DataFrame:
        """Every image observed in [start, end] (and the declination strip), oldest
        first, with its metrics in shown units, its grade and which kind of grade it is
        (``measured``: the latest image_qa row's; ``derived-from-dynamic-range``)."""
        images = self.db.catalog["images"]
        if not images.exists:
            return pd.DataFrame(columns=POINT_COLUMNS)
        ms = self.db.catalog["ms_index"]
        qa = self.db.catalog["image_qa"]
        # The index on images.created_at narrows the scan: an image is made after its
        # observation, within a day in practice; the exact range is cut below.
        lo_unix, hi_unix = mjd_to_unix(start_mjd), mjd_to_unix(end_mjd + 1.0)
        source = images.table
        mid = sa.cast(sa.null(), sa.Float)
        ms_dec = sa.cast(sa.null(), sa.Float)
        if ms.exists:
            source = source.outerjoin(ms.table, ms["path"] == images["ms_path"])
            mid, ms_dec = ms["mid_mjd"], ms["pointing_dec_deg"]
        cols = [images["id"].label("image_id"), images["path"].label("path"),
                images["ms_path"].label("ms_path"), images["created_at"].label("created_at"),
                mid.label("mid_mjd"),
                sa.func.coalesce(images["center_dec_deg"], ms_dec).label("dec"),
                images["integration_sec"].label("integration_sec"),
                images["bandwidth_mhz"].label("bandwidth_mhz")]
        cols += [images[m.image_column].label(f"img_{m.name}")
                 for m in METRICS.values() if m.image_column]
        stmt = (sa.select(*cols).select_from(source)
                .where(images["created_at"] >= lo_unix - 86400.0,
                       images["created_at"] <= hi_unix))
        with self.db.connect() as conn:
            # Through the driver's cursor (a month is ~10,000 rows of each): every value
            # below goes through _finite or is text, as the driver gives it.
            frame = raw_frame(conn, stmt)
            assessed = self._latest_qa(conn, qa, images, lo_unix - 86400.0, hi_unix)
        if frame.empty:
            return pd.DataFrame(columns=POINT_COLUMNS)
        created = _finite(frame["created_at"])
        frame["mjd"] = _finite(frame["mid_mjd"]).fillna(unix_to_mjd(created))
        frame["dec"] = _finite(frame["dec"])
        keep = (frame["mjd"] >= start_mjd) & (frame["mjd"] <= end_mjd)
        if dec_min is not None:
            keep &= frame["dec"] >= dec_min
        if dec_max is not None:
            keep &= frame["dec"] <= dec_max
        frame = frame[keep]
        frame = frame.merge(assessed, how="left", left_on="path", right_on="qa_image_path")
        for m in METRICS.values():
            value = pd.Series(np.nan, index=frame.index)
            if f"qa_{m.name}" in frame:
                value = _finite(frame[f"qa_{m.name}"])
            if f"img_{m.name}" in frame:
                value = value.fillna(_finite(frame[f"img_{m.name}"]))
            frame[m.name] = value * m.scale
        measured = frame["qa_grade"].notna() if "qa_grade" in frame else \
            pd.Series(False, index=frame.index)
        frame["grade_kind"] = np.where(measured, MEASURED, DERIVED_FROM_DR)
        derived = [grade_image_dynamic_range(v) for v in frame["dynamic_range"]]
        qa_grade = frame["qa_grade"] if "qa_grade" in frame else \
            pd.Series(None, index=frame.index, dtype=object)
        frame["grade"] = np.where(measured, qa_grade.fillna(UNKNOWN_GRADE).astype(str), derived)
        for name in ("integration_sec", "bandwidth_mhz"):
            frame[name] = _finite(frame[name])
        frame = frame.sort_values(["mjd", "image_id"], kind="stable")
        return frame[list(POINT_COLUMNS)].reset_index(drop=True)

    def _latest_qa(self, conn: sa.Connection, qa, images, lo_unix: float,
                   hi_unix: float) -> pd.DataFrame:
        """Each image's latest image_qa row (greatest timestamp, id): its metrics, with
        the catalogue values the qa batch kept for that row, and its grade, for the
        images made in the window."""
        if not (qa.exists and qa.has("image_path")):
            return pd.DataFrame(columns=["qa_image_path", "qa_grade"])
        names = [m.name for m in METRICS.values() if m.qa_column and qa.has(m.qa_column)]
        values = [qa[METRICS[n].qa_column] for n in names]
        source = qa.table.join(images.table, images["path"] == qa["image_path"])
        from_catalogue = [m for m in METRICS.values() if self._from_catalogue(qa, m)]
        if from_catalogue:
            source, joined = join_catalogue(self.db, source, qa["id"])
            by_label = {c.name: c for c in joined}
            names += [m.name for m in from_catalogue]
            values += [by_label[m.qa_column] for m in from_catalogue]
        columns = ["qa_image_path", "qa_grade", *[f"qa_{n}" for n in names]]
        stmt = (sa.select(qa["image_path"], qa["overall_quality"], *values)
                .select_from(source)
                .where(images["created_at"] >= lo_unix, images["created_at"] <= hi_unix)
                .order_by(qa["image_path"], qa["timestamp"], qa["id"]))
        found = raw_frame(conn, stmt).set_axis(columns, axis=1)
        return found.drop_duplicates("qa_image_path", keep="last")

    def binned(self, metric: str, start_mjd: float, end_mjd: float, bins: int,
               dec_min: float | None = None, dec_max: float | None = None) -> dict:
        """``metric`` over [start, end] in ``bins`` equal time bins: per bin its count of
        images, how many have the metric (``n_measured``), median, min, max, and the
        grades counted. A bin with no measured value has nulls, never zeros."""
        check_range(metric, start_mjd, end_mjd, bins)
        frame = self.points(start_mjd, end_mjd, dec_min, dec_max)
        m = METRICS[metric]
        edges = np.linspace(start_mjd, end_mjd, bins + 1)
        which = np.clip(np.searchsorted(edges, frame["mjd"].to_numpy(float), "right") - 1,
                        0, bins - 1)
        values = frame[metric].to_numpy(float)
        out = []
        for i in range(bins):
            inside = which == i
            vals = values[inside]
            vals = vals[np.isfinite(vals)]
            grades = frame["grade"][inside].value_counts().to_dict()
            out.append({
                "start_mjd": float(edges[i]), "end_mjd": float(edges[i + 1]),
                "n_images": int(inside.sum()), "n_measured": int(vals.size),
                "median": float(np.median(vals)) if vals.size else None,
                "min": float(vals.min()) if vals.size else None,
                "max": float(vals.max()) if vals.size else None,
                "grades": {str(k): int(v) for k, v in grades.items()}})
        return {"metric": metric, "label": m.label, "unit": m.unit,
                "measured": metric not in self.unmeasured(), "bins": out}


def check_range(metric: str, start_mjd: float, end_mjd: float, bins: int) -> None:
    """InvalidInputError naming the parameter that cannot be used."""
    if metric not in METRICS:
        raise InvalidInputError(f"metric: {metric!r} is not one of {', '.join(METRICS)}",
                                parameter="metric")
    if not end_mjd > start_mjd:
        raise InvalidInputError("to: must be after from", parameter="to")
    if end_mjd - start_mjd > MAX_SPAN_DAYS:
        raise InvalidInputError(f"to: the range may span at most {MAX_SPAN_DAYS:g} days",
                                parameter="to")
    if not (1 <= bins <= MAX_BINS) or not math.isfinite(bins):
        raise InvalidInputError(f"bins: must be between 1 and {MAX_BINS}", parameter="bins")


#: Flux calibrators (science.md): name, RA, Dec (deg), catalogue flux at 1.4 GHz (Jy)
#: when science.md states it; otherwise the photometry row's NVSS flux is the reference.
CALIBRATORS = (("0834+555", 128.729, 55.573, 8.8), ("3C286", 202.7845, 30.5092, None),
               ("3C48", 24.4221, 33.1598, None), ("3C147", 85.6506, 49.8520, None))
#: A photometry row within this distance of a calibrator's position measures it.
CALIBRATOR_MATCH_ARCSEC = 10.0


def calibrator_ratios(db: Database, start_mjd: float, end_mjd: float) -> pd.DataFrame | None:
    """Observed / catalogue flux of the calibrators over time, from the photometry at
    their positions: columns calibrator, mjd, image_path, ratio. None when the database
    has no photometry table (not measured)."""
    phot = db.catalog["photometry"]
    if not phot.exists:
        return None
    radius = CALIBRATOR_MATCH_ARCSEC / 3600.0
    # The time cut as an expression, not the bare column: given the choice, SQLite walks
    # idx_photometry_mjd through every row of the range (0.9 s a calibrator over 30 days
    # of a year's database) instead of idx_photometry_radec's few rows near the
    # calibrator (1 ms; decision 0071).
    mjd = phot["mjd"] + 0.0
    parts = []
    with db.connect() as conn:
        for name, ra, dec, catalogue_jy in CALIBRATORS:
            half_ra = radius / max(math.cos(math.radians(dec)), 1e-3)
            stmt = (sa.select(phot["mjd"], phot["image_path"], phot["ra_deg"],
                              phot["dec_deg"], phot["flux_jy"], phot["peak_jyb"],
                              phot["nvss_flux_mjy"])
                    .select_from(phot.table)
                    .where(phot["ra_deg"].between(ra - half_ra, ra + half_ra),
                           phot["dec_deg"].between(dec - radius, dec + radius),
                           mjd >= start_mjd, mjd <= end_mjd))
            found = frame_from(conn.execute(stmt))
            if found.empty:
                continue
            flux = _finite(found["flux_jy"]).fillna(_finite(found["peak_jyb"]))
            reference = _finite(found["nvss_flux_mjy"]) / 1e3
            if catalogue_jy is not None:
                reference = pd.Series(catalogue_jy, index=found.index)
            parts.append(pd.DataFrame({"calibrator": name, "mjd": _finite(found["mjd"]),
                                       "image_path": found["image_path"],
                                       "ratio": flux / reference.where(reference > 0)}))
    if not parts:
        return pd.DataFrame(columns=["calibrator", "mjd", "image_path", "ratio"])
    return pd.concat(parts, ignore_index=True).sort_values("mjd", kind="stable")

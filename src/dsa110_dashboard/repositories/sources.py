"""Sources, their lightcurves and their variability statistics.

Where sources come from, in order of preference (pipeline-db.md):
1. the ``sources`` table, when it exists and has rows (newer pipelines, often empty);
2. ``variability_stats``, one row per source, written by the pipeline;
3. photometry grouped by ``source_id`` (older databases; slow on big tables, but those
   older databases are small).
Whatever the origin, a source reads as the same columns (``SOURCE_COLUMNS``), so every
query below is written once against a uniform subquery.

Cone searches: a bounding box in SQL (so an index on ra/dec helps), then the exact
great-circle filter. On PostgreSQL the haversine is computed in SQL, so the filter, the
total, the order and the page all happen there. On SQLite (trig functions are optional
in its builds) the box candidates - a few hundred rows at most for the radii the
dashboard offers - are fetched and filtered, sorted and paged in numpy.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from ..errors import InvalidInputError, NotFoundError
from .paging import Page, PageRequest, fetch_page, frame_from, order_by

FluxChoice = Literal["best", "normalized", "raw", "peak"]

#: Columns of a source whatever table it comes from.
SOURCE_COLUMNS = ("source_id", "name", "ra_deg", "dec_deg", "nvss_flux_mjy", "n_epochs",
                  "first_mjd", "last_mjd")
#: variability_stats columns carried along (NULL when that table or column is missing).
STAT_COLUMNS = ("n_obs", "mean_flux_mjy", "std_flux_mjy", "min_flux_mjy", "max_flux_mjy",
                "chi2_nu", "sigma_deviation", "eta_metric", "last_measured_at")

LIGHTCURVE_COLUMNS = ("photometry_id", "mjd", "flux_jy", "flux_err_jy", "flux_column",
                      "snr", "image_path", "image_id", "qa_grade", "quality_flag", "flags",
                      "sep_from_center_deg")


@dataclass(frozen=True)
class SourceRecord:
    source_id: str
    name: str | None
    ra_deg: float | None
    dec_deg: float | None
    nvss_flux_mjy: float | None
    n_epochs: int | None
    first_mjd: float | None
    last_mjd: float | None
    n_obs: int | None = None
    mean_flux_mjy: float | None = None
    std_flux_mjy: float | None = None
    min_flux_mjy: float | None = None
    max_flux_mjy: float | None = None
    chi2_nu: float | None = None
    sigma_deviation: float | None = None
    eta_metric: float | None = None
    last_measured_at: float | None = None
    #: std/mean from variability_stats (no V column exists yet).
    v: float | None = None
    ese_status: str | None = None
    ese_significance: float | None = None
    #: Two-epoch statistics from our table (``dsa110-dash variability``), when it has them.
    vs_max: float | None = None
    m_at_vs_max: float | None = None
    is_two_epoch_variable: int | None = None
    #: The photometry column our stored statistics were computed from (dash_variability:
    #: normalized_flux_jy, flux_jy, peak_jyb or mixed, each epoch's best); None when
    #: only the pipeline's variability_stats has the source (it does not record it).
    stats_flux_column: str | None = None
    #: Which table the source came from: sources, variability_stats or photometry.
    origin: str | None = None


def v_expression(std: sa.ColumnElement, mean: sa.ColumnElement) -> sa.ColumnElement:
    """V = std/mean (coefficient of variation) from stored values; NULL when mean is 0
    or either is NULL. A later migration may add a V column; until then it is derived."""
    return sa.case((mean != 0, std / mean), else_=sa.null())


def _null(type_: Any = sa.Float) -> sa.ColumnElement:
    # A CAST, not type_coerce: PostgreSQL types a bare NULL as text, which psycopg's
    # float result processing rejects.
    return sa.cast(sa.null(), type_)


def _none_for_missing(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """Text columns: None (not NaN) where the database had NULL."""
    for col in columns:
        frame[col] = frame[col].astype(object).where(frame[col].notna(), None)


def _with_default_direction(request: PageRequest, default: str,
                            descending: bool) -> PageRequest:
    """No sort asked: the repository's default key in its natural direction."""
    if request.sort is None:
        return dataclasses.replace(request, sort=default, descending=descending)
    return request


def normalise_name_prefix(text: str) -> list[str]:
    """LIKE prefixes (upper case) a typed name may match: ``J1234``, ``nvss j1234``,
    ``1234`` and ``NVSS J1234`` all find ``NVSS J123456.7+420312``."""
    core = " ".join(text.strip().upper().split())
    if core.startswith("NVSS"):
        core = core[4:].strip()
        if not core:
            return ["NVSS"]
    if core and (core[0].isdigit() or core[0] in "+-"):
        core = "J" + core
    if not core:
        return []
    return [f"NVSS {core}", core]


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# ------------------------------------------------------------------ sky geometry
def ra_ranges(ra: float, dec: float,
              radius: float) -> tuple[float, float, list[tuple[float, float]] | None]:
    """The bounding box of a cone: (dec_min, dec_max, RA intervals or None for all RA).

    The RA half-width is asin(sin r / cos dec), the cone's true extent (>= r/cos dec's
    small-angle form); near a pole, or when it exceeds 180 deg, the whole RA range.
    Intervals are split at 0/360 when the box wraps.
    """
    dec_min, dec_max = max(dec - radius, -90.0), min(dec + radius, 90.0)
    if dec_max >= 90.0 or dec_min <= -90.0:
        return dec_min, dec_max, None
    ratio = math.sin(math.radians(radius)) / math.cos(math.radians(dec))
    if ratio >= 1.0:
        return dec_min, dec_max, None
    half = math.degrees(math.asin(ratio)) * 1.000001 + 1e-9  # rounding margin
    if half >= 180.0:
        return dec_min, dec_max, None
    ra = ra % 360.0
    lo, hi = ra - half, ra + half
    if lo < 0:
        return dec_min, dec_max, [(lo + 360.0, 360.0), (0.0, hi)]
    if hi > 360.0:
        return dec_min, dec_max, [(lo, 360.0), (0.0, hi - 360.0)]
    return dec_min, dec_max, [(lo, hi)]


def box_clause(ra_col: sa.ColumnElement, dec_col: sa.ColumnElement, ra: float, dec: float,
               radius: float) -> sa.ColumnElement:
    dec_min, dec_max, intervals = ra_ranges(ra, dec, radius)
    clause = dec_col.between(dec_min, dec_max)
    if intervals is not None:
        clause = sa.and_(clause, sa.or_(*(ra_col.between(lo, hi) for lo, hi in intervals)))
    return clause


def separation_deg(ra1, dec1, ra2, dec2) -> np.ndarray:
    """Great-circle separation in degrees (haversine, stable at small angles)."""
    r1, d1, r2, d2 = (np.radians(np.asarray(x, dtype=float)) for x in (ra1, dec1, ra2, dec2))
    h = np.sin((d2 - d1) / 2) ** 2 + np.cos(d1) * np.cos(d2) * np.sin((r2 - r1) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def _sql_separation_deg(ra_col, dec_col, ra: float, dec: float) -> sa.ColumnElement:
    """The same haversine in SQL (PostgreSQL)."""
    f = sa.func
    d1, r1 = math.radians(dec), math.radians(ra)
    d2, r2 = f.radians(dec_col), f.radians(ra_col)
    h = (f.power(f.sin((d2 - d1) / 2), 2)
         + math.cos(d1) * f.cos(d2) * f.power(f.sin((r2 - r1) / 2), 2))
    return f.degrees(2 * f.asin(f.sqrt(f.least(f.greatest(h, 0.0), 1.0))))


def _check_cone(ra: float, dec: float, radius: float) -> None:
    for name, value in (("ra_deg", ra), ("dec_deg", dec), ("radius_deg", radius)):
        if value is None or not math.isfinite(value):
            raise InvalidInputError(f"{name} must be a finite number", parameter=name)
    if not -90.0 <= dec <= 90.0:
        raise InvalidInputError("dec_deg must be between -90 and 90", parameter="dec_deg")
    if not 0.0 < radius <= 90.0:
        raise InvalidInputError("radius_deg must be > 0 and <= 90", parameter="radius_deg")


# ------------------------------------------------------------------- repository
class SourceRepository:
    """Sources, cone searches, name search, lightcurves and contributing images."""

    #: Sort keys a user may ask for (source pages).
    SORTS = ("source_id", "name", "ra_deg", "dec_deg", "nvss_flux_mjy", "n_epochs",
             "last_mjd", "eta_metric", "chi2_nu", "sigma_deviation", "mean_flux_mjy", "v")

    def __init__(self, db: Database):
        self.db = db

    # ------------------------------------------------------------- the origin
    def origin(self, conn: sa.Connection) -> str | None:
        """Which table sources come from now: sources, variability_stats, photometry
        or None (no table at all)."""
        catalog = self.db.catalog
        for name in ("sources", "variability_stats"):
            if catalog.has_table(name):
                table = catalog[name].table
                if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                    return name
        if catalog.has_table("photometry"):
            return "photometry"
        return None

    def _source_select(self, origin: str | None) -> sa.Select | None:
        """SOURCE_COLUMNS + STAT_COLUMNS from the origin table."""
        catalog = self.db.catalog
        vs = catalog["variability_stats"]
        stats = [vs.col(c) if vs.exists else _null().label(c) for c in STAT_COLUMNS]
        if origin == "sources":
            s = catalog["sources"]
            cols = [s["id"].label("source_id"), sa.func.coalesce(s["name"], s["id"]).label("name"),
                    s.col("ra_deg"), s.col("dec_deg"),
                    (vs["nvss_flux_mjy"] if vs.exists else _null()).label("nvss_flux_mjy"),
                    (sa.func.coalesce(s["detection_count"], vs["n_obs"]) if vs.exists
                     else s["detection_count"]).label("n_epochs"),
                    s["first_detected_mjd"].label("first_mjd"),
                    (sa.func.coalesce(s["last_detected_mjd"], vs["last_mjd"]) if vs.exists
                     else s["last_detected_mjd"]).label("last_mjd")]
            stmt = sa.select(*cols, *stats)
            if vs.exists:
                return stmt.select_from(s.table.outerjoin(
                    vs.table, vs["source_id"] == s["id"]))
            return stmt.select_from(s.table)
        if origin == "variability_stats":
            return sa.select(vs.col("source_id"), vs["source_id"].label("name"),
                             vs.col("ra_deg"), vs.col("dec_deg"), vs.col("nvss_flux_mjy"),
                             vs["n_obs"].label("n_epochs"), _null().label("first_mjd"),
                             vs.col("last_mjd"), *stats)
        if origin == "photometry":
            p = catalog["photometry"]
            return (sa.select(
                p.col("source_id"), p["source_id"].label("name"),
                sa.func.avg(p["ra_deg"]).label("ra_deg"),
                sa.func.avg(p["dec_deg"]).label("dec_deg"),
                sa.func.max(p["nvss_flux_mjy"]).label("nvss_flux_mjy"),
                sa.func.count().label("n_epochs"),
                sa.func.min(p["mjd"]).label("first_mjd"),
                sa.func.max(p["mjd"]).label("last_mjd"),
                *[_null().label(c) for c in STAT_COLUMNS])
                .where(p["source_id"].is_not(None)).group_by(p["source_id"]))
        return None

    def _ese_columns(self, source_id: sa.ColumnElement) -> list[sa.ColumnElement]:
        """Latest ESE flag of a source (correlated, evaluated for selected rows only)."""
        ese = self.db.catalog["ese_candidates"]
        if not ese.exists:
            return [_null(sa.Text).label("ese_status"), _null().label("ese_significance")]
        def latest(column: str) -> sa.ScalarSelect:
            return (sa.select(ese[column]).where(ese["source_id"] == source_id)
                    .order_by(ese["flagged_at"].desc(), ese["id"].desc()).limit(1)
                    .scalar_subquery())

        status, sig = latest("status"), latest("significance")
        return [status.label("ese_status"), sig.label("ese_significance")]

    def _records_select(self, src: sa.Subquery, origin: str) -> sa.Select:
        return sa.select(
            *src.c, v_expression(src.c.std_flux_mjy, src.c.mean_flux_mjy).label("v"),
            *self._ese_columns(src.c.source_id), sa.literal(origin).label("origin"))

    def _empty_frame(self, extra: Iterable[str] = ()) -> pd.DataFrame:
        return pd.DataFrame(columns=[*SOURCE_COLUMNS, *STAT_COLUMNS, "v", "ese_status",
                                     "ese_significance", "origin", *extra])

    def _sorts(self, src: sa.Subquery) -> dict[str, sa.ColumnElement]:
        allowed = {k: src.c[k] for k in self.SORTS if k in src.c}
        allowed["v"] = v_expression(src.c.std_flux_mjy, src.c.mean_flux_mjy)
        return allowed

    # ------------------------------------------------------------------ reads
    def get(self, source_id: str) -> SourceRecord:
        """One source; NotFoundError when no source table knows it."""
        with self.db.connect() as conn:
            origin = self.origin(conn)
            base = self._source_select(origin)
            row = None
            if base is not None:
                src = base.subquery("src")
                row = conn.execute(self._records_select(src, origin)
                                   .where(src.c.source_id == source_id)).mappings().first()
            if row is None:
                raise NotFoundError(f"source {source_id!r} not found")
            values = dict(row)
            if values.get("first_mjd") is None:
                values.update(self._epoch_span(conn, source_id, values))
            values.update(self._two_epoch(conn, source_id))
        return SourceRecord(**{f.name: values.get(f.name)
                               for f in dataclasses.fields(SourceRecord)})

    def _two_epoch(self, conn: sa.Connection, source_id: str) -> dict[str, Any]:
        """Our stored two-epoch statistics (dash_variability, revision 0003), and the flux
        column they were computed from, if any."""
        ours = self.db.catalog["dash_variability"]
        if not ours.exists:
            return {}
        row = conn.execute(sa.select(ours["vs_max"], ours["m_at_vs_max"],
                                     ours["is_two_epoch_variable"],
                                     ours["flux_column"].label("stats_flux_column"))
                           .where(ours["source_id"] == source_id)).mappings().first()
        return dict(row) if row is not None else {}

    def _epoch_span(self, conn: sa.Connection, source_id: str,
                    values: Mapping[str, Any]) -> dict[str, Any]:
        """First/last MJD and epochs from photometry, when the origin table lacks them."""
        p = self.db.catalog["photometry"]
        if not p.exists:
            return {}
        first, last, n = conn.execute(
            sa.select(sa.func.min(p["mjd"]), sa.func.max(p["mjd"]), sa.func.count())
            .where(p["source_id"] == source_id)).one()
        out: dict[str, Any] = {"first_mjd": first}
        if values.get("last_mjd") is None:
            out["last_mjd"] = last
        if values.get("n_epochs") is None and n:
            out["n_epochs"] = n
        return out

    def search_name(self, prefix: str, request: PageRequest = PageRequest()) -> Page:
        """Sources whose id or name starts with ``prefix``, case-insensitive, with the
        NVSS prefix optional (``J1234`` and ``nvss j1234`` both match)."""
        patterns = normalise_name_prefix(prefix)
        with self.db.connect() as conn:
            origin = self.origin(conn)
            base = self._source_select(origin)
            if base is None or not patterns:
                return Page(self._empty_frame(), 0, request.offset, request.limit)
            src = base.subquery("src")
            match = sa.or_(*(sa.func.upper(col).like(_escape_like(p) + "%", escape="\\")
                             for p in patterns for col in (src.c.source_id, src.c.name)))
            stmt = self._records_select(src, origin).where(match)
            stmt = order_by(stmt, _with_default_direction(request, "name", False),
                            self._sorts(src), "name", tiebreak=src.c.source_id)
            count = sa.select(sa.func.count()).select_from(src).where(match)
            return fetch_page(conn, stmt, request, count)

    def cone(self, ra_deg: float, dec_deg: float, radius_deg: float,
             request: PageRequest = PageRequest()) -> Page:
        """Sources within ``radius_deg`` of (ra, dec) on the sphere, nearest first, with
        their separation ``sep_arcsec``. Sort: only ``sep_arcsec``."""
        _check_cone(ra_deg, dec_deg, radius_deg)
        if request.sort not in (None, "sep_arcsec"):
            raise InvalidInputError(f"cannot sort a cone search by {request.sort!r}; "
                                    "choose one of: sep_arcsec", parameter="sort")
        descending = request.descending if request.sort else False
        with self.db.connect() as conn:
            origin = self.origin(conn)
            base = self._source_select(origin)
            if base is None:
                return Page(self._empty_frame(["sep_arcsec"]), 0, request.offset,
                            request.limit)
            src = base.subquery("src")
            box = box_clause(src.c.ra_deg, src.c.dec_deg, ra_deg, dec_deg, radius_deg)
            records = self._records_select(src, origin).where(box)
            if self.db.dialect == "postgresql":
                return self._cone_sql(conn, src, records, box, ra_deg, dec_deg, radius_deg,
                                      request, descending)
            return self._cone_numpy(conn, records, ra_deg, dec_deg, radius_deg, request,
                                    descending)

    def _cone_sql(self, conn, src, records, box, ra, dec, radius, request, descending):
        sep = _sql_separation_deg(src.c.ra_deg, src.c.dec_deg, ra, dec)
        inside = sep <= radius
        stmt = records.add_columns((sep * 3600.0).label("sep_arcsec")).where(inside)
        key = sep.desc() if descending else sep.asc()
        tie = src.c.source_id.desc() if descending else src.c.source_id.asc()
        stmt = stmt.order_by(key, tie)
        count = sa.select(sa.func.count()).select_from(src).where(box, inside)
        return fetch_page(conn, stmt, request, count)

    def _cone_numpy(self, conn, records, ra, dec, radius, request, descending):
        result = conn.execute(records)
        frame = frame_from(result)
        if frame.empty:
            frame["sep_arcsec"] = pd.Series(dtype=float)
            return Page(frame, 0, request.offset, request.limit)
        sep = separation_deg(frame["ra_deg"], frame["dec_deg"], ra, dec)
        frame["sep_arcsec"] = sep * 3600.0
        frame = frame[sep <= radius]
        frame = frame.sort_values(["sep_arcsec", "source_id"],
                                  ascending=not descending, kind="mergesort")
        page = frame.iloc[request.offset:request.offset + request.limit]
        return Page(page.reset_index(drop=True), len(frame), request.offset, request.limit)

    def nearby(self, source_id: str, radius_deg: float = 0.1,
               limit: int = 50) -> pd.DataFrame:
        """Other sources within ``radius_deg`` of this one, nearest first."""
        record = self.get(source_id)
        if record.ra_deg is None or record.dec_deg is None:
            return self._empty_frame(["sep_arcsec"])
        page = self.cone(record.ra_deg, record.dec_deg, radius_deg,
                         PageRequest(limit=min(limit + 1, 500)))
        rows = page.rows[page.rows["source_id"] != source_id]
        return rows.head(limit).reset_index(drop=True)

    #: Statistics ``search`` can bound (inclusive): columns of the source subquery, and
    #: ``v`` (dash_variability.v where our table has the source, else std/mean).
    SEARCH_BOUNDS = ("eta_metric", "v", "chi2_nu", "sigma_deviation", "n_epochs",
                     "mean_flux_mjy", "nvss_flux_mjy")

    def search(self, *, name: str | None = None,
               cone: tuple[float, float, float] | None = None,
               bounds: Mapping[str, tuple[float | None, float | None]] | None = None,
               request: PageRequest = PageRequest()) -> Page:
        """Name prefix, cone (ra, dec, radius in degrees) and bounds on statistics
        together, one page and the total. Everything is filtered in SQL; on SQLite the
        exact great-circle cut (and so a cone's sort and page) is done on the bounding
        box's candidates as in ``cone``. Default order: nearest first for a cone, name
        for a name search, else eta descending; NULLs last. A cone adds ``sep_arcsec``.
        """
        bounds = dict(bounds or {})
        unknown = sorted(set(bounds) - set(self.SEARCH_BOUNDS))
        if unknown:
            raise InvalidInputError(f"cannot filter on {unknown[0]!r}; choose from: "
                                    + ", ".join(self.SEARCH_BOUNDS), parameter=unknown[0])
        if cone is not None:
            _check_cone(*cone)
        patterns = normalise_name_prefix(name) if name and name.strip() else None
        extra = ["sep_arcsec"] if cone is not None else []
        with self.db.connect() as conn:
            origin = self.origin(conn)
            base = self._source_select(origin)
            if base is None or patterns == []:
                return Page(self._empty_frame(extra), 0, request.offset, request.limit)
            src = base.subquery("src")
            ours = self.db.catalog["dash_variability"]
            derived = v_expression(src.c.std_flux_mjy, src.c.mean_flux_mjy)
            if ours.exists:
                from_ = src.outerjoin(ours.table, ours["source_id"] == src.c.source_id)
                v = sa.case((ours["source_id"].is_not(None), ours["v"]), else_=derived)
            else:
                from_, v = src, derived
            where: list[sa.ColumnElement] = []
            if patterns:
                where.append(sa.or_(*(
                    sa.func.upper(col).like(_escape_like(p) + "%", escape="\\")
                    for p in patterns for col in (src.c.source_id, src.c.name))))
            for key, (low, high) in bounds.items():
                column = v if key == "v" else src.c[key]
                if low is not None:
                    where.append(column >= low)
                if high is not None:
                    where.append(column <= high)
            if cone is not None:
                where.append(box_clause(src.c.ra_deg, src.c.dec_deg, *cone))
            stmt = sa.select(*src.c, v.label("v"), *self._ese_columns(src.c.source_id),
                             sa.literal(origin).label("origin")).select_from(from_)
            stmt = stmt.where(*where)
            allowed = self._sorts(src)
            allowed["v"] = v
            default = "sep_arcsec" if cone else ("name" if patterns else "eta_metric")
            request = _with_default_direction(request, default, default == "eta_metric")
            if cone is not None and self.db.dialect != "postgresql":
                return self._search_cone_numpy(conn, stmt, cone, request, allowed)
            if cone is not None:
                sep = _sql_separation_deg(src.c.ra_deg, src.c.dec_deg, cone[0], cone[1])
                stmt = stmt.add_columns((sep * 3600.0).label("sep_arcsec")) \
                    .where(sep <= cone[2])
                where.append(sep <= cone[2])
                allowed["sep_arcsec"] = sep
            stmt = order_by(stmt, request, allowed, default, tiebreak=src.c.source_id)
            count = sa.select(sa.func.count()).select_from(from_).where(*where)
            return fetch_page(conn, stmt, request, count)

    def _search_cone_numpy(self, conn, stmt, cone, request, allowed) -> Page:
        key = request.sort
        if key != "sep_arcsec" and key not in allowed:
            raise InvalidInputError(f"cannot sort by {key!r}; choose one of: "
                                    + ", ".join(sorted([*allowed, "sep_arcsec"])),
                                    parameter="sort")
        result = conn.execute(stmt)
        frame = frame_from(result)
        sep = separation_deg(frame["ra_deg"], frame["dec_deg"], cone[0], cone[1]) \
            if len(frame) else np.zeros(0)
        frame["sep_arcsec"] = sep * 3600.0
        frame = frame[sep <= cone[2]]
        # NULLs last either way, then source_id as the tiebreak (as order_by does).
        frame = frame.sort_values([key, "source_id"], ascending=not request.descending,
                                  na_position="last", kind="mergesort")
        page = frame.iloc[request.offset:request.offset + request.limit]
        return Page(page.reset_index(drop=True), len(frame), request.offset, request.limit)

    # ------------------------------------------------------------- lightcurve
    def _flux(self, choice: FluxChoice):
        p = self.db.catalog["photometry"]
        norm, raw, peak = p["normalized_flux_jy"], p["flux_jy"], p["peak_jyb"]
        if choice == "best":
            # Per row: normalized when present, else raw, else peak (pipeline-db.md).
            flux = sa.case((norm.is_not(None), norm), (raw.is_not(None), raw), else_=peak)
            err = sa.case((norm.is_not(None), p["normalized_flux_err_jy"]),
                          (raw.is_not(None), p["flux_err_jy"]), else_=p["peak_err_jyb"])
            which = sa.case((norm.is_not(None), "normalized_flux_jy"),
                            (raw.is_not(None), "flux_jy"),
                            (peak.is_not(None), "peak_jyb"), else_=sa.null())
            return flux, err, which
        column, error = {"normalized": ("normalized_flux_jy", "normalized_flux_err_jy"),
                         "raw": ("flux_jy", "flux_err_jy"),
                         "peak": ("peak_jyb", "peak_err_jyb")}.get(choice, (None, None))
        if column is None:
            raise InvalidInputError("flux must be one of best, normalized, raw, peak",
                                    parameter="flux")
        return p[column], p[error], sa.literal(column)

    def lightcurve(self, source_id: str, *, flux: FluxChoice = "best") -> pd.DataFrame:
        """Every photometry point of a source, ordered by observation MJD.

        ``mjd`` is photometry.mjd (never measured_at). ``flux_jy``/``flux_err_jy`` hold
        the chosen column and ``flux_column`` names it per row (``best`` falls back per
        row). ``image_id`` and ``qa_grade`` (latest image_qa.overall_quality of that
        image) come from the same query. NotFoundError for an unknown source.
        """
        catalog = self.db.catalog
        p, img, qa = catalog["photometry"], catalog["images"], catalog["image_qa"]
        if not p.exists:
            self.get(source_id)  # raises NotFoundError, or: known but no photometry
            return pd.DataFrame(columns=list(LIGHTCURVE_COLUMNS))
        value, error, which = self._flux(flux)
        image_id = img["id"] if img.exists else _null(sa.Integer)
        if qa.exists:
            grade = (sa.select(qa["overall_quality"])
                     .where(qa["image_path"] == p["image_path"])
                     .order_by(qa["timestamp"].desc(), qa["id"].desc()).limit(1)
                     .scalar_subquery())
        else:
            grade = _null(sa.Text)
        stmt = sa.select(
            p["id"].label("photometry_id"), p.col("mjd"), value.label("flux_jy"),
            error.label("flux_err_jy"), which.label("flux_column"), p.col("snr"),
            p.col("image_path"), image_id.label("image_id"), grade.label("qa_grade"),
            p.col("quality_flag"), p.col("flags"), p.col("sep_from_center_deg"),
        ).where(p["source_id"] == source_id)
        if img.exists:
            stmt = stmt.select_from(p.table.outerjoin(img.table,
                                                      img["path"] == p["image_path"]))
        stmt = stmt.order_by(p["mjd"].is_(None), p["mjd"], p["id"])
        with self.db.connect() as conn:
            result = conn.execute(stmt)
            frame = frame_from(result)
        if frame.empty:
            self.get(source_id)
        for col in ("mjd", "flux_jy", "flux_err_jy", "snr", "sep_from_center_deg"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        _none_for_missing(frame, ("flux_column", "qa_grade", "quality_flag"))
        return frame

    def images_for(self, source_id: str) -> pd.DataFrame:
        """The images that measured this source, in observation order."""
        catalog = self.db.catalog
        p, img = catalog["photometry"], catalog["images"]
        columns = ["image_id", "path", "type", "created_at", "mjd", "noise_jy",
                   "center_ra_deg", "center_dec_deg"]
        if not (p.exists and img.exists):
            self.get(source_id)
            return pd.DataFrame(columns=columns)
        stmt = (sa.select(img["id"].label("image_id"), img.col("path"), img.col("type"),
                          img.col("created_at"), p.col("mjd"), img.col("noise_jy"),
                          img.col("center_ra_deg"), img.col("center_dec_deg"))
                .select_from(p.table.join(img.table, img["path"] == p["image_path"]))
                .where(p["source_id"] == source_id)
                .order_by(p["mjd"].is_(None), p["mjd"], img["id"]))
        with self.db.connect() as conn:
            result = conn.execute(stmt)
            frame = frame_from(result)
        if frame.empty:
            self.get(source_id)
        # A source measured twice in one image (a rerun) lists the image once.
        return frame.drop_duplicates("image_id").reset_index(drop=True)


# ------------------------------------------------------------------ variability
@dataclass(frozen=True)
class VariabilityFilter:
    """Inclusive bounds; None means unbounded."""

    eta_min: float | None = None
    eta_max: float | None = None
    chi2_nu_min: float | None = None
    chi2_nu_max: float | None = None
    sigma_deviation_min: float | None = None
    sigma_deviation_max: float | None = None
    n_obs_min: int | None = None
    n_obs_max: int | None = None
    mean_flux_mjy_min: float | None = None
    mean_flux_mjy_max: float | None = None

    #: field prefix -> variability_stats column
    COLUMNS = {"eta": "eta_metric", "chi2_nu": "chi2_nu",
               "sigma_deviation": "sigma_deviation", "n_obs": "n_obs",
               "mean_flux_mjy": "mean_flux_mjy"}


class VariabilityRepository:
    """The pipeline's per-source variability statistics and ESE candidates."""

    SORTS = ("source_id", "ra_deg", "dec_deg", "nvss_flux_mjy", "n_obs", "mean_flux_mjy",
             "std_flux_mjy", "chi2_nu", "sigma_deviation", "eta_metric", "last_mjd",
             "updated_at", "v")
    PAGE_COLUMNS = ("source_id", "ra_deg", "dec_deg", "nvss_flux_mjy", "n_obs",
                    "mean_flux_mjy", "std_flux_mjy", "min_flux_mjy", "max_flux_mjy",
                    "chi2_nu", "sigma_deviation", "eta_metric", "last_measured_at",
                    "last_mjd", "updated_at")

    def __init__(self, db: Database):
        self.db = db

    def _ours(self):
        """Our dash_variability (revision 0003) when this database has it, else None."""
        ours = self.db.catalog["dash_variability"]
        return ours if ours.exists else None

    def _v(self):
        """V: ours (dash_variability.v, computed with the ddof=1 std by
        ``dsa110-dash variability``) for a source we have a row for - a NULL there means
        undefined, and stays NULL - else std/mean from variability_stats."""
        vs = self.db.catalog["variability_stats"]
        derived = v_expression(vs["std_flux_mjy"], vs["mean_flux_mjy"])
        ours = self._ours()
        if ours is None:
            return derived
        return sa.case((ours["source_id"].is_not(None), ours["v"]), else_=derived)

    def _from(self, base: sa.FromClause) -> sa.FromClause:
        """``base`` (which holds variability_stats) joined to our table when present."""
        vs, ours = self.db.catalog["variability_stats"], self._ours()
        if ours is None:
            return base
        return base.outerjoin(ours.table, ours["source_id"] == vs["source_id"])

    def _two_epoch_columns(self) -> list[sa.ColumnElement]:
        ours = self._ours()
        if ours is None:
            return [_null().label("vs_max"), _null().label("m_at_vs_max"),
                    _null(sa.Integer).label("is_two_epoch_variable")]
        return [ours.col("vs_max"), ours.col("m_at_vs_max"),
                ours.col("is_two_epoch_variable")]

    def _where(self, flt: VariabilityFilter) -> list[sa.ColumnElement]:
        vs = self.db.catalog["variability_stats"]
        clauses = []
        for prefix, column in VariabilityFilter.COLUMNS.items():
            low, high = getattr(flt, f"{prefix}_min"), getattr(flt, f"{prefix}_max")
            if low is not None:
                clauses.append(vs[column] >= low)
            if high is not None:
                clauses.append(vs[column] <= high)
        return clauses

    def page(self, flt: VariabilityFilter = VariabilityFilter(),
             request: PageRequest = PageRequest()) -> Page:
        """Filtered, sorted (whitelist ``SORTS``; default eta descending) page + total."""
        vs = self.db.catalog["variability_stats"]
        columns = [*self.PAGE_COLUMNS, "v", "ese_status", "ese_significance"]
        if not vs.exists:
            return Page(pd.DataFrame(columns=columns), 0, request.offset, request.limit)
        sources = SourceRepository(self.db)
        where = self._where(flt)
        stmt = sa.select(*vs.columns(*self.PAGE_COLUMNS), self._v().label("v"),
                         *sources._ese_columns(vs["source_id"])) \
            .select_from(self._from(vs.table)).where(*where)
        allowed = {k: vs[k] for k in self.SORTS if k != "v"}
        allowed["v"] = self._v()
        stmt = order_by(stmt, _with_default_direction(request, "eta_metric", True), allowed,
                        "eta_metric", tiebreak=vs["source_id"])
        count = sa.select(sa.func.count()).select_from(vs.table).where(*where)
        with self.db.connect() as conn:
            return fetch_page(conn, stmt, request, count)

    def eta_points(self, min_n_obs: int = 2) -> pd.DataFrame:
        """Everything an eta-V plot needs, one row per source with n_obs >= min_n_obs.

        ``v`` is ours from dash_variability (revision 0003, filled by
        ``dsa110-dash variability`` with the ddof=1 std) for the sources it has, else
        std_flux_mjy / mean_flux_mjy computed here from the pipeline's stored values
        (whether the pipeline's std is the sample one is not recorded). ``vs_max``,
        ``m_at_vs_max`` and ``is_two_epoch_variable`` (Mooley et al. 2016) come from
        dash_variability only: NaN/None without it. NULL metrics stay NaN, never 0.
        """
        vs = self.db.catalog["variability_stats"]
        columns = ["source_id", "ra_deg", "dec_deg", "eta", "v", "mean_flux_mjy",
                   "std_flux_mjy", "n_obs", "chi2_nu", "sigma_deviation", "nvss_flux_mjy",
                   "ese_status", "vs_max", "m_at_vs_max", "is_two_epoch_variable"]
        if not vs.exists:
            return pd.DataFrame(columns=columns)
        ese = self.db.catalog["ese_candidates"]
        stmt = sa.select(vs.col("source_id"), vs.col("ra_deg"), vs.col("dec_deg"),
                         vs["eta_metric"].label("eta"), self._v().label("v"),
                         vs.col("mean_flux_mjy"), vs.col("std_flux_mjy"), vs.col("n_obs"),
                         vs.col("chi2_nu"), vs.col("sigma_deviation"),
                         vs.col("nvss_flux_mjy"), *self._two_epoch_columns())
        stmt = stmt.select_from(self._from(vs.table)).where(
            sa.or_(vs["n_obs"].is_(None), vs["n_obs"] >= min_n_obs))
        with self.db.connect() as conn:
            result = conn.execute(stmt)
            frame = frame_from(result)
            status = pd.DataFrame(columns=["source_id", "ese_status"])
            if ese.exists:
                # One query for every flag, latest per source taken in pandas: cheaper
                # than a correlated subquery per point for ~20,000 points.
                res = conn.execute(sa.select(ese.col("source_id"),
                                             ese["status"].label("ese_status"))
                                   .order_by(ese["flagged_at"], ese["id"]))
                status = frame_from(res) \
                    .drop_duplicates("source_id", keep="last")
        frame = frame.merge(status, on="source_id", how="left")
        for col in ("ra_deg", "dec_deg", "eta", "v", "mean_flux_mjy", "std_flux_mjy",
                    "chi2_nu", "sigma_deviation", "nvss_flux_mjy", "vs_max", "m_at_vs_max"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        # 1/0, None where undefined (fewer than two epochs) or not computed.
        frame["is_two_epoch_variable"] = [
            None if pd.isna(x) else bool(x) for x in frame["is_two_epoch_variable"]]
        _none_for_missing(frame, ("ese_status",))
        return frame[columns]

    def ese_candidates(self, statuses: Iterable[str] | None = ("active",)) -> pd.DataFrame:
        """ESE flags (``statuses`` None = all), most significant first, with the
        source's position and statistics (NULL when variability_stats lacks it)."""
        catalog = self.db.catalog
        ese, vs = catalog["ese_candidates"], catalog["variability_stats"]
        columns = ["id", "source_id", "flagged_at", "flagged_by", "significance",
                   "flag_type", "notes", "status", "investigated_at", "dismissed_at",
                   "ra_deg", "dec_deg", "nvss_flux_mjy", "n_obs", "mean_flux_mjy",
                   "eta_metric", "sigma_deviation", "v"]
        if not ese.exists:
            return pd.DataFrame(columns=columns)
        stats = ([vs.col(c) for c in ("ra_deg", "dec_deg", "nvss_flux_mjy", "n_obs",
                                      "mean_flux_mjy", "eta_metric", "sigma_deviation")]
                 + [self._v().label("v")]) if vs.exists else \
            [_null().label(c) for c in columns[10:]]
        stmt = sa.select(*ese.columns(*columns[:10]), *stats)
        if vs.exists:
            stmt = stmt.select_from(self._from(ese.table.outerjoin(
                vs.table, vs["source_id"] == ese["source_id"])))
        if statuses is not None:
            stmt = stmt.where(ese["status"].in_(list(statuses)))
        stmt = stmt.order_by(ese["significance"].desc(), ese["id"])
        with self.db.connect() as conn:
            result = conn.execute(stmt)
            return frame_from(result)

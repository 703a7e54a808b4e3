"""The pipeline's per-source variability statistics (with ours from dash_variability
where we have them) and its ESE candidates."""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
import sqlalchemy as sa

from ..db.engine import Database
from .paging import Page, PageRequest, fetch_page, frame_from, order_by, raw_frame
from .source_columns import (
    ours_or_derived_v,
    none_for_missing,
    typed_null,
    v_expression,
    with_default_direction,
    with_latest_ese,
)


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


#: Per process: Database -> {min_n_obs: (fingerprint, statistics frame)}. Weak keys, so a
#: test's databases go with their Database objects. Two sessions missing at once both
#: read and the last write wins, which is harmless.
_STATS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


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
        return ours_or_derived_v(ours, vs["std_flux_mjy"], vs["mean_flux_mjy"])

    def _from(self, base: sa.FromClause) -> sa.FromClause:
        """``base`` (which holds variability_stats) joined to our table when present."""
        vs, ours = self.db.catalog["variability_stats"], self._ours()
        if ours is None:
            return base
        return base.outerjoin(ours.table, ours["source_id"] == vs["source_id"])

    def _two_epoch_columns(self) -> list[sa.ColumnElement]:
        ours = self._ours()
        if ours is None:
            return [typed_null().label("vs_max"), typed_null().label("m_at_vs_max"),
                    typed_null(sa.Integer).label("is_two_epoch_variable")]
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
        where = self._where(flt)
        stmt = sa.select(*vs.columns(*self.PAGE_COLUMNS), self._v().label("v")) \
            .select_from(self._from(vs.table)).where(*where)
        allowed = {k: vs[k] for k in self.SORTS if k != "v"}
        allowed["v"] = self._v()
        stmt = order_by(stmt, with_default_direction(request, "eta_metric", True), allowed,
                        "eta_metric", tiebreak=vs["source_id"])
        count = sa.select(sa.func.count()).select_from(vs.table).where(*where)
        with self.db.connect() as conn:
            page = fetch_page(conn, stmt, request, count)
            return dataclasses.replace(page, rows=with_latest_ese(conn, self.db.catalog,
                                                                  page.rows))

    def eta_points(self, min_n_obs: int = 2) -> pd.DataFrame:
        """Everything an eta-V plot needs, one row per source with n_obs >= min_n_obs.

        ``v`` is ours from dash_variability (revision 0003, filled by
        ``dsa110-dash variability`` with the ddof=1 std) for the sources it has, else
        std_flux_mjy / mean_flux_mjy computed here from the pipeline's stored values
        (whether the pipeline's std is the sample one is not recorded). ``vs_max``,
        ``m_at_vs_max`` and ``is_two_epoch_variable`` (Mooley et al. 2016) come from
        dash_variability only: NaN/None without it. NULL metrics stay NaN, never 0.

        The statistics are read once per process while the tables' fingerprint stays
        the same (``_STATS``); the ESE status, a small table, is read every time.
        """
        vs = self.db.catalog["variability_stats"]
        columns = ["source_id", "ra_deg", "dec_deg", "eta", "v", "mean_flux_mjy",
                   "std_flux_mjy", "n_obs", "chi2_nu", "sigma_deviation", "nvss_flux_mjy",
                   "ese_status", "vs_max", "m_at_vs_max", "is_two_epoch_variable"]
        if not vs.exists:
            return pd.DataFrame(columns=columns)
        ese = self.db.catalog["ese_candidates"]
        with self.db.connect() as conn:
            frame = self._cached_stats(conn, min_n_obs)
            status = pd.DataFrame(columns=["source_id", "ese_status"])
            if ese.exists:
                # Every flag, latest per source taken in pandas: cheaper than a
                # correlated subquery per point.
                status = raw_frame(conn, sa.select(ese.col("source_id"),
                                                   ese["status"].label("ese_status"))
                                   .order_by(ese["flagged_at"], ese["id"])) \
                    .drop_duplicates("source_id", keep="last")
        # A new frame: the cached one is shared by every session and never changed.
        frame = frame.merge(status, on="source_id", how="left")
        none_for_missing(frame, ("ese_status",))
        return frame[columns]

    def _cached_stats(self, conn: sa.Connection, min_n_obs: int) -> pd.DataFrame:
        """``_stats_points``, from this process's cache while ``_fingerprint`` is
        unchanged. Every /sources load read all sources' statistics (60-100 ms of the
        server's CPU at 20,000 sources, on the threads building the page); they change
        when the pipeline or ``dsa110-dash variability`` writes, hours apart."""
        fingerprint = self._fingerprint(conn)
        if fingerprint is None:
            return self._stats_points(conn, min_n_obs)
        entries = _STATS.setdefault(self.db, {})
        hit = entries.get(min_n_obs)
        if hit is not None and hit[0] == fingerprint:
            return hit[1]
        frame = self._stats_points(conn, min_n_obs)
        entries[min_n_obs] = (fingerprint, frame)
        return frame

    def _fingerprint(self, conn: sa.Connection) -> tuple | None:
        """The columns present and, per table, the row count, newest write time and sum
        of write times of variability_stats (``updated_at``, NOT NULL there) and
        dash_variability (``computed_at``): an insert, a delete or a rewrite by the
        pipeline or our batch changes it, also one stamped older than the newest row
        (our batches commit chunks and items as they finish, under one or earlier
        stamps). None (do not cache) when this database lacks a time column to tell."""
        vs, ours = self.db.catalog["variability_stats"], self._ours()
        if not vs.has("updated_at") or (ours is not None and not ours.has("computed_at")):
            return None
        tables = [(vs, "updated_at")] + ([(ours, "computed_at")] if ours is not None else [])
        found = []
        for table, column in tables:
            stamp = table[column]
            # Summed in whole milliseconds: a float sum on PostgreSQL may differ in its
            # last digits from one (parallel) read to the next.
            found.append((sorted(table.present), *conn.execute(sa.select(
                sa.func.count(), sa.func.max(stamp),
                sa.func.sum(sa.cast(stamp * 1000, sa.BigInteger)))
                .select_from(table.table)).one()))
        return tuple(found)

    def _stats_points(self, conn: sa.Connection, min_n_obs: int) -> pd.DataFrame:
        """variability_stats with our V and two-epoch columns, typed: NaN for NULL."""
        vs, ours = self.db.catalog["variability_stats"], self._ours()
        # Two plain reads merged here, not one join: joined to dash_variability,
        # SQLite walked variability_stats through its primary-key index (a random read
        # per source); at 100,000 sources the merge is a few ms.
        stmt = sa.select(vs.col("source_id"), vs.col("ra_deg"), vs.col("dec_deg"),
                         vs["eta_metric"].label("eta"), vs.col("mean_flux_mjy"),
                         vs.col("std_flux_mjy"), vs.col("n_obs"), vs.col("chi2_nu"),
                         vs.col("sigma_deviation"), vs.col("nvss_flux_mjy")) \
            .where(sa.or_(vs["n_obs"].is_(None), vs["n_obs"] >= min_n_obs))
        two_epoch = ["vs_max", "m_at_vs_max", "is_two_epoch_variable"]
        frame = raw_frame(conn, stmt)
        mine = pd.DataFrame(columns=["source_id", "our_v", *two_epoch])
        if ours is not None:
            mine = raw_frame(conn, sa.select(
                ours.col("source_id"), ours["v"].label("our_v"),
                *(ours.col(c) for c in two_epoch)))
        mine["has_ours"] = True
        frame = frame.merge(mine, on="source_id", how="left")
        for col in ("ra_deg", "dec_deg", "eta", "mean_flux_mjy", "std_flux_mjy",
                    "chi2_nu", "sigma_deviation", "nvss_flux_mjy", "vs_max", "m_at_vs_max",
                    "our_v"):
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype(float)
        # V as ``_v`` computes it in SQL: ours where we have a row (NULL stays NULL),
        # else std/mean (NULL when the mean is 0).
        mean, std = frame["mean_flux_mjy"], frame["std_flux_mjy"]
        derived = (std / mean.where(mean != 0)).astype(float)
        frame["v"] = frame["our_v"].where(frame["has_ours"].notna(), derived)
        # 1/0, None where undefined (fewer than two epochs) or not computed.
        flag = pd.to_numeric(frame["is_two_epoch_variable"], errors="coerce")
        frame["is_two_epoch_variable"] = flag.map({1.0: True, 0.0: False}) \
            .astype(object).where(flag.notna(), None)
        return frame.drop(columns=["our_v", "has_ours"])

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
            [typed_null().label(c) for c in columns[10:]]
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

"""Recompute every source's variability statistics from the photometry.

Writes the pipeline's ``variability_stats`` (mJy, its own columns only) and our
``dash_variability`` (Jy, plus V, weighted mean, two-epoch statistics and QA exclusions),
upserting one row per source; rows of sources no longer in photometry are left alone.

One year is ~20 million photometry rows, so the work streams: the distinct source ids
are read first (from the photometry(source_id) index), then the photometry of a batch of
``batch_sources`` consecutive ids is read with a range on that index, reduced with the
vectorised ``science.variability`` code, and written with one executemany per table. Each
batch commits on its own, so a SQLite writer lock is held for one batch's writes only and
the pipeline can keep writing in between. Memory is bounded by one batch.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..db import features
from ..db.engine import Database
from ..errors import InvalidInputError, ReadOnlyError
from ..repositories.flags import ImageFlags
from ..repositories.qa import latest_grade_sql
from ..science.qa import failed_qa_mask
from ..science.variability import compute_stats, select_best_flux

ProgressFn = Callable[[int, int, str], None]

REVISION = "0003_variability_extra"
FEATURE = "Recomputing variability statistics"
DEFAULT_BATCH_SOURCES = 200

_PHOT_COLUMNS = ("source_id", "ra_deg", "dec_deg", "nvss_flux_mjy", "mjd", "measured_at",
                 "normalized_flux_jy", "normalized_flux_err_jy", "flux_jy", "flux_err_jy",
                 "peak_jyb", "peak_err_jyb")


@dataclass
class RecomputeSummary:
    sources: int = 0
    #: Epochs counted in the statistics (finite flux, not excluded).
    epochs: int = 0
    #: Photometry rows read.
    rows: int = 0
    #: Epochs left out because their image failed QA or is flagged bad by a person.
    excluded: int = 0
    #: Of those, epochs left out because their image is flagged bad.
    flagged: int = 0
    seconds: float = 0.0


def _check(db: Database) -> None:
    if db.read_only:
        raise ReadOnlyError(
            f"{db.target.display()} is open read-only; recomputing variability writes "
            "variability_stats and dash_variability. Set DSA110_DASH_READ_ONLY=false (or "
            "--read-only false) to let it write.")
    features.require(db, REVISION, FEATURE)


def _source_ids(db: Database) -> list[str]:
    p = db.catalog["photometry"]
    if not p.exists:
        return []
    # In the database's own collation order: consecutive slices of this list are
    # exactly the ranges `source_id BETWEEN first AND last` read below.
    stmt = (sa.select(p["source_id"]).where(p["source_id"].is_not(None)).distinct()
            .order_by(p["source_id"]))
    with db.connect() as conn:
        return list(conn.execute(stmt).scalars())


def _batch_select(db: Database, exclude_failed_qa: bool, include_flagged: bool) -> sa.Select:
    catalog = db.catalog
    p, qa = catalog["photometry"], catalog["image_qa"]
    columns = [p.col(c) for c in _PHOT_COLUMNS]
    if exclude_failed_qa and qa.exists:
        # The latest grade of the epoch's image, as the lightcurve shows it (served by
        # the dash_idx_image_qa_latest index).
        grade = latest_grade_sql(qa, p["image_path"])
    else:
        grade = sa.cast(sa.null(), sa.Text)
    quality = p["quality_flag"] if exclude_failed_qa else sa.cast(sa.null(), sa.Text)
    # The flagged-bad paths are one uncorrelated subquery, evaluated once per batch.
    flagged = (sa.case((ImageFlags(db).flagged_bad_path_sql(p["image_path"]), 1), else_=0)
               if not include_flagged else sa.literal(0))
    return (sa.select(*columns, grade.label("qa_grade"), quality.label("quality_flag"),
                      flagged.label("flagged_bad"))
            .where(p["source_id"] >= sa.bindparam("first"),
                   p["source_id"] <= sa.bindparam("last")))


_EXTRA_COLUMNS = ("qa_grade", "quality_flag", "flagged_bad")
_TEXT = frozenset({"source_id", "qa_grade", "quality_flag"})

#: Rows turned into arrays at a time: Python row objects cost ~1 kB each, arrays ~0.1 kB.
_FETCH_ROWS = 20_000


def _frame(result: sa.CursorResult) -> dict[str, np.ndarray]:
    """The batch's rows as one array per column (NULL -> NaN for numbers)."""
    names = (*_PHOT_COLUMNS, *_EXTRA_COLUMNS)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for rows in result.partitions(_FETCH_ROWS):
        for name, values in zip(names, zip(*rows)):
            parts[name].append(np.array(values, dtype=object if name in _TEXT else float))
    return {name: (np.concatenate(chunks) if chunks else
                   np.zeros(0, dtype=object if name in _TEXT else float))
            for name, chunks in parts.items()}


def _none(values: np.ndarray) -> list[Any]:
    """NaN -> None so the database stores NULL."""
    return [None if v is None or (isinstance(v, float) and np.isnan(v)) else v
            for v in values.tolist()]


def batch_rows(data: dict[str, np.ndarray], exclude_failed_qa: bool, now: float
               ) -> tuple[list[dict], list[dict], int, int, int]:
    """(variability_stats rows, dash_variability rows, epochs, excluded, flagged) of one
    batch. An epoch is excluded when its image is flagged bad (``flagged_bad``, already
    0 everywhere when flags are included) or, with ``exclude_failed_qa``, when it failed
    QA by the one definition of science/qa.py."""
    flux, err, column = select_best_flux(
        data["normalized_flux_jy"], data["normalized_flux_err_jy"], data["flux_jy"],
        data["flux_err_jy"], data["peak_jyb"], data["peak_err_jyb"])
    failed = (failed_qa_mask(data["qa_grade"], data["quality_flag"]) if exclude_failed_qa
              else np.zeros(flux.size, dtype=bool))
    flagged = np.nan_to_num(data["flagged_bad"]) > 0
    excluded = failed | flagged
    codes, keys = pd.factorize(data["source_id"], sort=True)
    n = len(keys)
    kept = ~excluded
    # Excluded epochs are not epochs: drop them before the statistics.
    stats = compute_stats(codes[kept], flux[kept], err[kept], flux_column=column[kept])
    stats = stats.reindex(range(n))
    stats["n_epochs"] = stats["n_epochs"].fillna(0).astype(np.int64)
    stats["n_weighted_epochs"] = stats["n_weighted_epochs"].fillna(0).astype(np.int64)
    n_excluded = np.bincount(codes, weights=excluded, minlength=n).astype(np.int64)
    # Forced photometry measures at the catalogue position, so every row of a source
    # has the same one: take the first (an average would break across RA 0/360).
    _, first = np.unique(codes, return_index=True)
    ra, dec = data["ra_deg"][first], data["dec_deg"][first]
    nvss = np.full(n, np.nan)
    last_mjd = np.full(n, np.nan)
    last_measured = np.full(n, np.nan)
    np.fmax.at(nvss, codes, data["nvss_flux_mjy"])
    np.fmax.at(last_mjd, codes[kept], data["mjd"][kept])
    np.fmax.at(last_measured, codes[kept], data["measured_at"][kept])

    to_mjy = 1000.0
    pipeline = {
        "source_id": list(keys), "ra_deg": ra.tolist(), "dec_deg": dec.tolist(),
        "nvss_flux_mjy": _none(nvss), "n_obs": stats["n_epochs"].tolist(),
        "mean_flux_mjy": _none(stats["mean_flux"].to_numpy() * to_mjy),
        "std_flux_mjy": _none(stats["std_flux"].to_numpy() * to_mjy),
        "min_flux_mjy": _none(stats["min_flux"].to_numpy() * to_mjy),
        "max_flux_mjy": _none(stats["max_flux"].to_numpy() * to_mjy),
        "chi2_nu": _none(stats["chi2_nu"].to_numpy()),
        "sigma_deviation": _none(stats["sigma_deviation"].to_numpy()),
        "eta_metric": _none(stats["eta"].to_numpy()),
        "last_measured_at": _none(last_measured), "last_mjd": _none(last_mjd),
        "updated_at": [now] * n,
    }
    two_epoch = stats["is_two_epoch_variable"].astype("boolean").to_numpy(
        dtype=float, na_value=np.nan)
    ours = {
        "source_id": list(keys), "n_epochs": stats["n_epochs"].tolist(),
        "n_weighted_epochs": stats["n_weighted_epochs"].tolist(),
        "mean_flux_jy": _none(stats["mean_flux"].to_numpy()),
        "weighted_mean_flux_jy": _none(stats["weighted_mean_flux"].to_numpy()),
        "std_flux_jy": _none(stats["std_flux"].to_numpy()),
        "eta": _none(stats["eta"].to_numpy()), "v": _none(stats["v"].to_numpy()),
        "chi2_nu": _none(stats["chi2_nu"].to_numpy()),
        "sigma_deviation": _none(stats["sigma_deviation"].to_numpy()),
        "vs_max": _none(stats["vs_max"].to_numpy()),
        "m_at_vs_max": _none(stats["m_at_vs_max"].to_numpy()),
        "is_two_epoch_variable": [None if np.isnan(x) else int(x) for x in two_epoch],
        "excluded_qa_epochs": n_excluded.tolist(),
        "flux_column": stats["flux_column"].where(stats["flux_column"].notna(), None)
        .tolist(),
        "computed_at": [now] * n,
    }
    as_rows = lambda cols: [dict(zip(cols, vals)) for vals in zip(*cols.values())]  # noqa: E731
    return (as_rows(pipeline), as_rows(ours), int(stats["n_epochs"].sum()),
            int(n_excluded.sum()), int(flagged.sum()))


def _upsert(db: Database, table: sa.Table) -> sa.Insert:
    """INSERT ... ON CONFLICT (source_id) DO UPDATE of every other column, in the
    dialect's own form (both SQLite >= 3.24 and PostgreSQL have it)."""
    dialect_insert = postgresql.insert if db.dialect == "postgresql" else sqlite.insert
    stmt = dialect_insert(table)
    updates = {c.name: stmt.excluded[c.name] for c in table.c if c.name != "source_id"}
    return stmt.on_conflict_do_update(index_elements=[table.c.source_id], set_=updates)


@dataclass
class RangeResult:
    """The statistics of the sources ``first``..``last`` (in the database's order)."""

    vs_rows: list[dict]
    our_rows: list[dict]
    rows: int
    epochs: int
    excluded: int
    flagged: int = 0


def source_ids(db: Database) -> list[str]:
    """Every source id with photometry, in the order ``compute_range`` ranges use."""
    return _source_ids(db)


def compute_range(db: Database, first: str, last: str, *, exclude_failed_qa: bool,
                  now: float, include_flagged: bool = False) -> RangeResult:
    """Read and reduce one range of sources; writes nothing (a batch item's work).
    Epochs of images flagged bad are left out unless ``include_flagged``."""
    with db.connect() as conn:
        data = _frame(conn.execute(_batch_select(db, exclude_failed_qa, include_flagged),
                                   {"first": first, "last": last}))
    vs_rows, our_rows, epochs, excluded, flagged = batch_rows(data, exclude_failed_qa, now)
    return RangeResult(vs_rows, our_rows, int(data["mjd"].size), epochs, excluded, flagged)


def write_range(db: Database, result: RangeResult,
                conn: sa.Connection | None = None) -> None:
    """Upsert one range's rows into variability_stats (only the columns this database's
    table has; older files lack some) and dash_variability, in one transaction (``conn``'s
    when given)."""
    catalog = db.catalog
    vs_view, ours_view = catalog["variability_stats"], catalog["dash_variability"]
    vs_rows = []
    if vs_view.exists:
        vs_rows = [{k: v for k, v in row.items() if k in vs_view.present}
                   for row in result.vs_rows]
    if conn is None:
        with db.transaction() as own:
            write_range(db, result, own)
        return
    if vs_rows:
        conn.execute(_upsert(db, vs_view.table), vs_rows)
    if result.our_rows:
        conn.execute(_upsert(db, ours_view.table), result.our_rows)


def recompute_variability(db: Database, *, exclude_failed_qa: bool = False,
                          include_flagged: bool = False,
                          batch_sources: int = DEFAULT_BATCH_SOURCES,
                          progress: ProgressFn | None = None,
                          now: float | None = None) -> RecomputeSummary:
    """Recompute and upsert every source's statistics; returns what was done.

    Raises ReadOnlyError on a read-only database and FeatureUnavailableError (naming
    ``dsa110-dash db upgrade``) when revision 0003 is missing.
    """
    if not isinstance(batch_sources, int) or batch_sources < 1:
        raise InvalidInputError("batch_sources must be a whole number >= 1",
                                parameter="batch_sources")
    _check(db)
    started = time.perf_counter()
    report = progress or (lambda done, total, what: None)
    db.refresh_catalog()
    summary = RecomputeSummary()
    ids = _source_ids(db)
    if not ids:
        report(0, 0, "sources")
        summary.seconds = time.perf_counter() - started
        return summary
    stamp = time.time() if now is None else now
    report(0, len(ids), "sources")
    for lo in range(0, len(ids), batch_sources):
        chunk = ids[lo:lo + batch_sources]
        result = compute_range(db, chunk[0], chunk[-1], exclude_failed_qa=exclude_failed_qa,
                               now=stamp, include_flagged=include_flagged)
        write_range(db, result)
        summary.sources += len(result.our_rows)
        summary.rows += result.rows
        summary.epochs += result.epochs
        summary.excluded += result.excluded
        summary.flagged += result.flagged
        report(min(lo + batch_sources, len(ids)), len(ids), "sources")
    summary.seconds = time.perf_counter() - started
    return summary

"""Fill an empty database with a realistic year (or any scale) of pipeline rows.

Rows only, no FITS files: ms_index and images on the real cadence (one every ~4.3
minutes, drift scan), photometry of NVSS-like sources near their transits, the
variability statistics computed from that photometry, image QA, jobs, calibration table
sets and their QA, and ESE candidates. Used by ``dsa110-dash scale-db`` and the query
benchmark. One year is ~120,000 images, ~20,000 sources and ~20 million photometry rows,
so everything streams in batches of images: memory stays bounded by ``batch_size``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sqlalchemy as sa

from ..db import migrate
from ..db.engine import Database
from ..errors import ConflictError, InvalidInputError, ReadOnlyError
from ..repositories.image_summary import ImageSummaryRepository
from ..science.qa import FLAGGED_GRADES, grade_dynamic_range_array
from ..science.times import iso_seconds, mjd_to_unix
from .model import (
    DEFAULT_START_MJD,
    MS_DURATION_DAYS,
    MS_STAGE_P,
    MS_STAGES,
    Catalogue,
    Schedule,
    VariabilityAccumulator,
    make_catalogue,
    make_schedule,
    photometry_for,
)
from .writers import BulkWriter, secondary_indexes

__all__ = ["FillSummary", "ProgressFn", "fill_database", "ONE_YEAR", "SMALL"]

ProgressFn = Callable[[int, int, str], None]

#: (images, sources, epochs) presets.
ONE_YEAR = (120_000, 20_000, 1_000)
SMALL = (2_000, 500, 50)

#: Tables that must be empty before a fill (anything the generator writes).
FILLED_TABLES = ("ms_index", "images", "photometry", "variability_stats", "image_qa",
                 "jobs", "caltables", "calibration_qa", "ese_candidates", "sources")

CAL_TABLES = (("K", 10), ("BP", 30), ("GP", 50))


@dataclass
class FillSummary:
    """What a fill wrote: rows per table, and how long it took."""

    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


def _check_target(db: Database) -> None:
    if db.read_only:
        raise ReadOnlyError(f"{db.target.display()} is open read-only")
    db.create_missing_file()
    catalog = db.refresh_catalog()
    if not catalog.all_tables:
        # A brand-new file or database: give it the full schema first, so the CLI
        # (scale-db --out NEW) needs nothing else.
        migrate.upgrade(db)
        catalog = db.refresh_catalog()
    missing = [t for t in FILLED_TABLES if not catalog.has_table(t)]
    if missing:
        raise ConflictError(f"{db.target.display()} lacks tables {', '.join(missing)}: "
                            "run the migrations (dsa110-dash db upgrade) first")
    with db.connect() as conn:
        for name in FILLED_TABLES:
            table = catalog[name].table
            if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first():
                raise ConflictError(f"{db.target.display()} is not empty (table {name} "
                                    "has rows); scale data go into a new database only")


def _validate(images: int, sources: int, epochs: int, batch_size: int) -> None:
    for name, value, low in (("images", images, 1), ("sources", sources, 0),
                             ("epochs", epochs, 0), ("batch_size", batch_size, 1)):
        if not isinstance(value, int) or value < low:
            raise InvalidInputError(f"{name} must be a whole number >= {low}",
                                    parameter=name)


def fill_database(db: Database, *, images: int, sources: int, epochs: int, seed: int = 0,
                  batch_size: int = 50_000, progress: ProgressFn | None = None,
                  start_mjd: float = DEFAULT_START_MJD,
                  with_sources_table: bool = False) -> FillSummary:
    """Fill the EMPTY database ``db``; returns the rows written per table.

    A database without any table (a new file, a new PostgreSQL database) is migrated
    to head first; one with the schema must have no rows in the generated tables.

    ``epochs`` is how many images measure each source (capped by the images of its
    declination strip). ``batch_size`` bounds the photometry rows built and written at
    a time. ``progress(done, total, what)`` is called after each batch.
    ``with_sources_table`` also fills the (newer, often empty) ``sources`` table; by
    default it stays empty as in most production databases.

    Raises ConflictError if the database has rows or only part of the schema,
    ReadOnlyError if it is open read-only.
    """
    _validate(images, sources, epochs, batch_size)
    _check_target(db)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    report = progress or (lambda done, total, what: None)
    schedule = make_schedule(images, rng, start_mjd)
    cat = make_catalogue(sources, epochs, schedule, rng)
    summary = FillSummary()
    writer = BulkWriter(db)
    # Building the photometry indexes once at the end (a sort) is far faster than
    # updating four B-trees row by row with keys in random order.
    phot_indexes = secondary_indexes(db, "photometry")
    try:
        for ix in phot_indexes:
            writer.execute(f"DROP INDEX {ix['name']}")
        acc = VariabilityAccumulator(cat.n)
        _write_observations(writer, schedule, cat, acc, rng, batch_size, report, summary)
        _write_calibration(writer, schedule, rng, schedule.n + 1, summary)
        stats = _write_variability(writer, cat, acc, schedule, summary)
        _write_ese(writer, cat, stats, schedule, rng, summary)
        if with_sources_table:
            _write_sources(writer, cat, stats, schedule, summary)
    finally:
        for ix in phot_indexes:
            report(0, 0, f"building index {ix['name']}")
            cols = ", ".join(ix["column_names"])
            writer.execute(f"CREATE INDEX IF NOT EXISTS {ix['name']} ON photometry ({cols})")
        writer.close()
    db.refresh_catalog()
    summary_repo = ImageSummaryRepository(db)
    if summary_repo.available:
        # The QA-grade index, as `dsa110-dash image-summary` would build it (no files to
        # measure here: the rows' values are the pipeline's).
        report(0, 0, "image summary")
        summary_repo.refresh_grades()
    _finish(db, report)
    db.refresh_catalog()
    summary.seconds = time.perf_counter() - started
    return summary


# ------------------------------------------------------------------ observations
def _write_observations(writer: BulkWriter, sch: Schedule, cat: Catalogue,
                        acc: VariabilityAccumulator, rng: np.random.Generator,
                        batch_size: int, report: ProgressFn, summary: FillSummary) -> None:
    """ms_index, images, imaging jobs (ids 1..n), image_qa and photometry, a run of
    images at a time; the photometry also feeds ``acc``."""
    n = sch.n
    total_phot = int(cat.n_epochs.sum())
    per_image = max(total_phot / max(n, 1), 1.0)
    step = max(1, int(batch_size / per_image))
    done_phot = 0
    for lo in range(0, n, step):
        idx = np.arange(lo, min(n, lo + step))
        batch = photometry_for(idx, sch, cat, rng)
        n_sources = np.bincount(batch.image - lo, minlength=idx.size)
        summary.add("ms_index", writer.write("ms_index", _ms_columns(sch, idx, rng)))
        summary.add("images", writer.write("images", _image_columns(sch, idx)))
        summary.add("jobs", writer.write("jobs", _job_columns(sch, idx)))
        summary.add("image_qa", writer.write("image_qa",
                                             _image_qa_columns(sch, idx, n_sources)))
        summary.add("photometry", writer.write("photometry", batch.columns))
        acc.add(batch)
        done_phot += batch.source.size
        report(int(idx[-1]) + 1, n, "images")
        report(done_phot, total_phot, "photometry rows")


def _ms_columns(sch: Schedule, idx: np.ndarray, rng: np.random.Generator) -> dict:
    mid = sch.mid_mjd[idx]
    k = idx.size
    end_unix = mjd_to_unix(mid + MS_DURATION_DAYS / 2)
    early = idx < sch.n // 10
    # Older rows use the older status vocabulary; a few are flagged.
    status = np.where(early, "done", "completed").astype(object)
    status[rng.random(k) < 0.01] = "flagged"
    stage = MS_STAGES[rng.choice(len(MS_STAGES), size=k, p=MS_STAGE_P)]
    return {
        "path": sch.ms_path[idx],
        "start_mjd": mid - MS_DURATION_DAYS / 2, "end_mjd": mid + MS_DURATION_DAYS / 2,
        "mid_mjd": mid, "processed_at": sch.created_unix[idx] - 60.0,
        "status": status, "stage": stage, "stage_updated_at": sch.created_unix[idx] + 120,
        "cal_applied": np.ones(k, dtype=np.int64),
        "imagename": sch.image_path[idx], "field_name": np.full(k, "drift", dtype=object),
        "pointing_ra_deg": sch.center_ra[idx], "pointing_dec_deg": sch.center_dec[idx],
        "ra_deg": sch.center_ra[idx], "dec_deg": sch.center_dec[idx],
        "group_id": iso_seconds(mid - MS_DURATION_DAYS / 2, floor=True).astype(object),
        "created_at": end_unix + 30.0,
    }


def _image_columns(sch: Schedule, idx: np.ndarray) -> dict:
    k = idx.size
    null = sch.metadata_null[idx]

    def meta(values: np.ndarray) -> np.ndarray:
        return np.where(null, np.nan, values)

    return {
        "path": sch.image_path[idx], "ms_path": sch.ms_path[idx],
        "created_at": sch.created_unix[idx], "type": sch.image_type[idx],
        "format": sch.image_format[idx],
        "beam_major_arcsec": meta(np.full(k, 18.0) + (idx % 7) * 0.1),
        "beam_minor_arcsec": meta(np.full(k, 15.0) + (idx % 5) * 0.1),
        "beam_pa_deg": meta((idx * 7.0) % 180 - 90),
        "noise_jy": meta(sch.noise_jy[idx]), "dynamic_range": sch.dynamic_range[idx],
        "pbcor": (sch.image_type[idx] == "pbcor").astype(np.int64),
        "field_name": np.full(k, "drift", dtype=object),
        "center_ra_deg": meta(sch.center_ra[idx]), "center_dec_deg": meta(sch.center_dec[idx]),
        "imsize_x": np.full(k, 6300, dtype=np.int64), "imsize_y": np.full(k, 6300, dtype=np.int64),
        "cellsize_arcsec": np.full(k, 2.0), "freq_ghz": np.full(k, 1.405),
        "bandwidth_mhz": np.full(k, 187.5), "integration_sec": np.full(k, 309.12),
    }


def _job_columns(sch: Schedule, idx: np.ndarray) -> dict:
    k = idx.size
    created = sch.created_unix[idx]
    return {
        "id": idx + 1, "type": np.full(k, "imaging", dtype=object),
        "status": np.full(k, "completed", dtype=object), "ms_path": sch.ms_path[idx],
        "params": np.full(k, '{"imsize": 6300, "cell_arcsec": 2.0}', dtype=object),
        "created_at": created - 400.0, "started_at": created - 380.0,
        "finished_at": created,
    }


def _grade(dr: np.ndarray) -> np.ndarray:
    """The pipeline's image QA grade from dynamic range (science.md)."""
    return grade_dynamic_range_array(dr)


def _image_qa_columns(sch: Schedule, idx: np.ndarray, n_sources: np.ndarray) -> dict:
    dr = sch.dynamic_range[idx]
    return {
        "ms_path": sch.ms_path[idx], "job_id": idx + 1, "image_path": sch.image_path[idx],
        "rms_noise": sch.noise_jy[idx], "peak_flux": dr * sch.noise_jy[idx],
        "dynamic_range": dr, "beam_major": np.full(idx.size, 18.0),
        "beam_minor": np.full(idx.size, 15.0), "beam_pa": np.zeros(idx.size),
        "num_sources": n_sources.astype(np.int64), "overall_quality": _grade(dr),
        "timestamp": sch.created_unix[idx] + 30.0,
    }


# ------------------------------------------------------------------- calibration
def _write_calibration(writer: BulkWriter, sch: Schedule, rng: np.random.Generator,
                       first_job: int, summary: FillSummary) -> None:
    """One calibration set a week (K, BP, GP), its QA and its job; a few reruns."""
    t0, t1 = sch.mid_mjd[0], sch.mid_mjd[-1] + MS_DURATION_DAYS
    starts = np.arange(t0, t1, 7.0)
    n_sets = starts.size
    src_ms = sch.ms_path[np.searchsorted(sch.mid_mjd, starts).clip(0, sch.n - 1)]
    names = [f"{iso[:10]}_0834+555" for iso in iso_seconds(starts, floor=True)]
    set_status = np.where(rng.random(n_sets) < 0.05, "failed", "active")
    cal = {k: [] for k in ("set_name", "path", "table_type", "order_index", "cal_field",
                           "refant", "created_at", "valid_start_mjd", "valid_end_mjd",
                           "status", "source_ms_path", "solver_version", "quality_metrics")}
    for s in range(n_sets):
        for table_type, order in CAL_TABLES:
            cal["set_name"].append(names[s])
            cal["path"].append(f"/data/dsa110-contimg/caltables/{names[s]}/"
                               f"{names[s]}.{table_type.lower()}cal")
            cal["table_type"].append(table_type)
            cal["order_index"].append(order)
            cal["cal_field"].append("0834+555")
            cal["refant"].append("103")
            cal["created_at"].append(float(mjd_to_unix(starts[s])) + 1800.0)
            cal["valid_start_mjd"].append(float(starts[s]))
            cal["valid_end_mjd"].append(float(starts[s]) + 7.0)
            cal["status"].append(str(set_status[s]))
            cal["source_ms_path"].append(src_ms[s])
            cal["solver_version"].append("casa-6.6")
            cal["quality_metrics"].append(json.dumps(
                {"snr_mean": round(float(rng.uniform(20, 80)), 2),
                 "flagged_fraction": round(float(rng.uniform(0.02, 0.3)), 3),
                 "n_antennas": 96}))
    summary.add("caltables", writer.write("caltables", cal))

    job_ids = np.arange(first_job, first_job + n_sets)
    flag = rng.uniform(0.02, 0.45, n_sets)
    qa = {
        "ms_path": src_ms, "job_id": job_ids,
        "k_metrics": [json.dumps({"flag_fraction": round(float(f), 3)}) for f in flag],
        "bp_metrics": [json.dumps({"flag_fraction": round(float(f) * 1.1, 3),
                                   "avg_snr": 40.0}) for f in flag],
        "g_metrics": [json.dumps({"flag_fraction": round(float(f) * 0.9, 3),
                                  "amp_mean": 1.0, "amp_std": 0.05}) for f in flag],
        "overall_quality": np.select([flag < bound for bound, _ in FLAGGED_GRADES],
                                     [grade for _, grade in FLAGGED_GRADES],
                                     "poor").astype(object),
        "flags_total": flag,
        "timestamp": mjd_to_unix(starts) + 2400.0,
    }
    summary.add("calibration_qa", writer.write("calibration_qa", qa))

    # Calibration jobs, then operator reruns at the end with every status.
    n_rerun = max(4, sch.n // 1000)
    rerun_img = rng.integers(0, sch.n, n_rerun)
    rerun_status = np.array(["completed", "failed", "running", "pending"], dtype=object)[
        np.arange(n_rerun) % 4]
    last = float(sch.created_unix[-1])
    created = np.concatenate([mjd_to_unix(starts) + 600.0,
                              last + np.arange(n_rerun) * 60.0])
    status = np.concatenate([np.where(set_status == "failed", "failed", "completed"),
                             rerun_status]).astype(object)
    running = status == "running"
    pending = status == "pending"
    jobs = {
        "id": np.arange(first_job, first_job + n_sets + n_rerun),
        "type": np.array(["calibration"] * n_sets + ["pipeline_rerun"] * n_rerun, dtype=object),
        "status": status,
        "ms_path": np.concatenate([src_ms, sch.ms_path[rerun_img]]),
        "params": np.array([None] * (n_sets + n_rerun), dtype=object),
        "created_at": created,
        "started_at": np.where(pending, np.nan, created + 20.0),
        "finished_at": np.where(running | pending, np.nan, created + 900.0),
    }
    summary.add("jobs", writer.write("jobs", jobs))


# ------------------------------------------------------------------- variability
def _write_variability(writer: BulkWriter, cat: Catalogue, acc: VariabilityAccumulator,
                       sch: Schedule, summary: FillSummary) -> dict[str, np.ndarray]:
    stats = acc.statistics()
    columns = {"source_id": cat.name, "ra_deg": cat.ra, "dec_deg": cat.dec,
               "nvss_flux_mjy": cat.nvss_mjy, **stats,
               "updated_at": np.full(cat.n, float(sch.created_unix[-1]) + 3600.0)}
    summary.add("variability_stats", writer.write("variability_stats", columns))
    return stats


def _write_ese(writer: BulkWriter, cat: Catalogue, stats: dict[str, np.ndarray],
               sch: Schedule, rng: np.random.Generator, summary: FillSummary) -> None:
    """Sources at sigma deviation >= 5 (the pipeline's trigger), some already triaged."""
    with np.errstate(invalid="ignore"):
        flagged = np.flatnonzero(stats["sigma_deviation"] >= 5)
    k = flagged.size
    status = np.array(["active", "active", "investigated", "dismissed"], dtype=object)[
        rng.integers(0, 4, k)]
    when = stats["last_measured_at"][flagged] + 600.0
    columns = {"source_id": cat.name[flagged], "flagged_at": when,
               "flagged_by": np.full(k, "auto", dtype=object),
               "significance": stats["sigma_deviation"][flagged],
               "flag_type": np.full(k, "variability", dtype=object), "status": status,
               "investigated_at": np.where(status == "investigated", when + 86400, np.nan),
               "dismissed_at": np.where(status == "dismissed", when + 86400, np.nan)}
    summary.add("ese_candidates", writer.write("ese_candidates", columns))


def _write_sources(writer: BulkWriter, cat: Catalogue, stats: dict[str, np.ndarray],
                   sch: Schedule, summary: FillSummary) -> None:
    columns = {"id": cat.name, "name": cat.name, "ra_deg": cat.ra, "dec_deg": cat.dec,
               "catalog_match": np.full(cat.n, "NVSS", dtype=object),
               "source_type": np.full(cat.n, "point", dtype=object),
               "first_detected_mjd": np.full(cat.n, np.nan),  # the pipeline rarely sets it
               "last_detected_mjd": stats["last_mjd"], "detection_count": stats["n_obs"]}
    summary.add("sources", writer.write("sources", columns))


# ------------------------------------------------------------------------ finish
def _finish(db: Database, report: ProgressFn) -> None:
    """Sequences past explicit ids (PostgreSQL), then planner statistics."""
    report(0, 0, "analyze")
    writer = BulkWriter(db)
    try:
        if db.dialect == "postgresql":
            writer.execute("SELECT setval(pg_get_serial_sequence('jobs', 'id'), "
                           "coalesce((SELECT max(id) FROM jobs), 1))")
            # VACUUM sets the visibility map, so counts can use index-only scans.
            writer.execute("VACUUM ANALYZE")
        else:
            # Sampled ANALYZE: exact statistics over 20 M rows take minutes for no gain.
            writer.execute("PRAGMA analysis_limit = 2000")
            writer.execute("ANALYZE")
    finally:
        writer.close()

"""``build_demo``: write the complete demo dataset into a new directory.

Order: plan (schedule, catalogue, mishaps) -> images (render, write, measure; in worker
processes) -> measurements (QA grades, normalisation, statistics) -> a new database
created by the migrations and filled -> job logs -> ``demo_truth.json``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import shutil
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..db import migrate
from ..db.engine import Database
from ..db.target import parse_database
from ..errors import ConflictError, InvalidInputError
from ..jobs.variability import recompute_variability
from ..scale.model import angular_sep_deg
from ..scale.writers import BulkWriter
from ..science.times import iso_seconds, mjd_to_unix, unix_to_mjd
from ..settings import Settings
from . import images as im
from . import observing as obs
from .logs import LogBook
from .measure import Measured, assemble
from .plan import Plan, make_plan
from .records import build_tables
from .render import ImageJob, ImageResult, init_worker, process

ProgressFn = Callable[[int, int, str], None]

DB_NAME = "pipeline.sqlite3"
TRUTH_NAME = "demo_truth.json"
#: What build_demo writes into the directory (and what --force replaces).
PRODUCTS = (DB_NAME, DB_NAME + "-wal", DB_NAME + "-shm", "images", "logs", TRUTH_NAME)
#: What the server itself keeps in its data dir; never the demo's to refuse or remove.
SERVER_FILES = ("dashboard-auth.sqlite3", "dashboard-auth.sqlite3-wal",
                "dashboard-auth.sqlite3-shm", "cache")
MIN_SIZE = 128
EPOCHS_WANTED = 30


@dataclass
class DemoSummary:
    out_dir: Path
    observations: int          # ms_index rows
    images: int                # image files (5-minute images and pbcor products)
    sources: int               # sources with photometry
    sources_with_30_epochs: int
    photometry_rows: int
    rows: dict[str, int] = field(default_factory=dict)
    bytes_on_disk: int = 0
    seconds: float = 0.0

    def lines(self) -> list[str]:
        return [
            f"demo dataset in {self.out_dir}",
            f"  observations (MS)      {self.observations}",
            f"  images                 {self.images}",
            f"  sources                {self.sources}",
            f"  sources >= {EPOCHS_WANTED} epochs    {self.sources_with_30_epochs}",
            f"  photometry rows        {self.photometry_rows}",
            "  rows: " + ", ".join(f"{k}={v}" for k, v in sorted(self.rows.items())),
            f"  size on disk           {self.bytes_on_disk / 1e6:.1f} MB",
            f"  elapsed                {self.seconds:.1f} s",
        ]


def _prepare(out: Path, force: bool) -> None:
    if out.exists() and not out.is_dir():
        raise ConflictError(f"{out} exists and is not a directory")
    # The server keeps its sign-in store and cache in the default data dir: a folder
    # holding only those (after `make test` or a first `serve`) is not a conflict.
    if out.is_dir() and any(p.name not in SERVER_FILES for p in out.iterdir()):
        if not force:
            raise ConflictError(f"{out} is not empty; use --force to replace the demo "
                                "dataset in it")
        # Only our own products go: anything else the user keeps there stays.
        for name in PRODUCTS:
            path = out / name
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()
    out.mkdir(parents=True, exist_ok=True)


def _validate(days: int, size: int, per_day: int) -> None:
    if days < 1:
        raise InvalidInputError("--days must be at least 1", parameter="days")
    if size < MIN_SIZE:
        raise InvalidInputError(f"--size must be at least {MIN_SIZE}", parameter="size")
    if per_day < 8:
        raise InvalidInputError("--images-per-day must be at least 8",
                                parameter="images_per_day")


def build_demo(out_dir: str | os.PathLike[str], *, days: int = 7, size: int = 1024,
               seed: int = 0, full_size: bool = False,
               images_per_day: int = obs.DEFAULT_IMAGES_PER_DAY, force: bool = False,
               workers: int | None = None, progress: ProgressFn | None = None,
               end: float | None = None) -> DemoSummary:
    """Write the demo dataset into ``out_dir`` (new or empty, or any with ``force``).

    The observations end at ``end`` (unix seconds; default: now), the newest image a
    few minutes before it. ``full_size`` writes the pipeline's 6300 x 6300 images
    (160 MB each) instead of ``size``. ``workers`` processes render the images (default:
    up to 2). The same arguments, ``end`` included, give byte-identical rows and pixels,
    whatever ``workers`` is.
    """
    started = time.perf_counter()
    end = time.time() if end is None else float(end)
    report = progress or (lambda done, total, what: None)
    size = im.FULL_SIZE if full_size else int(size)
    _validate(days, size, images_per_day)
    out = Path(out_dir).expanduser().resolve()
    _prepare(out, force)

    report(0, 0, "planning")
    plan = make_plan(out, days=days, per_day=images_per_day, size=size, seed=seed,
                     end_mjd=unix_to_mjd(end))
    results = _render_all(plan, workers, report)
    report(0, 0, "measuring")
    measured = assemble(plan, results)
    book = LogBook.empty()
    tables = build_tables(plan, measured, book)

    report(0, 0, "writing database")
    rows = _write_database(out / DB_NAME, tables, now=float(plan.image_created.max()))
    report(0, 0, "writing logs")
    book.write(out / "logs")
    _write_truth(out / TRUTH_NAME, plan, measured, tables)

    n_obs = measured.var["n_obs"][measured.measured]
    return DemoSummary(
        out_dir=out, observations=rows["ms_index"], images=rows["images"],
        sources=int(measured.measured.size),
        sources_with_30_epochs=int((n_obs >= EPOCHS_WANTED).sum()),
        photometry_rows=rows["photometry"], rows=rows, bytes_on_disk=_du(out),
        seconds=time.perf_counter() - started)


# ------------------------------------------------------------------------ images
def _jobs(plan: Plan) -> list[ImageJob]:
    cat, sched, geom = plan.cat, plan.sched, plan.geom
    jobs = []
    for i in range(plan.n):
        ra0, dec0 = float(sched.center_ra[i]), float(sched.center_dec[i])
        sep = angular_sep_deg(ra0, dec0, cat.ra, cat.dec)
        cand = np.flatnonzero(sep < 1.9)
        flux_jy = cat.flux_mjy(float(sched.mid_mjd[i]))[cand] / 1e3
        peak = flux_jy * plan.image_gain[i] * im.primary_beam(sep[cand])
        start = float(sched.start_mjd[i])
        header = im.header_for(
            geom, ra0, dec0, date_obs=_isot_ms(start), mjd_obs=start,
            date_written=str(iso_seconds(unix_to_mjd(plan.image_created[i]))[0]),
            name=f"{im.FIELD_DEG:.1f}deg drift {sched.stamp[i]}")
        jobs.append(ImageJob(
            index=i, path=plan.image_path(i), header=header, size=geom.size,
            seed=(plan.seed, 1, i), noise_jy=float(plan.image_noise[i]), center_ra=ra0,
            center_dec=dec0, candidates=cand, peak_jyb=peak, defect=plan.defect.get(i),
            pbcor_path=plan.image_path(i, "pbcor") if i in plan.pbcor else None))
    return jobs


def _isot_ms(mjd: float) -> str:
    unix_ms = int(round(float(mjd_to_unix(mjd)) * 1000))
    return np.datetime_as_string(np.datetime64(unix_ms, "ms"), unit="ms")


def _render_all(plan: Plan, workers: int | None, report: ProgressFn) -> list[ImageResult]:
    jobs = _jobs(plan)
    workers = workers or min(2, os.cpu_count() or 1)
    results: list[ImageResult] = []
    if workers == 1:
        init_worker(plan.cat.ra, plan.cat.dec, plan.cat.nvss_mjy)
        for job in jobs:
            results.append(process(job))
            report(len(results), len(jobs), "images")
        return results
    # spawn, not fork: a forked child inherits locks other threads held at the fork
    # (logging, coverage's data file) and can hang at exit; the other pools spawn too.
    with ProcessPoolExecutor(max_workers=workers, initializer=init_worker,
                             initargs=(plan.cat.ra, plan.cat.dec, plan.cat.nvss_mjy),
                             mp_context=multiprocessing.get_context("spawn")) as pool:
        for result in pool.map(process, jobs, chunksize=4):
            results.append(result)
            report(len(results), len(jobs), "images")
    return results


# ---------------------------------------------------------------------- database
def _write_database(path: Path, tables, now: float) -> dict[str, int]:
    settings = replace(Settings.load(environ={}), read_only=False)
    db = Database(settings, parse_database(str(path), "demo --out", read_only=False))
    try:
        migrate.upgrade(db)
        writer = BulkWriter(db)
        rows: dict[str, int] = {}
        try:
            order = ("ms_index", "hdf5_files", "images", "image_qa", "jobs", "caltables",
                     "calibration_applied", "calibration_qa", "calibrator_transits",
                     "batch_jobs", "batch_job_items", "variability_stats", "ese_candidates",
                     "dash_image_qa_catalogue")
            for name in order:
                rows[name] = writer.write(name, tables.columns(name))
            rows["photometry"] = writer.write("photometry", tables.photometry)
        finally:
            writer.close()
        # V and the two-epoch statistics (our own table) as `dsa110-dash variability
        # --exclude-failed-qa` computes them; `now` from the schedule keeps runs identical.
        rows["dash_variability"] = recompute_variability(db, exclude_failed_qa=True,
                                                         now=now).sources
        writer = BulkWriter(db)
        try:
            writer.execute("ANALYZE")
            # One self-contained file: fold the WAL back in.
            writer.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            writer.close()
    finally:
        db.dispose()
    return rows


# ------------------------------------------------------------------------- truth
def _write_truth(path: Path, plan: Plan, m: Measured, tables) -> None:
    sched = plan.sched
    truth = {
        "about": "What the demo generator injected on purpose. The database holds only "
                 "what was measured from the pixels; this file is for tests and docs.",
        "seed": plan.seed, "days": sched.days, "images_per_day": sched.per_day,
        "image_size_px": plan.geom.size, "cell_arcsec": plan.geom.cell_arcsec,
        "end_unix": float(mjd_to_unix(sched.end)),
        "first_mid_mjd": float(sched.mid_mjd[0]), "last_mid_mjd": float(sched.mid_mjd[-1]),
        "window_lst_deg": [float(sched.center_ra[0]), float(sched.center_ra[sched.per_day - 1])],
        "conventions": {
            "flux_jy": "forced-photometry peak (beam fit at the catalogue position) divided "
                       "by the Gaussian primary beam (FWHM 2.7 deg): primary-beam corrected",
            "peak_jyb": "fitted peak as the image shows it (not primary-beam corrected)",
            "normalized_flux_jy": "flux_jy / per-image median ratio of reference sources",
            "variability_stats": "from normalized_flux_jy (else flux_jy) of rows whose "
                                 "image passed QA; std with ddof=1",
            "quality_flag": "'image_qa_poor' (flags bit 2) rows are excluded from the "
                            "statistics; 'low_snr' (flags bit 1) below SNR 5 are kept",
            "image_qa": "dynamic-range grade of science.md; poor also when blank, rms > 5x "
                        "the expected 300 uJy/beam, or stripes",
        },
        "injected_sources": plan.cat.truth(),
        "reference_sources": [str(plan.cat.name[k]) for k in m.norm.references],
        "bad_images": {kind: plan.image_path(i) for i, kind in plan.defect.items()},
        "bad_image_grades": {plan.image_path(i): str(m.grade[i]) for i in plan.defect},
        "null_metadata_images": [plan.image_path(i) for i in plan.null_metadata],
        "pbcor_images": [plan.image_path(i, "pbcor") for i in plan.pbcor],
        "calibrator_slot": plan.cal_slot,
        "calibrator_observations": [{"day": c.day, "ms_path": plan.ms_path(c.stamp),
                                     "mid_mjd": c.mid_mjd, "in_window": c.image is not None}
                                    for c in plan.cal_obs],
        **tables.truth,
    }
    path.write_text(json.dumps(truth, indent=2) + "\n")


def _du(path: Path) -> int:
    total = 0
    for root, _, files in os.walk(path):
        for name in files:
            total += os.stat(os.path.join(root, name)).st_blocks * 512
    return total

"""The live demo's pipeline command: image one measurement set from the synthetic sky.

``python -m dsa110_dashboard.demo.live_command --ms PATH --run-id ID --ra RA --dec DEC``

Run by a worker through the same command template as a real rerun
(``PIPELINE_CMD_TEMPLATE``), it does what the pipeline does for one observation: draw the
image (the sky as the demo database has measured it: each source at its catalogue
position with its mean flux, a few percent of scintillation, noise, the primary beam),
write the FITS file, measure forced photometry and image QA from the pixels, and record
the image, photometry and QA rows, replacing a previous run's products of that MS. With
``--fail-rate`` some runs fail the way the pipeline's imaging step fails. It finds the
database through the same settings as every command (the worker's environment).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

from ..db.engine import Database
from ..files import DataRoots
from ..jobs.image_summary import summary_row
from ..repositories.image_summary import ImageSummaryRepository
from ..scale.model import angular_sep_deg
from ..science.times import iso_seconds, unix_to_mjd
from ..settings import Settings
from . import images as im
from . import observing as obs
from .logs import TRACEBACKS
from .photometry import forced_photometry

DEFAULT_SIZE = 1024
NOISE_JY = 3e-4


def _say(text: str) -> None:
    print(f"{time.strftime('%H:%M:%S', time.gmtime())} INFO dsa110_contimg.imaging: {text}",
          flush=True)


def _sky(db: Database) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(source ids, ra, dec, mean flux in Jy) of every source with statistics."""
    v = db.catalog["variability_stats"]
    with db.connect() as conn:
        rows = conn.execute(sa.select(v["source_id"], v["ra_deg"], v["dec_deg"],
                                      v["mean_flux_mjy"]).select_from(v.table)
                            .where(v["mean_flux_mjy"] > 0)).all()
    ids, ra, dec, flux = zip(*rows) if rows else ((), (), (), ())
    return (np.array(ids, dtype=object), np.array(ra, float), np.array(dec, float),
            np.array(flux, float) / 1e3)


def _image_size(db: Database) -> int:
    t = db.catalog["images"]
    with db.connect() as conn:
        size = conn.execute(sa.select(t["imsize_x"]).select_from(t.table)
                            .where(t["imsize_x"].is_not(None))
                            .order_by(t["created_at"].desc()).limit(1)).scalar()
    return int(size or DEFAULT_SIZE)


def image_path_for(ms_path: str, settings: Settings, db: Database) -> Path:
    """``DIR/images/<day>/<stamp>-image.fits`` beside the demo's ``DIR/ms/<stamp>.ms``,
    as the generator names them; refused outside the data roots."""
    ms = Path(ms_path)
    path = ms.parent.parent / "images" / ms.stem[:10] / f"{ms.stem}-image.fits"
    return DataRoots.for_server(settings, db.target).confine(path, must_exist=False)


def run(ms_path: str, run_id: str, ra: float, dec: float, fail_rate: float,
        settings: Settings) -> int:
    seed = int.from_bytes(hashlib.sha256(run_id.encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    _say(f"imaging {ms_path} ({run_id}) at RA {ra:.3f} Dec {dec:.3f}")
    if rng.uniform() < fail_rate:
        _say("wsclean -size ... (gridding 24 fields)")
        time.sleep(1.0)
        print(TRACEBACKS["imaging"], file=sys.stderr, flush=True)
        return 137
    db = Database(settings)
    try:
        ms = db.catalog["ms_index"]
        with db.connect() as conn:
            mid = conn.execute(sa.select(ms["mid_mjd"]).select_from(ms.table)
                               .where(ms["path"] == ms_path)).scalar()
        mid = float(mid) if mid is not None else unix_to_mjd(time.time())
        geom = im.Geometry(_image_size(db))
        ids, sra, sdec, flux = _sky(db)
        sep = angular_sep_deg(ra, dec, sra, sdec)
        near = np.flatnonzero(sep < 1.9)
        scint = rng.normal(1.0, 0.05, near.size)
        peak = flux[near] * np.clip(scint, 0.5, None) * im.primary_beam(sep[near])
        start = mid - obs.MS_DURATION_DAYS / 2
        now = time.time()
        header = im.header_for(
            geom, ra, dec, date_obs=str(iso_seconds(start)[0]), mjd_obs=start,
            date_written=time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)),
            name=f"{im.FIELD_DEG:.1f}deg drift {Path(ms_path).stem}")
        wcs = im.celestial_wcs(header)
        x, y = wcs.world_to_pixel_values(sra[near], sdec[near])
        _say(f"wsclean -size {geom.size} {geom.size} -scale {geom.cell_arcsec:.3f}asec "
             f"({near.size} catalogue sources in the field)")
        image = im.render(geom, np.asarray(x), np.asarray(y), peak, NOISE_JY, rng)
        path = image_path_for(ms_path, settings, db)
        path.parent.mkdir(parents=True, exist_ok=True)
        im.write_fits(path, image, header)
        stats = im.measure(image)
        grade = im.grade(stats)
        _say(f"wrote {path}: rms {(stats.rms_jy or 0) * 1e6:.0f} uJy/beam, "
             f"dynamic range {stats.dynamic_range or 0:.0f}, QA {grade}")
        forced = forced_photometry(image, wcs, geom, sra, sdec, ra, dec, candidates=near)
        _record(db, job_of_run_id(run_id), ms_path, str(path), geom, ra, dec, mid, stats,
                grade, forced, ids, sra, sdec, now)
        _say(f"forced photometry: {forced.source.size} sources")
    finally:
        db.dispose()
    return 0


def job_of_run_id(run_id: str) -> int:
    """The queue's job id in its run id (``...-j<id>``); 0 (no job) for another run id."""
    match = re.search(r"-j(\d+)$", run_id)
    return int(match.group(1)) if match else 0


def _record(db: Database, job_id: int, ms_path: str, path: str, geom: im.Geometry,
            ra: float, dec: float, mid: float, stats: im.ImageStats, grade: str, forced, ids,
            sra, sdec, now: float) -> None:
    c = db.catalog
    images, phot, qa, ms = (c["images"].table, c["photometry"].table, c["image_qa"].table,
                            c["ms_index"].table)
    beam = geom.beam_deg
    image_row = {"path": path, "ms_path": ms_path, "created_at": now, "type": "5min",
                 "format": "fits", "beam_major_arcsec": beam[0] * 3600,
                 "beam_minor_arcsec": beam[1] * 3600, "beam_pa_deg": beam[2],
                 "noise_jy": stats.rms_jy, "dynamic_range": stats.dynamic_range,
                 "pbcor": 0, "field_name": "drift_dec+54.57", "center_ra_deg": ra,
                 "center_dec_deg": dec, "imsize_x": geom.size, "imsize_y": geom.size,
                 "cellsize_arcsec": geom.cell_arcsec, "freq_ghz": 1.405,
                 "bandwidth_mhz": im.BANDWIDTH_MHZ, "integration_sec": obs.MS_DURATION_S}
    snr = forced.peak_jyb / forced.local_rms
    with db.transaction() as conn:
        # A rerun replaces the MS's products: same file, fresh rows.
        conn.execute(sa.delete(phot).where(phot.c.image_path == path))
        conn.execute(sa.delete(images).where(images.c.path == path))
        image_id = conn.execute(sa.insert(images).values(**image_row)).inserted_primary_key[0]
        rows = [{"source_id": ids[k], "image_path": path, "ra_deg": float(sra[k]),
                 "dec_deg": float(sdec[k]), "peak_jyb": float(p), "peak_err_jyb": float(e),
                 "measured_at": now, "snr": float(s), "mjd": mid, "flux_jy": float(f),
                 "flux_err_jy": float(fe), "sep_from_center_deg": float(d),
                 "local_rms": float(e), "rms_jy": stats.rms_jy, "peak_flux_jy": float(f),
                 "quality_flag": "low_snr" if s < 5 else None, "flags": int(s < 5)}
                for k, p, e, s, f, fe, d in zip(forced.source, forced.peak_jyb,
                                                forced.local_rms, snr, forced.flux_jy,
                                                forced.flux_err_jy, forced.sep_deg)]
        if rows:
            conn.execute(sa.insert(phot), rows)
        conn.execute(sa.insert(qa).values(
            ms_path=ms_path, job_id=job_id, image_path=path, rms_noise=stats.rms_jy,
            peak_flux=stats.peak_jy, dynamic_range=stats.dynamic_range,
            beam_major=beam[0] * 3600, beam_minor=beam[1] * 3600, beam_pa=beam[2],
            num_sources=int((snr >= 5).sum()), overall_quality=grade, timestamp=now))
        if job_id:  # the job page links the image it made
            jobs = c["jobs"].table
            conn.execute(sa.update(jobs).where(jobs.c.id == job_id).values(
                artifacts=json.dumps({"image": path})))
        # Our summary row (decision 0033), as `dsa110-dash image-summary` would make it.
        ImageSummaryRepository(db).write([summary_row(
            image_id, {"ra_deg": ra, "dec_deg": dec, "noise_jy": stats.rms_jy,
                       "dynamic_range": stats.dynamic_range, "qa_grade": grade},
            "demo")], conn)
        conn.execute(sa.update(ms).where(ms.c.path == ms_path).values(
            status="completed", stage="photometry_complete", processed_at=now,
            stage_updated_at=now, imagename=path[:-len("-image.fits")]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="dsa110_dashboard.demo.live_command",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--ms", required=True)
    parser.add_argument("--run-id", required=True)
    parser.add_argument("--ra", type=float, required=True)
    parser.add_argument("--dec", type=float, required=True)
    parser.add_argument("--fail-rate", type=float, default=0.0)
    args = parser.parse_args(argv)
    return run(args.ms, args.run_id, args.ra, args.dec, args.fail_rate, Settings.load())


if __name__ == "__main__":
    sys.exit(main())

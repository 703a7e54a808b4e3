"""Rows of every table the dashboard shows, from the plan and what was measured.

Small tables are built as row dicts; photometry column-wise. Each builder also logs
into the ``LogBook`` what its jobs would have logged, so ``jobs.logs`` and the
``{run_id}.log`` files agree with the rows.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from ..science.times import iso_seconds, mjd_to_unix
from . import images as im
from . import observing as obs
from .logs import TRACEBACKS, LogBook
from .measure import Measured
from .plan import Plan, cal_created_unix
from .sky import CALIBRATOR

SPW_COUNT = 16
CHANNELS_PER_SPW = 48
N_ANTENNAS = 96
REFANT = "103"
CAL_TABLES = (("K", 10, "kcal"), ("BP", 30, "bpcal"), ("GA", 40, "gacal"), ("GP", 50, "gpcal"))
SOLVER_VERSION = "casa-6.6.4"
FIELD_NAME = "drift_dec+54.57"

Row = dict


def _isot(mjd: float) -> str:
    return str(iso_seconds(mjd)[0])


def _none(x):
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


@dataclass
class Tables:
    rows: dict[str, list[Row]] = field(default_factory=lambda: defaultdict(list))
    photometry: dict[str, np.ndarray] = field(default_factory=dict)
    truth: dict = field(default_factory=dict)
    _next_job: int = 1

    def add(self, table: str, **row) -> None:
        self.rows[table].append(row)

    def job(self, **row) -> int:
        job_id = self._next_job
        self._next_job += 1
        self.rows["jobs"].append({"id": job_id, **row})
        return job_id

    def columns(self, table: str) -> dict[str, list]:
        rows = self.rows[table]
        names = list(dict.fromkeys(k for r in rows for k in r))
        return {k: [r.get(k) for r in rows] for k in names}


def build_tables(plan: Plan, m: Measured, book: LogBook) -> Tables:
    t = Tables()
    sched = plan.sched
    cal_ready = cal_created_unix(plan.cal_obs)
    # Job ids 1..n are the imaging jobs of images 0..n-1 (image order = time order).
    for i in range(plan.n):
        _observation(t, plan, m, book, i)
    for extra in plan.extras:
        _extra(t, plan, book, extra)
    _calibration(t, plan, m, book, cal_ready)
    _photometry(t, plan, m)
    _variability(t, plan, m)
    _batches(t, plan, m, book)
    for extra in plan.extras:
        _hdf5(t, plan, extra.stamp, extra.mid_mjd, extra.center_ra, extra.n_subbands)
    return t


# ----------------------------------------------------------------- observations
def _observation(t: Tables, plan: Plan, m: Measured, book: LogBook, i: int) -> None:
    sched = plan.sched
    stamp = str(sched.stamp[i])
    ms = plan.ms_path(stamp)
    run_id = obs.run_id_for_stamp(stamp)
    start, end, mid = (float(sched.start_mjd[i]), float(sched.end_mjd[i]),
                       float(sched.mid_mjd[i]))
    ra, dec = float(sched.center_ra[i]), float(sched.center_dec[i])
    ms_created = float(mjd_to_unix(end)) + 60.0
    img_created = float(plan.image_created[i])
    measured_at = img_created + 90.0
    stats, grade = m.stats[i], str(m.grade[i])
    blank = plan.defect.get(i) == "blank"
    status = "flagged" if blank else ("done" if sched.day[i] == 0 else "completed")
    stage = "imaged" if blank else "photometry_complete"
    t.add("ms_index", path=ms, start_mjd=start, end_mjd=end, mid_mjd=mid,
          processed_at=img_created, status=status, stage=stage,
          stage_updated_at=img_created if blank else measured_at, cal_applied=1,
          imagename=plan.image_path(i)[:-len("-image.fits")], field_name=FIELD_NAME,
          pointing_ra_deg=ra, pointing_dec_deg=dec, ra_deg=ra, dec_deg=dec,
          group_id=stamp, created_at=ms_created)
    _hdf5(t, plan, stamp, mid, ra, 16)

    job_created = ms_created + 10.0
    job_started = img_created - 240.0
    log = "dsa110_contimg.imaging"
    book.add(run_id, job_started, "INFO", log, f"imaging {ms} (job {i + 1})")
    book.add(run_id, job_started + 1, "INFO", log,
             f"wsclean -size {plan.geom.size} {plan.geom.size} -scale "
             f"{plan.geom.cell_arcsec:.3f}asec -weight briggs 0.5 -niter 10000 -auto-threshold 3")
    if stats.rms_jy is not None:
        book.add(run_id, img_created - 5, "INFO", log,
                 f"image rms {stats.rms_jy * 1e6:.0f} uJy/beam, peak {stats.peak_jy:.4f} Jy/beam, "
                 f"dynamic range {stats.dynamic_range:.0f}")
    else:
        book.add(run_id, img_created - 5, "WARNING", log,
                 "image has no signal: every pixel is 0 (all visibilities flagged)")
    if grade == "poor":
        book.add(run_id, img_created + 45, "WARNING", "dsa110_contimg.qa",
                 f"image QA: poor ({plan.defect.get(i, 'low dynamic range')})")
    book.add(run_id, img_created, "INFO", log, f"wrote {plan.image_path(i)}")
    if not blank:
        book.add(run_id, measured_at, "INFO", "dsa110_contimg.photometry",
                 f"forced photometry: {int((m.img == i).sum())} sources")
    artifacts = {"image": plan.image_path(i)}
    if i in plan.pbcor:
        artifacts["pbcor"] = plan.image_path(i, "pbcor")
    job_id = t.job(type="imaging", status="completed", ms_path=ms,
                   params=json.dumps({"imsize": plan.geom.size,
                                      "cell_arcsec": round(plan.geom.cell_arcsec, 4),
                                      "weighting": "briggs", "robust": 0.5, "niter": 10000}),
                   logs=book.job_text(run_id, job_started, measured_at),
                   artifacts=json.dumps(artifacts), created_at=job_created,
                   started_at=job_started, finished_at=img_created)
    assert job_id == i + 1

    null = i in plan.null_metadata
    geom = plan.geom
    beam = geom.beam_deg

    def meta(value):
        return None if null else value

    for kind in ("5min", "pbcor") if i in plan.pbcor else ("5min",):
        st = stats if kind == "5min" else m.pbcor_stats[i]
        path = plan.image_path(i, kind)
        created = img_created if kind == "5min" else img_created + 20.0
        t.add("images", path=path, ms_path=ms, created_at=created, type=kind, format="fits",
              beam_major_arcsec=meta(beam[0] * 3600), beam_minor_arcsec=meta(beam[1] * 3600),
              beam_pa_deg=meta(beam[2]), noise_jy=meta(_none(st.rms_jy)),
              dynamic_range=meta(_none(st.dynamic_range)), pbcor=int(kind == "pbcor"),
              field_name=FIELD_NAME, center_ra_deg=meta(ra), center_dec_deg=meta(dec),
              imsize_x=geom.size, imsize_y=geom.size, cellsize_arcsec=geom.cell_arcsec,
              freq_ghz=1.405, bandwidth_mhz=im.BANDWIDTH_MHZ, integration_sec=obs.MS_DURATION_S)
        t.add("image_qa", ms_path=ms, job_id=job_id, image_path=path, rms_noise=_none(st.rms_jy),
              peak_flux=_none(st.peak_jy), dynamic_range=_none(st.dynamic_range),
              beam_major=beam[0] * 3600, beam_minor=beam[1] * 3600, beam_pa=beam[2], num_sources=int(m.num_sources[i]) if kind == "5min" else None,
              thumbnail_path=None, overall_quality=im.grade(st), timestamp=created + 45.0)
        values = m.catalogue[i] if kind == "5min" else m.pbcor_catalogue.get(i)
        if values is not None:
            # Beside its image_qa row (ids 1.. in the order written to the new table).
            t.add("dash_image_qa_catalogue", image_qa_id=len(t.rows["image_qa"]),
                  image_path=path, measured_at=created + 45.0,
                  **{k: values[k] for k in ("flux_scale_ratio", "astrometry_offset_arcsec",
                                            "n_catalogue", "n_matched")})


def _hdf5(t: Tables, plan: Plan, stamp: str, mid: float, ra: float, n_subbands: int) -> None:
    start = mid - obs.MS_DURATION_DAYS / 2
    written = float(mjd_to_unix(start + obs.MS_DURATION_DAYS)) + 20.0
    # Sizes vary a little from subband to subband, deterministically from the stamp.
    rng = np.random.default_rng([plan.seed, 7, int(round(start * 86400))])
    for sb in range(n_subbands):
        name = f"{stamp}_sb{sb:02d}.hdf5"
        t.add("hdf5_files", path=str(plan.out / "incoming" / name), filename=name,
              group_id=stamp, subband_code=f"sb{sb:02d}", subband_num=sb, timestamp_iso=stamp,
              timestamp_mjd=start, file_size_bytes=int(134_217_728 + rng.integers(-4096, 4096) * 64),
              modified_time=written + sb * 0.7, indexed_at=written + 30.0, stored=1,
              ra_deg=ra, dec_deg=obs.STRIP_DEC_DEG, obs_date=stamp[:10], obs_time=stamp[11:])


def _extra(t: Tables, plan: Plan, book: LogBook, extra) -> None:
    ms = plan.ms_path(extra.stamp)
    end = extra.mid_mjd + obs.MS_DURATION_DAYS / 2
    created = float(mjd_to_unix(end)) + 60.0
    # Ten minutes to the stage it reached, but nothing after the schedule's end.
    stage_at = min(created + 600.0, float(mjd_to_unix(plan.sched.end)) - 30.0)
    t.add("ms_index", path=ms, start_mjd=extra.mid_mjd - obs.MS_DURATION_DAYS / 2,
          end_mjd=end, mid_mjd=extra.mid_mjd,
          processed_at=None if extra.status == "pending" else stage_at, status=extra.status,
          stage=extra.stage, stage_updated_at=stage_at,
          cal_applied=int(extra.stage == "calibrated"), imagename=None,
          field_name=FIELD_NAME, pointing_ra_deg=extra.center_ra,
          pointing_dec_deg=obs.STRIP_DEC_DEG, ra_deg=extra.center_ra,
          dec_deg=obs.STRIP_DEC_DEG, group_id=extra.stamp,
          created_at=created if extra.stage != "discovered" else created - 50.0)
    if extra.failure is None:
        return
    run_id = obs.run_id_for_stamp(extra.stamp)
    logger = f"dsa110_contimg.{extra.failure}"
    job_type = "imaging" if extra.failure == "imaging" else "conversion"
    started = created + 30.0
    book.add(run_id, started, "INFO", logger, f"{job_type} {ms}")
    if extra.failure == "conversion":
        book.add(run_id, started + 2, "INFO", logger,
                 f"reading 16 subbands of group {extra.stamp}")
    book.add(run_id, stage_at, "ERROR", logger,
             f"{job_type} of {ms} failed\n{TRACEBACKS[extra.failure].rstrip()}")
    job_id = t.job(type=job_type, status="failed", ms_path=ms,
                   params=json.dumps({"imsize": plan.geom.size} if job_type == "imaging"
                                     else {"subbands": 16}),
                   logs=book.job_text(run_id, started, stage_at), artifacts=None,
                   created_at=created + 10.0, started_at=started, finished_at=stage_at)
    t.truth.setdefault("failed_jobs", []).append(
        {"job_id": job_id, "type": job_type, "ms_path": ms, "run_id": run_id,
         "log_file": str(plan.out / "logs" / f"{run_id}.log"),
         "error": TRACEBACKS[extra.failure].strip().splitlines()[-1]})


# ------------------------------------------------------------------ calibration
def _calibration(t: Tables, plan: Plan, m: Measured, book: LogBook,
                 cal_ready: np.ndarray) -> None:
    sched, days = plan.sched, plan.sched.days
    rng = np.random.default_rng([plan.seed, 3])
    t0 = float(sched.mid_mjd[0])
    problem_day = min(1, days - 1)
    failed_day = min(2, days - 1)
    sets = []  # (set_name, status, valid_start, valid_end, [(type, order, path)])
    in_window = plan.cal_slot is not None
    for cal in plan.cal_obs:
        d, stamp, mid = cal.day, cal.stamp, cal.mid_mjd
        ms = plan.ms_path(stamp)
        run_id = obs.run_id_for_stamp(stamp)
        name = f"{stamp[:10]}_0834+555"
        created = float(cal_ready[d])
        started = created - 780.0
        logger = "dsa110_contimg.calibration"
        if d == failed_day:
            # A first attempt failed (refant flagged); the retry below succeeded.
            f_start = started - 900.0
            book.add(run_id, f_start, "INFO", logger, f"solving K/BP/G on {ms}, refant {REFANT}")
            book.add(run_id, f_start + 240, "ERROR", logger,
                     f"calibration of {ms} failed\n{TRACEBACKS['calibration'].rstrip()}")
            job_id = t.job(type="calibration", status="failed", ms_path=ms,
                           params=json.dumps({"calibrator": "0834+555", "refant": REFANT}),
                           logs=book.job_text(run_id, f_start, f_start + 240),
                           created_at=f_start - 10, started_at=f_start, finished_at=f_start + 240)
            t.truth.setdefault("failed_jobs", []).append(
                {"job_id": job_id, "type": "calibration", "ms_path": ms, "run_id": run_id,
                 "log_file": str(plan.out / "logs" / f"{run_id}.log"),
                 "error": TRACEBACKS["calibration"].strip().splitlines()[-1]})
        book.add(run_id, started, "INFO", logger,
                 f"solving K/BP/GA/GP on {ms} (0834+555 at transit), refant {REFANT}")
        flag = rng.uniform(0.03, 0.12, SPW_COUNT)
        if d == problem_day:
            flag[9] = 0.86  # RFI from a satellite downlink in spw 9
            book.add(run_id, created - 60, "WARNING", logger,
                     "spw 9: 86% of bandpass solutions flagged (problematic)")
        book.add(run_id, created, "INFO", logger, f"wrote calibration set {name}")
        job_id = t.job(type="calibration", status="completed", ms_path=ms,
                       params=json.dumps({"calibrator": "0834+555", "refant": REFANT,
                                          "tables": [c[0] for c in CAL_TABLES]}),
                       logs=book.job_text(run_id, started, created),
                       artifacts=json.dumps({"set_name": name}),
                       created_at=started - 10, started_at=started, finished_at=created)
        tables = [(ty, order, str(plan.out / "caltables" / name / f"{stamp}.{suffix}"))
                  for ty, order, suffix in CAL_TABLES]
        # In the window: valid over that day's window. Otherwise from this transit to
        # the next (the next day's set), so every later observation has exactly one.
        valid = (mid - 0.5, mid + 0.5) if in_window else \
            (mid, mid + obs.SIDEREAL_DAY - 1e-6)
        sets.append((name, "active", *valid, tables, ms, created, flag))
        _calibration_qa(t, ms, job_id, flag, created + 60.0, rng)
        t.add("calibrator_transits", calibrator_name="0834+555", transit_mjd=mid,
              transit_iso=_isot(mid), has_data=1, group_id=stamp, group_mid_iso=_isot(mid),
              delta_minutes=0.0, pb_response=float(im.primary_beam(
                  abs(CALIBRATOR["dec"] - obs.STRIP_DEC_DEG))),
              dec_match=1, calculated_at=created, updated_at=created)
        if d == problem_day:
            t.truth["problematic_spw"] = {"ms_path": ms, "job_id": job_id, "spw_id": 9,
                                          "fraction_flagged": 0.86}
    # A flux-scale table solved on 3C286 the day before the run: its validity ends two
    # days before the last observation, but nobody retired it (status still 'active').
    flux_end = t0 + max(1, days - 2) * obs.SIDEREAL_DAY - 0.25
    flux_stamp = _isot(t0 - 1.0)
    flux_name = f"{flux_stamp[:10]}_3C286_flux"
    sets.append((flux_name, "active", t0 - 1.0, flux_end,
                 [("FLUX", 70, str(plan.out / "caltables" / flux_name / f"{flux_stamp}.fluxscale"))],
                 plan.ms_path(flux_stamp), float(mjd_to_unix(t0 - 1.0)) + 1800, None))
    # Day 0's bandpass was re-solved with more flagging: the first one is retired.
    name0, _, vs0, ve0, tables0, ms0, created0, _ = sets[0]
    retired = [("BP", 30, tables0[1][2].replace(".bpcal", ".v1.bpcal"))]
    sets.append((name0 + "_v1", "retired", vs0, ve0, retired, ms0, created0 - 300, None))
    for name, status, vs, ve, tables, ms, created, flag in sets:
        for ty, order, path in tables:
            qm = {"snr_mean": round(float(rng.uniform(25, 90)), 1),
                  "flagged_fraction": round(float(np.mean(flag)) if flag is not None
                                            else float(rng.uniform(0.02, 0.1)), 4),
                  "n_antennas": N_ANTENNAS}
            t.add("caltables", set_name=name, path=path, table_type=ty, order_index=order,
                  cal_field="3C286" if ty == "FLUX" else "0834+555", refant=REFANT,
                  created_at=created, valid_start_mjd=vs, valid_end_mjd=ve, status=status,
                  notes=("superseded by a re-solve with more RFI flagging"
                         if status == "retired" else None),
                  source_ms_path=ms, solver_command=_solver_command(ty, ms, path),
                  solver_version=SOLVER_VERSION,
                  solver_params=json.dumps(_solver_params(ty)), quality_metrics=json.dumps(qm))
    t.truth["expired_calset"] = {
        "set_name": flux_name, "status": "active", "valid_end_mjd": flux_end,
        "note": "still-active-but-expired: validity ended before the last days, "
                "status never changed to retired"}
    t.truth["retired_calset"] = name0 + "_v1"
    _applied(t, plan, sets)


def _solver_command(ty: str, ms: str, path: str) -> str:
    task = {"K": "gaincal", "BP": "bandpass", "GA": "gaincal", "GP": "gaincal",
            "FLUX": "fluxscale"}[ty]
    extra = {"K": ", gaintype='K'", "GA": ", calmode='a'", "GP": ", calmode='p'"}.get(ty, "")
    return f"{task}(vis='{ms}', caltable='{path}', refant='{REFANT}'{extra})"


def _solver_params(ty: str) -> dict:
    base = {"refant": REFANT, "minsnr": 3.0, "uvrange": ">1klambda"}
    base.update({"K": {"gaintype": "K", "solint": "inf", "combine": "scan"},
                 "BP": {"solint": "inf", "combine": "scan", "solnorm": True},
                 "GA": {"calmode": "a", "solint": "60s"},
                 "GP": {"calmode": "p", "solint": "12.88s"},
                 "FLUX": {"reference": "3C286", "standard": "Perley-Butler 2017"}}[ty])
    return base


def _calibration_qa(t: Tables, ms: str, job_id: int, flag: np.ndarray, when: float,
                    rng: np.random.Generator) -> None:
    total = N_ANTENNAS * CHANNELS_PER_SPW
    spws = []
    for s, f in enumerate(flag):
        flagged = int(round(f * total))
        high = int(round(CHANNELS_PER_SPW * min(1.0, max(0.0, (f - 0.3) / 0.6))))
        spws.append({"spw_id": s, "total_solutions": total, "flagged_solutions": flagged,
                     "fraction_flagged": round(flagged / total, 4),
                     "n_channels": CHANNELS_PER_SPW, "channels_with_high_flagging": high,
                     "is_problematic": bool(flagged / total > 0.8)})
    mean = float(np.mean([s["fraction_flagged"] for s in spws]))
    quality = ("excellent" if mean < 0.1 else "good" if mean < 0.3
               else "marginal" if mean < 0.5 else "poor")

    def metrics(scale: float) -> str:
        return json.dumps({"flag_fraction": round(mean * scale, 4),
                           "avg_snr": round(float(rng.uniform(30, 80)), 1),
                           "amp_mean": round(float(rng.normal(1.0, 0.02)), 4),
                           "amp_std": round(float(rng.uniform(0.02, 0.08)), 4)})

    t.add("calibration_qa", ms_path=ms, job_id=job_id, k_metrics=metrics(0.5),
          bp_metrics=metrics(1.0), g_metrics=metrics(0.8), overall_quality=quality,
          flags_total=round(mean, 4), timestamp=when, per_spw_stats=json.dumps(spws))


def _applied(t: Tables, plan: Plan, sets: list) -> None:
    """Per calibrated MS: every table of every active set valid at its mid-time, in
    apply order (pipeline-db.md's active apply-list)."""
    calibrated = [(r["path"], r["mid_mjd"], r["processed_at"]) for r in t.rows["ms_index"]
                  if r["cal_applied"]]
    for ms, mid, processed in calibrated:
        active = sorted(((order, path) for _, status, vs, ve, tables, *_ in sets
                         if status == "active" and vs <= mid <= ve
                         for _, order, path in tables))
        for order, path in active:
            t.add("calibration_applied", ms_path=ms, caltable_path=path,
                  applied_at=(processed or 0.0) - 180.0 + order / 10.0,
                  quality=1.0, success=1, error_message=None)


# ------------------------------------------------------------------- photometry
def _photometry(t: Tables, plan: Plan, m: Measured) -> None:
    cat, sched = plan.cat, plan.sched
    quality = np.full(m.img.size, None, dtype=object)
    quality[m.snr < 5] = "low_snr"
    quality[~m.usable] = "image_qa_poor"
    paths = np.array([plan.image_path(i) for i in range(plan.n)], dtype=object)
    image_rms = np.array([s.rms_jy if s.rms_jy is not None else np.nan for s in m.stats])
    t.photometry = {
        "source_id": cat.name[m.src], "image_path": paths[m.img],
        "ra_deg": cat.ra[m.src], "dec_deg": cat.dec[m.src],
        "nvss_flux_mjy": cat.nvss_mjy[m.src],
        "peak_jyb": m.peak_jyb, "peak_err_jyb": m.local_rms,
        "measured_at": plan.image_created[m.img] + 90.0, "snr": m.snr,
        "mjd": sched.mid_mjd[m.img],
        "flux_jy": m.flux_jy, "flux_err_jy": m.flux_err_jy,
        "normalized_flux_jy": m.norm_jy, "normalized_flux_err_jy": m.norm_err_jy,
        "sep_from_center_deg": m.sep_deg, "local_rms": m.local_rms,
        "rms_jy": image_rms[m.img], "peak_flux_jy": m.flux_jy,
        "quality_flag": quality, "flags": m.flags.astype(np.int64),
    }


def _variability(t: Tables, plan: Plan, m: Measured) -> None:
    cat, v = plan.cat, m.var
    last_mjd = np.full(cat.n, np.nan)
    last_at = np.full(cat.n, np.nan)
    np.fmax.at(last_mjd, m.src, plan.sched.mid_mjd[m.img])
    np.fmax.at(last_at, m.src, plan.image_created[m.img] + 90.0)
    end = float(mjd_to_unix(plan.sched.end))
    updated = min(float(np.nanmax(last_at)) + 600.0, end - 60.0)
    for k in m.measured:
        t.add("variability_stats", source_id=cat.name[k], ra_deg=float(cat.ra[k]),
              dec_deg=float(cat.dec[k]), nvss_flux_mjy=_none(cat.nvss_mjy[k]),
              n_obs=int(v["n_obs"][k]),
              **{c: _none(v[c][k]) for c in ("mean_flux_mjy", "std_flux_mjy", "min_flux_mjy",
                                             "max_flux_mjy", "chi2_nu", "sigma_deviation",
                                             "eta_metric")},
              last_measured_at=_none(last_at[k]), last_mjd=_none(last_mjd[k]),
              updated_at=updated)
    # ESE candidates: the pipeline's trigger (sigma deviation >= 5), plus the injected
    # dips, which an astronomer flagged by eye when the trigger missed them.
    sig = np.nan_to_num(v["sigma_deviation"], nan=0.0)
    auto = set(np.flatnonzero(sig >= 5).tolist())
    ese = set(np.flatnonzero(cat.kind == "ese").tolist()) & set(m.measured.tolist())
    cands = sorted(auto | ese, key=lambda k: (-sig[k], str(cat.name[k])))
    cycle = ("active", "investigated", "active", "dismissed")
    for rank, k in enumerate(cands):
        # Ten minutes after its last epoch, and early enough to have been looked into
        # (dismissed two hours later) by the demo's end.
        flagged_at = min(float(last_at[k]) + 600.0, end - 7260.0)
        status = cycle[rank % len(cycle)]
        by_hand = k not in auto
        t.add("ese_candidates", source_id=cat.name[k], flagged_at=flagged_at,
              flagged_by="astronomer" if by_hand else "auto", significance=float(sig[k]),
              flag_type="variability",
              notes=("U-shaped dip seen in the light curve" if by_hand else
                     f"sigma deviation {sig[k]:.1f} >= 5"),
              status=status,
              investigated_at=flagged_at + 3600.0 if status == "investigated" else None,
              dismissed_at=flagged_at + 7200.0 if status == "dismissed" else None)


# ---------------------------------------------------------------------- batches
def _batches(t: Tables, plan: Plan, m: Measured, book: LogBook) -> None:
    """Three operator batches: one done, one failed, one still running."""
    ms_rows = [r for r in t.rows["ms_index"] if r["stage"] == "photometry_complete"]
    last = max(r["created_at"] for r in t.rows["ms_index"])
    blank = [r for r in t.rows["ms_index"] if r["status"] == "flagged" and r["stage"] == "imaged"]
    specs = [
        ("reimage", ["done"] * 4, ms_rows[:4], last - 86400.0),
        ("photometry", ["done"] * 3 + ["failed"], ms_rows[10:13] + blank[:1], last - 7200.0),
        ("reimage", ["done", "done", "running", "pending", "pending", "pending"],
         ms_rows[-6:], last - 240.0),
    ]
    job_of = {j["ms_path"]: j["id"] for j in t.rows["jobs"] if j["type"] == "imaging"}
    for batch_id, (kind, states, rows, created) in enumerate(specs, start=1):
        states = states[:len(rows)]
        pending_or_running = any(s in ("pending", "running") for s in states)
        failed = sum(s == "failed" for s in states)
        status = "running" if pending_or_running else "failed" if failed else "done"
        t.add("batch_jobs", id=batch_id, type=kind, created_at=created, status=status,
              total_items=len(states), completed_items=sum(s == "done" for s in states),
              failed_items=failed, params=json.dumps({"requested_by": "operator",
                                                      "reason": "demo batch"}))
        for k, (state, row) in enumerate(zip(states, rows, strict=True)):
            started = created + 60.0 * k if state != "pending" else None
            done = started + 45.0 if state in ("done", "failed") else None
            error = None
            if state == "failed":
                error = "forced photometry: image has no finite noise (blank image)"
                run_id = obs.run_id_for_stamp(row["group_id"])
                book.add(run_id, done, "ERROR", "dsa110_contimg.photometry",
                         f"batch {batch_id}: {error}")
            t.add("batch_job_items", batch_id=batch_id, ms_path=row["path"],
                  job_id=job_of.get(row["path"]), status=state, error=error,
                  started_at=started, completed_at=done, data_id=row["group_id"])
        t.truth.setdefault("batches", {})[status] = batch_id

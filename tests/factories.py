"""Insert realistic rows with sensible defaults, so a test states only what it cares about."""

from __future__ import annotations

import itertools
import time
from typing import Any

import sqlalchemy as sa

from dsa110_dashboard.db import schema

_counter = itertools.count(1)
MJD0 = 60965.0  # 2025-10-17
UNIX0 = 1760716800.0  # 2025-10-17T16:00:00Z


def _ms_name(n: int) -> str:
    seconds = n * 300
    return (f"/data/ms/2025-10-17T{(seconds // 3600) % 24:02d}:"
            f"{(seconds // 60) % 60:02d}:{seconds % 60:02d}.ms")


def defaults(table: str, n: int) -> dict[str, Any]:
    if table == "ms_index":
        return {"path": _ms_name(n), "mid_mjd": MJD0 + n * 300 / 86400,
                "start_mjd": MJD0 + (n * 300 - 150) / 86400,
                "end_mjd": MJD0 + (n * 300 + 150) / 86400, "status": "completed",
                "stage": "imaged", "created_at": UNIX0 + n * 300, "field_name": "drift",
                "ra_deg": 120.0 + n * 1.25, "dec_deg": 54.57}
    if table == "images":
        return {"path": f"/data/images/img{n:06d}-image.fits", "ms_path": _ms_name(n),
                "created_at": UNIX0 + n * 300 + 600, "type": "5min", "format": "fits",
                "noise_jy": 3e-4, "dynamic_range": 500.0, "center_ra_deg": 120.0 + n * 1.25,
                "center_dec_deg": 54.57, "beam_major_arcsec": 18.0,
                "beam_minor_arcsec": 15.0, "beam_pa_deg": 10.0, "freq_ghz": 1.405}
    if table == "photometry":
        return {"source_id": f"NVSS J0800{n % 100:02d}.0+543000", "image_path":
                f"/data/images/img{n:06d}-image.fits", "ra_deg": 120.0, "dec_deg": 54.5,
                "mjd": MJD0 + n * 300 / 86400, "flux_jy": 0.05, "flux_err_jy": 0.001,
                "peak_jyb": 0.05, "peak_err_jyb": 0.001, "snr": 50.0,
                "measured_at": UNIX0 + n * 300 + 900}
    if table == "variability_stats":
        return {"source_id": f"NVSS J0800{n:04d}+543000", "ra_deg": 120.0, "dec_deg": 54.5,
                "n_obs": 30, "mean_flux_mjy": 50.0, "eta_metric": 1.0, "chi2_nu": 1.0,
                "sigma_deviation": 1.0, "updated_at": UNIX0}
    if table == "caltables":
        return {"set_name": f"set{n}", "path": f"/data/cal/set{n}.bpcal", "table_type": "BP",
                "order_index": 30, "created_at": UNIX0, "valid_start_mjd": MJD0,
                "valid_end_mjd": MJD0 + 1, "status": "active", "refant": "103"}
    if table == "jobs":
        return {"type": "imaging", "status": "completed", "ms_path": _ms_name(n),
                "created_at": UNIX0 + n * 300}
    if table == "batch_jobs":
        return {"type": "rerun", "created_at": UNIX0, "status": "running", "total_items": 0}
    if table == "image_qa":
        return {"ms_path": _ms_name(n), "job_id": n,
                "image_path": f"/data/images/img{n:06d}-image.fits", "rms_noise": 3e-4,
                "dynamic_range": 500.0, "overall_quality": "good", "timestamp": UNIX0 + n}
    if table == "calibration_qa":
        return {"ms_path": _ms_name(n), "job_id": n, "overall_quality": "good",
                "timestamp": UNIX0 + n}
    if table == "ese_candidates":
        return {"source_id": f"NVSS J0800{n:04d}+543000", "flagged_at": UNIX0,
                "significance": 5.0, "flag_type": "variability"}
    if table == "sources":
        return {"id": f"NVSS J0800{n:04d}+543000", "ra_deg": 120.0, "dec_deg": 54.5}
    if table == "calibration_applied":
        return {"ms_path": _ms_name(n), "caltable_path": f"/data/cal/set{n}.bpcal",
                "applied_at": UNIX0 + n * 300, "success": 1}
    if table == "batch_job_items":
        return {"ms_path": _ms_name(n), "status": "pending"}
    return {"created_at": time.time()}


def insert(conn: sa.Connection, table: str, **values: Any) -> dict[str, Any]:
    """Insert one row into a pipeline table; returns the row as written (with its id)."""
    n = next(_counter)
    row = {**defaults(table, n), **values}
    definition = schema.metadata.tables[table]
    row = {k: v for k, v in row.items() if k in definition.c}
    result = conn.execute(definition.insert().values(**row))
    if "id" in definition.c and "id" not in row and result.inserted_primary_key:
        row["id"] = result.inserted_primary_key[0]
    return row


def insert_many(conn: sa.Connection, table: str, rows: list[dict[str, Any]]) -> None:
    definition = schema.metadata.tables[table]
    full = []
    for values in rows:
        row = {**defaults(table, next(_counter)), **values}
        full.append({k: v for k, v in row.items() if k in definition.c})
    conn.execute(definition.insert(), full)

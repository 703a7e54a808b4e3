"""The pipeline's tables, exactly as ``pipeline-db.md`` describes them.

Names, types and indexes match the pipeline's SQLite files so that our own database is
a superset of a production one. Our additions live in ``dashboard_schema`` and reach a
database only through migrations.

REAL columns hold MJDs and Unix seconds: on PostgreSQL they must be DOUBLE PRECISION,
because PostgreSQL's REAL is 4 bytes and would round an MJD to about a minute.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData()

REAL = sa.REAL().with_variant(postgresql.DOUBLE_PRECISION(), "postgresql")
TEXT = sa.Text
INTEGER = sa.Integer
# 20-40 million photometry rows a year: ids outgrow nothing soon, but keep room.
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _id() -> sa.Column:
    return sa.Column("id", INTEGER, primary_key=True, autoincrement=True)


ms_index = sa.Table(
    "ms_index", metadata,
    sa.Column("path", TEXT, primary_key=True),
    sa.Column("start_mjd", REAL), sa.Column("end_mjd", REAL), sa.Column("mid_mjd", REAL),
    sa.Column("processed_at", REAL), sa.Column("status", TEXT), sa.Column("stage", TEXT),
    sa.Column("stage_updated_at", REAL),
    sa.Column("cal_applied", INTEGER, server_default=sa.text("0")),
    sa.Column("imagename", TEXT), sa.Column("field_name", TEXT),
    sa.Column("pointing_ra_deg", REAL), sa.Column("pointing_dec_deg", REAL),
    sa.Column("ra_deg", REAL), sa.Column("dec_deg", REAL),
    sa.Column("group_id", TEXT),
    sa.Column("created_at", REAL, nullable=False),
    sa.Index("idx_ms_index_group_id", "group_id"),
    sa.Index("idx_ms_index_stage", "stage"),
    sa.Index("idx_ms_index_status", "status"),
    sa.Index("idx_ms_index_mid_mjd", "mid_mjd"),
)

images = sa.Table(
    "images", metadata,
    _id(),
    sa.Column("path", TEXT, nullable=False, unique=True),
    sa.Column("ms_path", TEXT, nullable=False),
    sa.Column("created_at", REAL, nullable=False),
    sa.Column("type", TEXT, nullable=False),
    sa.Column("format", TEXT, server_default=sa.text("'fits'")),
    sa.Column("beam_major_arcsec", REAL), sa.Column("beam_minor_arcsec", REAL),
    sa.Column("beam_pa_deg", REAL),
    sa.Column("noise_jy", REAL), sa.Column("dynamic_range", REAL),
    sa.Column("pbcor", INTEGER, server_default=sa.text("0")),
    sa.Column("field_name", TEXT),
    sa.Column("center_ra_deg", REAL), sa.Column("center_dec_deg", REAL),
    sa.Column("imsize_x", INTEGER), sa.Column("imsize_y", INTEGER),
    sa.Column("cellsize_arcsec", REAL), sa.Column("freq_ghz", REAL),
    sa.Column("bandwidth_mhz", REAL), sa.Column("integration_sec", REAL),
    sa.Index("idx_images_created_at", "created_at"),
    sa.Index("idx_images_type", "type"),
    sa.Index("idx_images_ms_path", "ms_path"),
)

photometry = sa.Table(
    "photometry", metadata,
    sa.Column("id", BIGID, primary_key=True, autoincrement=True),
    sa.Column("source_id", TEXT),
    sa.Column("image_path", TEXT, nullable=False),
    sa.Column("ra_deg", REAL, nullable=False), sa.Column("dec_deg", REAL, nullable=False),
    sa.Column("nvss_flux_mjy", REAL),
    sa.Column("peak_jyb", REAL), sa.Column("peak_err_jyb", REAL),
    sa.Column("measured_at", REAL), sa.Column("snr", REAL), sa.Column("mjd", REAL),
    sa.Column("flux_jy", REAL), sa.Column("flux_err_jy", REAL),
    sa.Column("normalized_flux_jy", REAL), sa.Column("normalized_flux_err_jy", REAL),
    sa.Column("mosaic_path", TEXT), sa.Column("sep_from_center_deg", REAL),
    sa.Column("local_rms", REAL), sa.Column("rms_jy", REAL), sa.Column("peak_flux_jy", REAL),
    sa.Column("quality_flag", TEXT),
    sa.Column("flags", INTEGER, server_default=sa.text("0")),
    sa.Index("idx_photometry_mjd", "mjd"),
    sa.Index("idx_photometry_radec", "ra_deg", "dec_deg"),
    sa.Index("idx_photometry_source_id", "source_id"),
    sa.Index("idx_photometry_image_path", "image_path"),
)

sources = sa.Table(
    "sources", metadata,
    sa.Column("id", TEXT, primary_key=True),
    sa.Column("name", TEXT),
    sa.Column("ra_deg", REAL, nullable=False), sa.Column("dec_deg", REAL, nullable=False),
    sa.Column("catalog_match", TEXT), sa.Column("source_type", TEXT),
    sa.Column("first_detected_mjd", REAL), sa.Column("last_detected_mjd", REAL),
    sa.Column("detection_count", INTEGER),
)

variability_stats = sa.Table(
    "variability_stats", metadata,
    sa.Column("source_id", TEXT, primary_key=True),
    sa.Column("ra_deg", REAL, nullable=False), sa.Column("dec_deg", REAL, nullable=False),
    sa.Column("nvss_flux_mjy", REAL), sa.Column("n_obs", INTEGER),
    sa.Column("mean_flux_mjy", REAL), sa.Column("std_flux_mjy", REAL),
    sa.Column("min_flux_mjy", REAL), sa.Column("max_flux_mjy", REAL),
    sa.Column("chi2_nu", REAL), sa.Column("sigma_deviation", REAL),
    sa.Column("eta_metric", REAL),
    sa.Column("last_measured_at", REAL), sa.Column("last_mjd", REAL),
    sa.Column("updated_at", REAL, nullable=False),
)

ese_candidates = sa.Table(
    "ese_candidates", metadata,
    _id(),
    sa.Column("source_id", TEXT, nullable=False),
    sa.Column("flagged_at", REAL, nullable=False),
    sa.Column("flagged_by", TEXT, server_default=sa.text("'auto'")),
    sa.Column("significance", REAL, nullable=False),
    sa.Column("flag_type", TEXT, nullable=False),
    sa.Column("notes", TEXT),
    sa.Column("status", TEXT, server_default=sa.text("'active'")),
    sa.Column("investigated_at", REAL), sa.Column("dismissed_at", REAL),
)

monitoring_sources = sa.Table(
    "monitoring_sources", metadata,
    _id(),
    sa.Column("source_id", TEXT, nullable=False, unique=True),
    sa.Column("name", TEXT),
    sa.Column("ra_deg", REAL, nullable=False), sa.Column("dec_deg", REAL, nullable=False),
    sa.Column("catalog", TEXT),
    sa.Column("priority", TEXT, server_default=sa.text("'normal'")),
    sa.Column("n_detections", INTEGER),
    sa.Column("mean_flux_jy", REAL), sa.Column("std_flux_jy", REAL),
    sa.Column("eta", REAL), sa.Column("v_index", REAL), sa.Column("chi_squared", REAL),
    sa.Column("is_variable", INTEGER), sa.Column("ese_candidate", INTEGER),
    sa.Column("first_detected_at", REAL), sa.Column("last_detected_at", REAL),
    sa.Column("last_updated", REAL), sa.Column("notes", TEXT),
)

caltables = sa.Table(
    "caltables", metadata,
    _id(),
    sa.Column("set_name", TEXT, nullable=False),
    sa.Column("path", TEXT, nullable=False, unique=True),
    sa.Column("table_type", TEXT, nullable=False),
    sa.Column("order_index", INTEGER, nullable=False),
    sa.Column("cal_field", TEXT), sa.Column("refant", TEXT),
    sa.Column("created_at", REAL, nullable=False),
    sa.Column("valid_start_mjd", REAL), sa.Column("valid_end_mjd", REAL),
    sa.Column("status", TEXT, nullable=False, server_default=sa.text("'active'")),
    sa.Column("notes", TEXT), sa.Column("source_ms_path", TEXT),
    sa.Column("solver_command", TEXT), sa.Column("solver_version", TEXT),
    sa.Column("solver_params", TEXT), sa.Column("quality_metrics", TEXT),
)

calibration_applied = sa.Table(
    "calibration_applied", metadata,
    _id(),
    sa.Column("ms_path", TEXT, nullable=False),
    sa.Column("caltable_path", TEXT, nullable=False),
    sa.Column("applied_at", REAL, nullable=False),
    sa.Column("quality", REAL),
    sa.Column("success", INTEGER, server_default=sa.text("1")),
    sa.Column("error_message", TEXT),
)

jobs = sa.Table(
    "jobs", metadata,
    _id(),
    sa.Column("type", TEXT, nullable=False),
    sa.Column("status", TEXT, nullable=False, server_default=sa.text("'pending'")),
    sa.Column("ms_path", TEXT, nullable=False),
    sa.Column("params", TEXT), sa.Column("logs", TEXT), sa.Column("artifacts", TEXT),
    sa.Column("created_at", REAL, nullable=False),
    sa.Column("started_at", REAL), sa.Column("finished_at", REAL),
    sa.Index("idx_jobs_ms_path", "ms_path"),
    sa.Index("idx_jobs_created_at", "created_at"),
    sa.Index("idx_jobs_status", "status"),
)

batch_jobs = sa.Table(
    "batch_jobs", metadata,
    _id(),
    sa.Column("type", TEXT, nullable=False),
    sa.Column("created_at", REAL, nullable=False),
    sa.Column("status", TEXT, nullable=False),
    sa.Column("total_items", INTEGER, nullable=False),
    sa.Column("completed_items", INTEGER, server_default=sa.text("0")),
    sa.Column("failed_items", INTEGER, server_default=sa.text("0")),
    sa.Column("params", TEXT),
)

batch_job_items = sa.Table(
    "batch_job_items", metadata,
    _id(),
    sa.Column("batch_id", INTEGER, sa.ForeignKey("batch_jobs.id"), nullable=False),
    sa.Column("ms_path", TEXT, nullable=False),
    sa.Column("job_id", INTEGER),
    sa.Column("status", TEXT, nullable=False),
    sa.Column("error", TEXT),
    sa.Column("started_at", REAL), sa.Column("completed_at", REAL),
    sa.Column("data_id", TEXT),
)

image_qa = sa.Table(
    "image_qa", metadata,
    _id(),
    sa.Column("ms_path", TEXT, nullable=False),
    sa.Column("job_id", INTEGER, nullable=False),
    sa.Column("image_path", TEXT, nullable=False),
    sa.Column("rms_noise", REAL), sa.Column("peak_flux", REAL),
    sa.Column("dynamic_range", REAL),
    sa.Column("beam_major", REAL), sa.Column("beam_minor", REAL), sa.Column("beam_pa", REAL),
    sa.Column("num_sources", INTEGER), sa.Column("thumbnail_path", TEXT),
    sa.Column("overall_quality", TEXT),
    sa.Column("timestamp", REAL, nullable=False),
)

calibration_qa = sa.Table(
    "calibration_qa", metadata,
    _id(),
    sa.Column("ms_path", TEXT, nullable=False),
    sa.Column("job_id", INTEGER, nullable=False),
    sa.Column("k_metrics", TEXT), sa.Column("bp_metrics", TEXT), sa.Column("g_metrics", TEXT),
    sa.Column("overall_quality", TEXT),
    sa.Column("flags_total", REAL),
    sa.Column("timestamp", REAL, nullable=False),
    sa.Column("per_spw_stats", TEXT),
)

qa_artifacts = sa.Table(
    "qa_artifacts", metadata,
    _id(),
    sa.Column("group_id", TEXT, nullable=False),
    sa.Column("name", TEXT, nullable=False),
    sa.Column("path", TEXT, nullable=False),
    sa.Column("created_at", REAL, nullable=False),
    sa.UniqueConstraint("group_id", "name"),
)

mosaics = sa.Table(
    "mosaics", metadata,
    _id(),
    sa.Column("path", TEXT, nullable=False, unique=True),
    sa.Column("name", TEXT, nullable=False),
    sa.Column("created_at", REAL, nullable=False),
    sa.Column("start_mjd", REAL, nullable=False), sa.Column("end_mjd", REAL, nullable=False),
    sa.Column("integration_sec", REAL), sa.Column("n_images", INTEGER),
    sa.Column("center_ra_deg", REAL), sa.Column("center_dec_deg", REAL),
    sa.Column("dec_min_deg", REAL), sa.Column("dec_max_deg", REAL),
    sa.Column("noise_jy", REAL), sa.Column("effective_noise_jy", REAL),
    sa.Column("beam_major_arcsec", REAL), sa.Column("beam_minor_arcsec", REAL),
    sa.Column("beam_pa_deg", REAL),
    sa.Column("n_sources", INTEGER), sa.Column("thumbnail_path", TEXT),
    sa.Column("status", TEXT), sa.Column("method", TEXT), sa.Column("tiles", TEXT),
    sa.Column("output_path", TEXT), sa.Column("validation_issues", TEXT),
    sa.Column("metrics_path", TEXT),
)

hdf5_files = sa.Table(
    "hdf5_files", metadata,
    sa.Column("path", TEXT, primary_key=True),
    sa.Column("filename", TEXT, nullable=False),
    sa.Column("group_id", TEXT, nullable=False),
    sa.Column("subband_code", TEXT, nullable=False),
    sa.Column("subband_num", INTEGER),
    sa.Column("timestamp_iso", TEXT), sa.Column("timestamp_mjd", REAL),
    sa.Column("file_size_bytes", INTEGER), sa.Column("modified_time", REAL),
    sa.Column("indexed_at", REAL, nullable=False),
    sa.Column("stored", INTEGER, server_default=sa.text("1")),
    sa.Column("ra_deg", REAL), sa.Column("dec_deg", REAL),
    sa.Column("obs_date", TEXT), sa.Column("obs_time", TEXT),
    sa.Index("idx_hdf5_files_group_id", "group_id"),
)

calibrator_transits = sa.Table(
    "calibrator_transits", metadata,
    sa.Column("calibrator_name", TEXT, nullable=False),
    sa.Column("transit_mjd", REAL, nullable=False),
    sa.Column("transit_iso", TEXT, nullable=False),
    sa.Column("has_data", INTEGER), sa.Column("group_id", TEXT),
    sa.Column("group_mid_iso", TEXT), sa.Column("delta_minutes", REAL),
    sa.Column("pb_response", REAL), sa.Column("dec_match", INTEGER),
    sa.Column("calculated_at", REAL), sa.Column("updated_at", REAL),
    sa.UniqueConstraint("calibrator_name", "transit_mjd"),
)

operation_metrics = sa.Table(
    "operation_metrics", metadata,
    sa.Column("operation", TEXT, nullable=False),
    sa.Column("duration_ms", REAL, nullable=False),
    sa.Column("success", INTEGER, nullable=False),
    sa.Column("error", TEXT),
    sa.Column("recorded_at", REAL, nullable=False),
)

#: Tables that live in cal_registry.sqlite3 in the older two-file layout.
CAL_REGISTRY_TABLES = ("caltables",)

#: Older names under which a table is found in the field: canonical -> alternatives.
TABLE_ALIASES = {"hdf5_files": ("hdf5_file_index",)}

#: Tables whose presence marks a file as a pipeline database.
CORE_TABLES = ("ms_index", "images", "photometry")

PIPELINE_TABLES = tuple(metadata.tables)

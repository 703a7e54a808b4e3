"""Tables the dashboard adds to a pipeline database (through migrations only).

Each table here is created by an Alembic revision in ``migrations/versions``; features
that need one ask ``features.require`` first so that a database which was never upgraded
gets a clear message instead of an error.
"""

from __future__ import annotations

import sqlalchemy as sa

# DOUBLE PRECISION on PostgreSQL, like the pipeline's REAL columns.
from .schema import REAL

dashboard_metadata = sa.MetaData()

#: Indexes that make the dashboard's queries fast on the pipeline's own tables.
#: Only small tables: an index build on the 20-million-row photometry table would hold
#: SQLite's write lock longer than the pipeline's busy timeout.
DASHBOARD_INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # The image table's default page: filtered by type, newest first, and its total.
    ("dash_idx_images_type_created_at", "images", ("type", "created_at")),
    ("dash_idx_images_type_noise", "images", ("type", "noise_jy")),
    ("dash_idx_images_center_dec", "images", ("center_dec_deg",)),
    ("dash_idx_images_noise", "images", ("noise_jy",)),
    ("dash_idx_images_dynamic_range", "images", ("dynamic_range",)),
    # Covers "latest QA grade of an image" without touching the table.
    ("dash_idx_image_qa_latest", "image_qa",
     ("image_path", "timestamp", "id", "overall_quality")),
    ("dash_idx_image_qa_timestamp", "image_qa", ("timestamp",)),
    ("dash_idx_calibration_qa_ms_path", "calibration_qa", ("ms_path",)),
    ("dash_idx_calibration_qa_timestamp", "calibration_qa", ("timestamp",)),
    ("dash_idx_calibration_applied_ms_path", "calibration_applied", ("ms_path",)),
    ("dash_idx_batch_job_items_batch_id", "batch_job_items", ("batch_id",)),
    ("dash_idx_ese_candidates_source_id", "ese_candidates", ("source_id",)),
    ("dash_idx_variability_stats_radec", "variability_stats", ("ra_deg", "dec_deg")),
    ("dash_idx_sources_radec", "sources", ("ra_deg", "dec_deg")),
    ("dash_idx_caltables_validity", "caltables", ("valid_start_mjd", "valid_end_mjd")),
)

#: The measurement-set funnel (counts per stage and status with the stuck ones, on /ms
#: and /wall) read from this index alone, in group order (revision 0011). Without it
#: SQLite walked the stage index and looked up each of a year's 120,000 rows.
MS_FUNNEL_INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("dash_idx_ms_index_funnel", "ms_index",
     ("stage", "status", "stage_updated_at", "created_at")),
)


# Our own per-source statistics, beside the pipeline's variability_stats (revision 0003).
# Separate table, because the pipeline's has no V or two-epoch columns and we never alter
# a pipeline table. Fluxes in Jy like photometry; NULL where a statistic is undefined
# (fewer than two usable epochs), never 0.
dash_variability = sa.Table(
    "dash_variability", dashboard_metadata,
    sa.Column("source_id", sa.Text, primary_key=True),
    sa.Column("n_epochs", sa.Integer),
    # Epochs with a finite positive error: the N of the weighted statistics.
    sa.Column("n_weighted_epochs", sa.Integer),
    sa.Column("mean_flux_jy", REAL), sa.Column("weighted_mean_flux_jy", REAL),
    sa.Column("std_flux_jy", REAL),
    sa.Column("eta", REAL), sa.Column("v", REAL), sa.Column("chi2_nu", REAL),
    sa.Column("sigma_deviation", REAL),
    sa.Column("vs_max", REAL), sa.Column("m_at_vs_max", REAL),
    sa.Column("is_two_epoch_variable", sa.Integer),
    sa.Column("excluded_qa_epochs", sa.Integer),
    sa.Column("flux_column", sa.Text),
    sa.Column("computed_at", REAL),
    sa.Index("dash_idx_dash_variability_eta", "eta"),
    sa.Index("dash_idx_dash_variability_v", "v"),
)


# The job queue (revision 0006): what we add to the pipeline's ``jobs`` rows, kept in our
# own tables so the pipeline's writer and readers never meet a column they do not know
# (decision 0037). A job is ours to run when it has a dash_job_state row.
dash_job_state = sa.Table(
    "dash_job_state", dashboard_metadata,
    sa.Column("job_id", sa.Integer, primary_key=True, autoincrement=False),
    # Unique per job (the MS's run id plus "-j<job id>"); names {logs_dir}/{run_id}.log.
    sa.Column("run_id", sa.Text, nullable=False),
    sa.Column("command", sa.Text),          # JSON argument list, fixed when queued
    sa.Column("log_path", sa.Text),
    sa.Column("attempt", sa.Integer, nullable=False, server_default="0"),
    sa.Column("rerun_of", sa.Integer),      # jobs.id of the job this one reruns
    sa.Column("requested_by", sa.Text),
    sa.Column("overrides", sa.Text),        # JSON {key: {"from": old, "to": new}}
    sa.Column("worker", sa.Text),           # host:pid of the worker running it
    sa.Column("host", sa.Text),
    sa.Column("pid", sa.Integer),           # process group of the running command
    sa.Column("pid_start", sa.Text),        # its start time (/proc), against pid reuse
    sa.Column("claimed_at", REAL),
    sa.Column("heartbeat_at", REAL),
    sa.Column("cancel_requested_at", REAL),
    sa.Column("cancel_requested_by", sa.Text),
    sa.Column("exit_code", sa.Integer),
    sa.Column("error", sa.Text),            # why it failed or was cancelled, in words
    sa.Index("dash_idx_job_state_run_id", "run_id", unique=True),
)

# Every state change of a queued job, with its time (the jobs row keeps only the last).
dash_job_events = sa.Table(
    "dash_job_events", dashboard_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("job_id", sa.Integer, nullable=False),
    sa.Column("at", REAL, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("previous", sa.Text),
    sa.Column("worker", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Index("dash_idx_job_events_job", "job_id", "at"),
)

# Every operator action (rerun, cancel, batch start/cancel, cache clear, token change):
# who, when, what, on which target, from where, and how it ended.
dash_audit = sa.Table(
    "dash_audit", dashboard_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", REAL, nullable=False),
    sa.Column("actor", sa.Text, nullable=False),   # user name, or cli:<os user>
    sa.Column("address", sa.Text),                 # client address, or "local"
    sa.Column("role", sa.Text),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target_kind", sa.Text),             # job, batch, cache, token
    sa.Column("target_id", sa.Text),
    sa.Column("result", sa.Text, nullable=False),  # ok, refused, error
    sa.Column("reason", sa.Text),
    sa.Column("detail", sa.Text),                  # JSON
    sa.Index("dash_idx_audit_at", "at"),
    sa.Index("dash_idx_audit_target", "target_kind", "target_id"),
)

# Who runs a batch and whether it should stop; the batch and its items stay in the
# pipeline's batch_jobs / batch_job_items.
dash_batch_state = sa.Table(
    "dash_batch_state", dashboard_metadata,
    sa.Column("batch_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("requested_by", sa.Text),
    sa.Column("runner", sa.Text),                  # host:pid running its items
    sa.Column("heartbeat_at", REAL),
    sa.Column("executor", sa.Text),                # "local pool (N)" or the scheduler
    sa.Column("started_at", REAL),
    sa.Column("finished_at", REAL),
    sa.Column("cancel_requested_at", REAL),
    sa.Column("cancel_requested_by", sa.Text),
)

JOB_QUEUE_TABLES = (dash_job_state, dash_job_events, dash_audit, dash_batch_state)


# Per-image values the pipeline's images row lacks, measured by us from the FITS header
# and pixels, plus the image's latest QA grade (revision 0007, decision 0033). Filters read
# COALESCE(images.x, dash_image_summary.x): the pipeline's value always wins. A NULL here
# means "not measured" (unreadable file, or the pipeline has the value already).
dash_image_summary = sa.Table(
    "dash_image_summary", dashboard_metadata,
    sa.Column("image_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("ra_deg", REAL),
    sa.Column("dec_deg", REAL),
    sa.Column("noise_jy", REAL),
    sa.Column("dynamic_range", REAL),
    # overall_quality of the image's latest image_qa row; "unknown" when never assessed.
    sa.Column("qa_grade", sa.Text),
    sa.Column("computed_at", REAL),
    # What measured the values: "<package> <version> <how>" (header, pixels, qa batch).
    sa.Column("engine", sa.Text),
    # Why a value could not be measured (the file's error), else NULL.
    sa.Column("error", sa.Text),
    sa.Index("dash_idx_image_summary_dec", "dec_deg"),
    sa.Index("dash_idx_image_summary_noise", "noise_jy"),
    sa.Index("dash_idx_image_summary_dr", "dynamic_range"),
    sa.Index("dash_idx_image_summary_grade", "qa_grade", "image_id"),
)

# How far dash_image_summary.qa_grade is complete: every image with id <= images_through
# has a row whose grade accounts for every image_qa row with id <= qa_through. Newer
# images and images with newer QA rows are graded from image_qa directly (decision 0034).
dash_image_summary_state = sa.Table(
    "dash_image_summary_state", dashboard_metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("images_through", sa.Integer, nullable=False),
    sa.Column("qa_through", sa.Integer, nullable=False),
    sa.Column("refreshed_at", REAL),
)

IMAGE_SUMMARY_TABLES = (dash_image_summary, dash_image_summary_state)


# Every `dsa110-dash worker` process (revision 0008), idle ones too: upserted at start,
# last_seen refreshed once per heartbeat interval, stopped_at set on a clean exit. A row
# whose last_seen is old and stopped_at NULL is a worker that died.
dash_workers = sa.Table(
    "dash_workers", dashboard_metadata,
    sa.Column("name", sa.Text, primary_key=True),   # host:pid, as in dash_job_state.worker
    sa.Column("host", sa.Text),
    sa.Column("pid", sa.Integer),
    sa.Column("started_at", REAL),
    sa.Column("last_seen", REAL),
    sa.Column("current_job_id", sa.Integer),        # a job one of its slots runs, else NULL
    sa.Column("stopped_at", REAL),
    sa.Index("dash_idx_workers_last_seen", "last_seen"),
)

WORKER_TABLES = (dash_workers,)


# People's verdicts on images (revision 0009, decision 0054): one row per flag, never
# updated or deleted, so the history stays; the newest row (created_at, id) of an image is
# its current flag. image_id is images.id (no foreign key: the pipeline's table is not ours
# to constrain, and a flag outlives a re-made images row only as history).
dash_image_flags = sa.Table(
    "dash_image_flags", dashboard_metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("image_id", sa.Integer, nullable=False),
    sa.Column("verdict", sa.Text, nullable=False),     # good, bad, unsure
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("user", sa.Text, nullable=False),        # signed-in user name, or cli:<os user>
    sa.Column("created_at", REAL, nullable=False),     # unix seconds
    sa.CheckConstraint("verdict IN ('good', 'bad', 'unsure')",
                       name="dash_ck_image_flags_verdict"),
    # The current flag of an image (and its history) from the index alone.
    sa.Index("dash_idx_image_flags_image", "image_id", "created_at", "id"),
)

IMAGE_FLAG_TABLES = (dash_image_flags,)


# The flux scale and astrometry of an image against the catalogue, measured by the qa
# batch beside the image_qa row it writes (revision 0010, decision 0058): image_qa has no
# columns for them. One row per image_qa row; NULL ratio and offset when no catalogue
# source of the image was detected.
dash_image_qa_catalogue = sa.Table(
    "dash_image_qa_catalogue", dashboard_metadata,
    sa.Column("image_qa_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("image_path", sa.Text, nullable=False),
    # Median of measured peak / NVSS flux over the matched sources.
    sa.Column("flux_scale_ratio", REAL),
    # Median distance, arcsec, between measured and catalogue positions.
    sa.Column("astrometry_offset_arcsec", REAL),
    # Catalogue sources inside the image's footprint, and those detected (>= 5 sigma).
    sa.Column("n_catalogue", sa.Integer),
    sa.Column("n_matched", sa.Integer),
    sa.Column("measured_at", REAL),
    sa.Index("dash_idx_image_qa_catalogue_path", "image_path", "measured_at"),
)

IMAGE_QA_EXTRA_TABLES = (dash_image_qa_catalogue,)

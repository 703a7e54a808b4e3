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

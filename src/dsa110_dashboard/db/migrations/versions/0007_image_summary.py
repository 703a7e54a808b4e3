"""Per-image summary: centre, noise and dynamic range measured where the pipeline's images
row has none, and the latest QA grade, so the /images filters see every image.

Our own tables (decision 0033), filled by `dsa110-dash image-summary` and the thumbnails
and QA batches; a database without them still reads (filters then use the pipeline's
columns only). Downgrade drops only these tables.

Revision ID: 0007_image_summary
Revises: 0006_job_queue
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from dsa110_dashboard.db.dashboard_schema import IMAGE_SUMMARY_TABLES
from dsa110_dashboard.db.migrations.helpers import create_missing_tables

revision = "0007_image_summary"
down_revision = "0006_job_queue"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Created with their indexes; left as they are when they exist already.
    create_missing_tables(op.get_bind(), IMAGE_SUMMARY_TABLES)


def downgrade() -> None:
    # Ours alone: dropping them loses only what `dsa110-dash image-summary` recomputes.
    for table in reversed(IMAGE_SUMMARY_TABLES):
        table.drop(op.get_bind(), checkfirst=True)

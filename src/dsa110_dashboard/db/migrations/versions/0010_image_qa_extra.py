"""Image QA against the catalogue: flux scale and astrometry of each measured image_qa row.

Our own table (decision 0058), written by the qa batch; image_qa has no columns for these
values. A database without it still runs the qa batch (the catalogue values are then not
kept). Downgrade drops only this table.

Revision ID: 0010_image_qa_extra
Revises: 0009_image_flags
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from dsa110_dashboard.db.dashboard_schema import IMAGE_QA_EXTRA_TABLES
from dsa110_dashboard.db.migrations.helpers import create_missing_tables

revision = "0010_image_qa_extra"
down_revision = "0009_image_flags"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_missing_tables(op.get_bind(), IMAGE_QA_EXTRA_TABLES)


def downgrade() -> None:
    # Ours alone: rerunning the qa batch measures the values again.
    for table in reversed(IMAGE_QA_EXTRA_TABLES):
        table.drop(op.get_bind(), checkfirst=True)

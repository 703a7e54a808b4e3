"""Workers: one row per `dsa110-dash worker` process, so idle workers are listed too.

Our own table, written by the workers themselves; a database without it keeps working
(workers record nothing, the queue lists only workers seen running something).
Downgrade drops only this table.

Revision ID: 0008_workers
Revises: 0007_image_summary
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

from dsa110_dashboard.db.dashboard_schema import WORKER_TABLES
from dsa110_dashboard.db.migrations.helpers import create_missing_tables

revision = "0008_workers"
down_revision = "0007_image_summary"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Created with its index; left as it is when it exists already.
    create_missing_tables(op.get_bind(), WORKER_TABLES)


def downgrade() -> None:
    # Ours alone: a worker re-creates its row when it next starts.
    for table in reversed(WORKER_TABLES):
        table.drop(op.get_bind(), checkfirst=True)

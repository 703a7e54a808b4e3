"""The job queue: per-job run state, state-change history, the audit log, batch runners.

Our additions to the pipeline's ``jobs`` and ``batch_jobs`` live in tables of our own
(decision 0037), so the pipeline's writer keeps working on an upgraded database and a
database without them still reads. Downgrade drops only these tables.

Revision ID: 0006_job_queue
Revises: 0003_variability_extra
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

from dsa110_dashboard.db.dashboard_schema import JOB_QUEUE_TABLES
from dsa110_dashboard.db.migrations.helpers import create_missing_tables

revision = "0006_job_queue"
down_revision = "0003_variability_extra"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_missing_tables(op.get_bind(), JOB_QUEUE_TABLES)


def downgrade() -> None:
    # The audit log goes with them: a downgrade is an operator's deliberate act.
    for table in reversed(JOB_QUEUE_TABLES):
        table.drop(op.get_bind(), checkfirst=True)

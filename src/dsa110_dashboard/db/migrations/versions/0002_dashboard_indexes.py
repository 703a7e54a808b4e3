"""Dashboard indexes on the pipeline's small tables (QA joins, cone search, filters).

Revision ID: 0002_dashboard_indexes
Revises: 0001_pipeline_baseline
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

from dsa110_dashboard.db.dashboard_schema import DASHBOARD_INDEXES
from dsa110_dashboard.db.migrations.helpers import create_missing_indexes, drop_indexes

revision = "0002_dashboard_indexes"
down_revision = "0001_pipeline_baseline"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_missing_indexes(op.get_bind(), DASHBOARD_INDEXES)


def downgrade() -> None:
    drop_indexes(op.get_bind(), [name for name, _, _ in DASHBOARD_INDEXES])

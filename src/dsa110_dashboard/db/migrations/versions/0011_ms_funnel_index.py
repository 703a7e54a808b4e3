"""The measurement-set funnel from one covering index on ms_index (stage, status and the
two times the stuck rule reads); decision 0076.

Revision ID: 0011_ms_funnel_index
Revises: 0010_image_qa_extra
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from dsa110_dashboard.db.dashboard_schema import MS_FUNNEL_INDEXES
from dsa110_dashboard.db.migrations.helpers import create_missing_indexes, drop_indexes

revision = "0011_ms_funnel_index"
down_revision = "0010_image_qa_extra"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_missing_indexes(op.get_bind(), MS_FUNNEL_INDEXES)


def downgrade() -> None:
    drop_indexes(op.get_bind(), [name for name, _, _ in MS_FUNNEL_INDEXES])

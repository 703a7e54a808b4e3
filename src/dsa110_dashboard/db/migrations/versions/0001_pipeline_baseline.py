"""Baseline: the pipeline's own schema, created where it is missing.

On an existing pipeline database this only adds the tables and indexes it lacks; it never
drops, renames or alters a pipeline table or column. Downgrading past it removes nothing:
the pipeline's tables belong to the pipeline.

Revision ID: 0001_pipeline_baseline
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

from dsa110_dashboard.db.migrations.helpers import create_missing_tables
from dsa110_dashboard.db.schema import metadata

revision = "0001_pipeline_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A table created here comes with its indexes; an existing table is left as it is.
    create_missing_tables(op.get_bind(), metadata.tables.values())


def downgrade() -> None:
    pass

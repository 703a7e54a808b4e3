"""Our own variability statistics table: V, weighted mean, two-epoch Vs/m, QA exclusions.

The pipeline's variability_stats has no V column and we never alter pipeline columns,
so the extra statistics live in ``dash_variability`` (filled by
``dsa110-dash variability``). Downgrade drops only this table.

Revision ID: 0003_variability_extra
Revises: 0002_dashboard_indexes
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

from dsa110_dashboard.db.dashboard_schema import dash_variability
from dsa110_dashboard.db.migrations.helpers import create_missing_tables

revision = "0003_variability_extra"
down_revision = "0002_dashboard_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Created with its eta and v indexes; left as it is when it exists already.
    create_missing_tables(op.get_bind(), [dash_variability])


def downgrade() -> None:
    # The table is ours alone: dropping it loses only what `dsa110-dash variability`
    # can recompute.
    dash_variability.drop(op.get_bind(), checkfirst=True)

"""People's flags on images: good / bad / unsure with a note, who and when, history kept.

Our own table (decision 0054); a database without it keeps working (images show no flags,
statistics leave nothing out for flags, and flagging says the table is missing).
Downgrade drops only this table -- and with it the flags people made, so it is never run
by anything but an operator's `dsa110-dash db downgrade`.

Revision ID: 0009_image_flags
Revises: 0008_workers
Create Date: 2026-12-07
"""

from __future__ import annotations

from alembic import op

from dsa110_dashboard.db.dashboard_schema import IMAGE_FLAG_TABLES
from dsa110_dashboard.db.migrations.helpers import create_missing_tables

revision = "0009_image_flags"
down_revision = "0008_workers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Created with its index; left as it is when it exists already.
    create_missing_tables(op.get_bind(), IMAGE_FLAG_TABLES)


def downgrade() -> None:
    for table in reversed(IMAGE_FLAG_TABLES):
        table.drop(op.get_bind(), checkfirst=True)

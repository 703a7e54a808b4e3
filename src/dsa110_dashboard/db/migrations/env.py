"""Alembic environment: runs on the connection the dashboard's ``migrate`` module hands in."""

from __future__ import annotations

from alembic import context

from dsa110_dashboard.db.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata,
                  render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()

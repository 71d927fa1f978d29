"""Alembic environment: runs the revisions on the connection `migrations.upgrade` hands over.

Only `salesops db upgrade` / `db init` (or `salesops_pipeline.core.db.migrations.upgrade`) run
migrations: they hold the upgrade lock and pass the connection in. There is no offline (--sql)
mode: revisions run SQL files whose DO blocks look at the live catalog.
"""

from __future__ import annotations

from alembic import context

from salesops_pipeline.core.db.migrations import VERSION_TABLE_SCHEMA, MigrationFailed

connection = context.config.attributes.get("connection")
if context.is_offline_mode() or connection is None:
    raise MigrationFailed("run migrations with `salesops db upgrade`, not the alembic command")

context.configure(
    connection=connection,
    version_table_schema=VERSION_TABLE_SCHEMA,
    transaction_per_migration=True,  # each revision commits alone, with its version row
    on_version_apply=context.config.attributes.get("on_version_apply"),
)
with context.begin_transaction():
    context.run_migrations()

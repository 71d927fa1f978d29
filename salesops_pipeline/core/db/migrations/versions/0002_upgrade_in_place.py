"""In-place upgrades of databases made before Alembic (no-op on one made at 0001).

Before Alembic, sql/01 and 03 ran on every start and upgraded older layouts in place: a plain
fact table becomes the partitioned one (every row and id kept), the import-status CHECK gets
every status, columns added since (withdrawn_at, rows_skipped, sheets, source_sheet) are added
and backfilled. That code moved here. Each step first looks whether it is due, so it is
idempotent: a database from before Alembic is stamped at 0001 and then runs this revision.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from salesops_pipeline.core.db.migrations import BASELINE_FILES, run_sql_file

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0002_move_facts_aside.sql")
    for name in BASELINE_FILES:  # IF NOT EXISTS: creates only the tables an older database lacks
        run_sql_file(name)
    run_sql_file("migrations/0002_upgrade_in_place.sql")

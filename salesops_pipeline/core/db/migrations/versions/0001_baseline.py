"""Baseline: the schema as a fresh database gets it (sql/01, 03 and 04).

It is the schema `salesops db init` applied before Alembic; a database made then is stamped at
this revision instead of running it.

Revision ID: 0001
Revises: (none)
"""

from __future__ import annotations

from salesops_pipeline.core.db.migrations import BASELINE_FILES, run_sql_file

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in BASELINE_FILES:
        run_sql_file(name)

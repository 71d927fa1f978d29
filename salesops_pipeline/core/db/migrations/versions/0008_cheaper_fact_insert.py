"""Staged amounts typed like the facts' (numeric(24, 6)) and a cached line-id sequence: the fact
insert no longer rounds three values and visits the sequence per line (see the SQL file).

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from salesops_pipeline.core.db.migrations import run_sql_file

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0008_cheaper_fact_insert.sql")

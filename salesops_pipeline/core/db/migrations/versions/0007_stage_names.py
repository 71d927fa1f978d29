"""Staged names per dimension (``stage_name``), so the dimension upserts read a file's distinct
names, spooled by the parse, instead of scanning its staged lines; versions staged before this
revision get theirs from their lines.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from salesops_pipeline.core.db.migrations import run_sql_file

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0007_stage_names.sql")

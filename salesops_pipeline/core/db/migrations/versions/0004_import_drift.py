"""Drift reported back to the sender: the import log records how each import's header changed.

A jsonb column ``import_log.drift`` (core/load/drift.py writes it when a version is staged):
the columns new, missing, renamed through an alias or moved, and a changed date order or
decimal separator, against the file's last loaded version and the usual header of its folder.
Imports made before keep NULL (nothing was recorded to compare); their ``sheets`` lack the
header shape, so they are not used as references either.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from salesops_pipeline.core.db.migrations import run_sql_file

revision = "0004"
down_revision: str | None = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0004_import_drift.sql")

"""Restatements and report history: what changed in figures already reported, and the report
tables as they stood at any moment since this revision.

Adds the file changes a refresh has still to account for (``report_change``), the weeks the
weekly job exported or e-mailed (``report_week_sent``), the restatement log (``restatement``,
``restatement_figure``, ``restatement_file``) and, for ``as_of`` reads, the replaced rows of the
six report tables (``*_history``), the time each day was last rewritten (``report_day_version``)
and one ``*_as_of(timestamptz)`` function per report table. Nothing existing changes; history
starts with this revision (see core/report/history.py).

Written in parallel with revision 0004 (another branch): at merge it is re-chained onto it.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from salesops_pipeline.core.db.migrations import run_sql_file

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0005_restatements.sql")

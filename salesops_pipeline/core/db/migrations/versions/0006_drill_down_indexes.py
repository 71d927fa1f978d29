"""Indexes for the drill-down from every report figure to its lines (/reports/lines).

Filtered by shipping company, or by a data-quality rule, the lines endpoint read the period's
every line; these indexes make each filter an index scan on a warehouse of millions of lines:
(shipping_company_id, sold_at), and partial indexes on sold_at for the non-positive-units and
negative-amount rules and for the lines with any price gap (the mismatched-total rule). Built on
the partitioned fact table, so every partition has them. Building them takes a share lock on the
facts (imports wait; on a 10M-line warehouse about 30 s on two cores).

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from salesops_pipeline.core.db.migrations import run_sql_file

revision = "0006"
down_revision: str | None = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    run_sql_file("migrations/0006_drill_down_indexes.sql")

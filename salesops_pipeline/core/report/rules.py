"""The data-quality rules, each declared once.

Everything that names a rule takes it from here: the asset checks (defs/checks.py), the report
refresh (refresh_sql fills the expressions and count columns into sql/queries/refresh_reports.sql),
the report queries and export columns (COUNT_COLUMNS), the weekly summary's labels. What is
better written out by hand, the report table DDL and the API's response models, is compared
with this registry by tests (salesops_pipeline_tests/core/report/test_rules.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "COUNT_COLUMNS",
    "FACT_RULES",
    "MISMATCHED_TOTAL",
    "QUARANTINED_ROWS",
    "RULES",
    "RULE_NAMES",
    "Rule",
    "Severity",
]


class Severity(StrEnum):
    """How bad a crossed threshold is; ERROR blocks the report refresh of the run."""

    WARN = "warn"
    ERROR = "error"


@dataclass(frozen=True)
class Rule:
    """One data-quality rule: what it flags, where its daily count lives, how it is named.

    ``sql`` is a boolean expression over a fact line aliased ``f`` (``%(tolerance)s`` is the
    bound price tolerance); None for the one rule counted from the quarantine instead
    (rows of loaded files that could not be parsed). Expressions are fixed text from code,
    never input.
    """

    name: str
    """Check name in Dagster and key in SALESOPS_RULE_THRESHOLDS."""
    sql: str | None
    description: str
    count_column: str
    """Column of salesops.report_daily_quality and field of the API's data-quality counts."""
    sample_rule: str
    """`rule` of salesops.report_quality_sample and of the API's samples."""
    label: str
    """Short plural phrase for people (the weekly summary)."""
    severity: Severity = Severity.WARN
    """Severity of a hit when no threshold is configured (warn above 0)."""


MISMATCHED_TOTAL = Rule(
    "mismatched_total",
    "abs(f.total_price - round(f.unit_price * f.units, 2)) > %(tolerance)s",
    "total_price differs from round(unit_price × units, 2) beyond tolerance",
    "mismatched_total_count", "mismatched_total", "mismatched totals")
NONPOSITIVE_UNITS = Rule(
    "nonpositive_units", "f.units <= 0", "units ≤ 0",
    "nonpositive_units_count", "nonpositive_units", "non-positive units")
NEGATIVE_AMOUNT = Rule(
    "negative_amount", "(f.unit_price < 0 OR f.total_price < 0)",
    "unit_price < 0 or total_price < 0",
    "negative_amount_count", "negative_amount", "negative amounts")
MISSING_SHIPPING_COMPANY = Rule(
    "missing_shipping_company", "f.shipping_company_id IS NULL", "no shipping company",
    "missing_shipping_company_count", "missing_shipping_company", "missing shipping company")
QUARANTINED_ROWS = Rule(
    "quarantined_rows", None, "rows of loaded files that could not be parsed (quarantined)",
    "rejected_row_count", "rejected_row", "rejected rows")

#: The rules over fact lines (each has ``sql``), in report column order.
FACT_RULES: tuple[Rule, ...] = (MISMATCHED_TOTAL, NONPOSITIVE_UNITS, NEGATIVE_AMOUNT,
                                MISSING_SHIPPING_COMPANY)
#: Every rule, in the order checks, report columns and API counts list them.
RULES: tuple[Rule, ...] = (*FACT_RULES, QUARANTINED_ROWS)
RULE_NAMES: tuple[str, ...] = tuple(r.name for r in RULES)
#: The per-rule count columns of salesops.report_daily_quality (and of the API's counts).
COUNT_COLUMNS: tuple[str, ...] = tuple(r.count_column for r in RULES)


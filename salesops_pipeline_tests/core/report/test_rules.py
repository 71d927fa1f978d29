"""The rule registry is the one list of data-quality rules: what is generated from it says so,
and what is written out by hand (DDL, API models, dashboard) is compared with it here."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import salesops_pipeline
from salesops_pipeline.api.schemas import DataQualityRow, QualityCounts, QualityRule
from salesops_pipeline.core.report.queries import quality_counts
from salesops_pipeline.core.report.refresh import refresh_sql
from salesops_pipeline.core.report.rules import COUNT_COLUMNS, FACT_RULES, RULE_NAMES, RULES
from salesops_pipeline.core.report.week_files import COLUMNS
from salesops_pipeline.core.report.weekly_workbook import QUALITY_LABELS
from salesops_pipeline.defs.checks import data_quality_rules
from salesops_pipeline.defs.table_schemas import COLUMNS as TABLE_COLUMNS

PACKAGE = Path(salesops_pipeline.__file__).parent
WANT_NAMES = ["mismatched_total", "nonpositive_units", "negative_amount",
              "missing_shipping_company", "quarantined_rows"]
WANT_COUNTS = ["mismatched_total_count", "nonpositive_units_count", "negative_amount_count",
               "missing_shipping_company_count", "rejected_row_count"]
WANT_SAMPLE_RULES = ["mismatched_total", "nonpositive_units", "negative_amount",
                     "missing_shipping_company", "rejected_row"]


def test_the_registry_holds_the_documented_rules_with_plain_names() -> None:
    assert list(RULE_NAMES) == WANT_NAMES and list(COUNT_COLUMNS) == WANT_COUNTS
    assert [r.sample_rule for r in RULES] == WANT_SAMPLE_RULES
    for attribute in ("name", "count_column", "sample_rule", "label"):
        values = [getattr(r, attribute) for r in RULES]
        assert len(set(values)) == len(values), attribute
    for r in RULES:  # names become SQL identifiers and literals in the refresh
        assert re.fullmatch(r"[a-z_]+", r.name) and re.fullmatch(r"[a-z_]+", r.count_column)
        assert re.fullmatch(r"[a-z_]+", r.sample_rule)
    assert all(r.sql for r in FACT_RULES) and [r for r in RULES if not r.sql] == [RULES[-1]]


def test_report_table_ddl_has_one_count_column_per_rule(sql) -> None:
    columns = [c for (c,) in sql(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'salesops'"
        " AND table_name = 'report_daily_quality' ORDER BY ordinal_position")]
    assert [c for c in columns if c.endswith("_count") and c != "line_count"] == WANT_COUNTS
    (check,) = sql("SELECT pg_get_constraintdef(oid) FROM pg_constraint"
                   " WHERE conrelid = 'salesops.report_quality_sample'::regclass AND contype = 'c'"
                   " AND pg_get_constraintdef(oid) LIKE '%%rule%%'")
    assert sorted(re.findall(r"'([a-z_]+)'::text", check[0])) == sorted(WANT_SAMPLE_RULES)


def test_dagster_column_schema_lists_the_count_columns() -> None:
    names = [c[0] for c in TABLE_COLUMNS["report_daily_quality"]]
    assert [c for c in names if c.endswith("_count") and c != "line_count"] == WANT_COUNTS


def test_api_models_have_one_field_per_rule() -> None:
    assert list(QualityCounts.model_fields) == WANT_COUNTS
    assert set(WANT_COUNTS) <= set(DataQualityRow.model_fields)
    assert list(typing.get_args(QualityRule)) == WANT_SAMPLE_RULES


def test_dashboard_lists_every_rule() -> None:
    script = (PACKAGE / "api" / "dashboard" / "app.js").read_text()
    block = re.search(r"const RULES = \[(.*?)\];", script, re.S)
    assert block is not None
    assert re.findall(r'\["([a-z_]+)",', block[1]) == WANT_SAMPLE_RULES


def test_checks_exports_and_summary_come_from_the_registry() -> None:
    assert sorted(k.name for k in data_quality_rules.check_keys) == sorted(WANT_NAMES)
    assert COLUMNS["data_quality"] == ["week_start", "status", *WANT_COUNTS, "tolerance"]
    assert list(QUALITY_LABELS) == WANT_COUNTS


def test_refresh_sql_fills_in_every_rule() -> None:
    text = refresh_sql()
    assert "/*RULE" not in text
    for r in FACT_RULES:
        assert f"{r.sql} AS {r.name}" in text
        assert f"AS {r.count_column}" in text and f"('{r.sample_rule}', f.{r.name})" in text
    assert "rejected_row_count" in text and "'rejected_row'" in text


class _Recorder:
    def __init__(self) -> None:
        self.query = ""

    def fetch(self, query: str, params: dict | None = None) -> list[dict]:
        self.query = query
        return [{}]


def test_report_query_sums_each_count_column() -> None:
    recorder = _Recorder()
    quality_counts(recorder, start=None, end=None, default_tolerance=None)  # type: ignore[arg-type]
    assert re.findall(r"AS (\w+_count)", recorder.query) == WANT_COUNTS

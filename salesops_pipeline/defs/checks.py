"""Asset checks: business rules (WARN or ERROR per SALESOPS_RULE_THRESHOLDS, blocking) and
integrity (ERROR, blocking) on the facts, report reconciliation on the reports; import
freshness (defs/freshness.py, also run hourly) is listed in ``all_checks`` with them.
A blocking check failing with ERROR stops the report refresh in the same run.

On an ingest run the fact checks look at that run's files only (one file, or the batch of new
files one sensor tick saw); in the report and weekly jobs (no file partition) they look at the
whole warehouse.
"""

from collections.abc import Iterator

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    TimeWindowPartitionsDefinition,
    asset_check,
    multi_asset_check,
)

from salesops_pipeline.core.load import control_totals
from salesops_pipeline.core.report import quality
from salesops_pipeline.core.report.rules import QUARANTINED_ROWS, RULES, Rule, Severity
from salesops_pipeline.core.report.thresholds import Thresholds, judge, share_text
from salesops_pipeline.defs.figure_checks import business_figures
from salesops_pipeline.defs.freshness import import_freshness
from salesops_pipeline.defs.ingest import fact_sales_line
from salesops_pipeline.defs.metadata import MetadataItem, control_totals_table
from salesops_pipeline.defs.resources import QualityResource, WarehouseResource

WHOLE_WAREHOUSE = "whole warehouse"
"""The ``scope`` of a check that looked at every file (report and weekly jobs)."""
INTEGRITY_DESCRIPTIONS = {
    "no_duplicate_source_rows":
        "each (source_file, source_sheet, source_row_number) is loaded once",
    "no_orphan_keys": "every product, seller, shipping company and import key exists",
    "import_counts_match": "each loaded file version's logged row count equals its fact rows",
}


def _scope(context: AssetCheckExecutionContext) -> list[str] | None:
    op = context.op_execution_context
    if isinstance(op.job_def.partitions_def, TimeWindowPartitionsDefinition):
        return None  # a weekly run: its partition is a week, not a file
    if op.has_partition_key or op.has_partition_key_range:
        return list(op.partition_keys)
    return None


def _result(name: str, finding: quality.Finding, severity: AssetCheckSeverity,
            scope: list[str] | None, **extra: MetadataItem) -> AssetCheckResult:
    return AssetCheckResult(
        check_name=name, asset_key=fact_sales_line.key, passed=finding.count == 0,
        severity=severity,
        metadata={"count": finding.count, "scope": _describe(scope),
                  "samples": MetadataValue.json(_jsonable(finding.samples)), **extra})


def _describe(scope: list[str] | None) -> str:
    if scope is None:
        return WHOLE_WAREHOUSE
    return scope[0] if len(scope) == 1 else f"{len(scope)} files: {', '.join(scope[:5])}" + (
        " …" if len(scope) > 5 else "")


def _jsonable(rows: list[dict[str, object]]) -> list[dict[str, object]]:
    return [{k: v if isinstance(v, int | str | None) else str(v) for k, v in r.items()}
            for r in rows]


@multi_asset_check(
    specs=[AssetCheckSpec(r.name, asset=fact_sales_line, description=r.description,
                          blocking=True) for r in RULES],
)
def data_quality_rules(context: AssetCheckExecutionContext, warehouse: WarehouseResource,
                       quality_settings: QualityResource) -> Iterator[AssetCheckResult]:
    """The business rules: rows are loaded, then flagged here with samples to fix at the source.

    Each file is judged against the rule's thresholds; a file over the error threshold makes
    the check an ERROR, which (blocking) keeps the reports from refreshing in this run."""
    scope = _scope(context)
    thresholds = quality_settings.thresholds
    with warehouse.connection() as conn, conn.cursor() as cur:
        findings = quality.rule_findings(cur, tolerance=quality_settings.tolerance,
                                         source_files=scope)
        findings[QUARANTINED_ROWS.name] = quality.quarantined(cur, source_files=scope)
    for rule in RULES:
        yield _rule_result(rule, findings[rule.name], thresholds[rule.name], scope,
                           tolerance=str(quality_settings.tolerance))


def _rule_result(rule: Rule, finding: quality.RuleFinding, thresholds: Thresholds,
                 scope: list[str] | None, *, tolerance: str) -> AssetCheckResult:
    verdict = judge(thresholds, finding.files)
    over = [{"source_file": f.source_file, "lines": f.lines, "count": f.count, "share": f.share}
            for f in verdict.files[:20]]
    return AssetCheckResult(
        check_name=rule.name, asset_key=fact_sales_line.key, passed=verdict.severity is None,
        severity=(AssetCheckSeverity.ERROR if verdict.severity is Severity.ERROR
                  else AssetCheckSeverity.WARN),
        description=None if verdict.severity is None else verdict.crossed,
        metadata={"count": finding.count, "lines_checked": finding.lines,
                  "share": share_text(finding.count, finding.lines),
                  "warn_threshold": f"> {thresholds.warn}",
                  "error_threshold": ("none" if thresholds.error is None
                                      else f"> {thresholds.error}"),
                  "crossed": verdict.crossed, "files_over_threshold": len(verdict.files),
                  "files": MetadataValue.json(over), "scope": _describe(scope),
                  "tolerance": tolerance,
                  "samples": MetadataValue.json(_jsonable(finding.samples))})


@multi_asset_check(
    specs=[AssetCheckSpec(name, asset=fact_sales_line, description=text, blocking=True)
           for name, text in INTEGRITY_DESCRIPTIONS.items()],
)
def integrity(context: AssetCheckExecutionContext, warehouse: WarehouseResource
              ) -> Iterator[AssetCheckResult]:
    """What must never happen; ERROR severity blocks downstream assets in the same run."""
    scope = _scope(context)
    with warehouse.connection() as conn, conn.cursor() as cur:
        yield _result("no_duplicate_source_rows",
                      quality.duplicate_source_rows(cur, source_files=scope),
                      AssetCheckSeverity.ERROR, scope)
        yield _result("no_orphan_keys", quality.orphan_keys(cur, source_files=scope),
                      AssetCheckSeverity.ERROR, scope)
        yield _result("import_counts_match",
                      quality.import_count_mismatches(cur, source_files=scope),
                      AssetCheckSeverity.ERROR, scope)


@asset_check(asset="report_weekly_summary", blocking=True,
             description="Report totals equal the fact table, to the cent, for refreshed weeks.")
def reports_reconcile(warehouse: WarehouseResource) -> AssetCheckResult:
    with warehouse.connection() as conn, conn.cursor() as cur:
        cur.execute("SELECT mode, weeks FROM salesops.report_refresh"
                    " ORDER BY refresh_id DESC LIMIT 1")
        last = cur.fetchone()
        weeks = None if last is None or last[0] == "full" else list(last[1])
        finding = quality.report_mismatches(cur, weeks=weeks)
    return AssetCheckResult(
        passed=finding.count == 0, severity=AssetCheckSeverity.ERROR,
        metadata={"weeks_checked": "all" if weeks is None else len(weeks),
                  "mismatched_weeks": finding.count,
                  "samples": MetadataValue.json(_jsonable(finding.samples))})


@asset_check(asset=fact_sales_line,
             description="Each total a file states (grand total, subtotals) equals the sum of "
                         "the lines loaded from the rows it covers, exactly.")
def control_totals_match(context: AssetCheckExecutionContext,
                         warehouse: WarehouseResource) -> AssetCheckResult:
    """WARN: a file that does not reconcile with itself lost lines to quarantine (listed) or
    states wrong totals; the loaded lines are still the file's lines."""
    scope = _scope(context)
    with warehouse.connection() as conn, conn.cursor() as cur:
        totals = control_totals.of_loaded_files(cur, scope)
    mismatched = [t for t in totals if not t.reconciles]
    return AssetCheckResult(
        passed=not mismatched, severity=AssetCheckSeverity.WARN,
        metadata={"scope": _describe(scope), "stated_totals": len(totals),
                  "reconciling": len(totals) - len(mismatched), "mismatched": len(mismatched),
                  "files_with_totals": len({t.source_file for t in totals}),
                  "totals": control_totals_table((mismatched + [t for t in totals
                                                                if t.reconciles])[:50])})


all_checks = [data_quality_rules, integrity, import_freshness, reports_reconcile,
              control_totals_match, business_figures]

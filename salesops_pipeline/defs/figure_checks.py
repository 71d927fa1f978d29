"""Business-figure checks: the week's revenue in total, per seller and per product against its
trailing weeks (core/report/anomalies.py), WARN by default (SALESOPS_FIGURE_THRESHOLDS).

They run with the report refresh (every job that refreshes the reports selects the report
assets' checks): in the weekly job they judge that job's week, elsewhere the last complete
week. Not blocking: an unusual week is news, not an error in the data. Each finding carries its
figures in the ``findings`` metadata, and the check-alert sensor sends one alert per finding,
not again while the week's finding is unchanged (defs/alerts.py, core/notify/check_cursor.py).
"""

from collections.abc import Iterator
from datetime import date

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    MetadataValue,
    multi_asset_check,
)

from salesops_pipeline.core.report import weeks
from salesops_pipeline.core.report.anomalies import (
    TRAILING_WEEKS,
    FigureFinding,
)
from salesops_pipeline.core.report.figure_series import figure_findings
from salesops_pipeline.core.report.figures import money_text
from salesops_pipeline.core.report.rules import Severity
from salesops_pipeline.defs.resources import FigureResource, WarehouseResource

#: check name → (scope of core/report/anomalies.py, the report asset it judges)
FIGURE_CHECKS = {
    "unusual_week_total": ("total", "report_weekly_summary"),
    "unusual_seller_weeks": ("seller", "report_seller_ranking"),
    "unusual_product_weeks": ("product", "report_top_products"),
}


def judged_week(context: AssetCheckExecutionContext, timezone: str) -> date:
    """The weekly job's week (its partition key), else the last complete week."""
    op = context.op_execution_context
    if op.has_partition_key:
        week = weeks.week_of_key(op.partition_key)
        if week is not None:
            return week
    return weeks.last_complete_week(timezone)


def finding_figures(found: FigureFinding) -> dict[str, str]:
    """A finding's figures as text, exact, money as people write it (what the alert shows)."""
    return {"name": found.name, "kind": found.kind, "week": found.week.isoformat(),
            "revenue": money_text(found.revenue), "median": money_text(found.median),
            "spread": money_text(found.spread), "weeks_with_sales": str(found.weeks_with_sales),
            "change_pct": "" if found.change_pct is None else f"{found.change_pct:f}"}


@multi_asset_check(
    specs=[AssetCheckSpec(name, asset=asset, blocking=False,
                          description=f"The week's {scope} revenue against the median and spread "
                                      f"of its last {TRAILING_WEEKS} weeks: a drop, a jump or "
                                      "a usual seller or product selling nothing")
           for name, (scope, asset) in FIGURE_CHECKS.items()],
)
def business_figures(context: AssetCheckExecutionContext, warehouse: WarehouseResource,
                     figure_settings: FigureResource) -> Iterator[AssetCheckResult]:
    """One result per scope, each finding with its figures."""
    week = judged_week(context, figure_settings.timezone)
    limits = figure_settings.limits
    with warehouse.connection() as conn, conn.cursor() as cur:
        found = {name: figure_findings(cur, scope, week, limits[scope])
                 for name, (scope, _asset) in FIGURE_CHECKS.items()}
    for name, (scope, asset) in FIGURE_CHECKS.items():
        findings = found[name]
        error = limits[scope].severity is Severity.ERROR
        yield AssetCheckResult(
            check_name=name, asset_key=asset, passed=not findings,
            severity=AssetCheckSeverity.ERROR if error else AssetCheckSeverity.WARN,
            description="; ".join(f.text() for f in findings[:5]) or None,
            metadata={"week": week.isoformat(), "unusual": len(findings),
                      "limits": str(limits[scope]),
                      "findings": MetadataValue.json([finding_figures(f) for f in findings])})

"""Report assets: the five report tables, refreshed together in one transaction.

They sit downstream of every file's facts. A refresh recomputes only the days that imports
touched (or everything with `full_rebuild: true`), so readers never see a half-refreshed report.
"""

from collections.abc import Iterator
from datetime import date

from dagster import (
    AssetExecutionContext,
    AssetSelection,
    AssetSpec,
    Config,
    MaterializeResult,
    MetadataValue,
    define_asset_job,
    in_process_executor,
    multi_asset,
)

from salesops_pipeline.core.report.refresh import RefreshResult, refresh
from salesops_pipeline.defs.ingest import fact_sales_line
from salesops_pipeline.defs.logs import RUN_CONFIG
from salesops_pipeline.defs.metadata import MetadataItem
from salesops_pipeline.defs.report_metadata import latest_week_metadata, weekly_revenue_chart
from salesops_pipeline.defs.resources import QualityResource, WarehouseResource
from salesops_pipeline.defs.restatement_alerts import alert_restatements
from salesops_pipeline.defs.retry import retry_transient_db_errors
from salesops_pipeline.defs.table_schemas import OWNERS, table_metadata
from salesops_pipeline.defs.tags import KIND_TAG

REPORT_GROUP = "reports"
REPORT_ASSETS = {
    "report_weekly_summary": ("report_daily_sales", "Revenue, units and lines per ISO week."),
    "report_seller_ranking": ("report_daily_seller", "Revenue per seller, ranked."),
    "report_top_products": ("report_daily_product", "Revenue and units per product."),
    "report_shipping_breakdown": ("report_daily_shipping",
                                  "Revenue per shipping company ('UNKNOWN' when missing)."),
    "report_data_quality": ("report_daily_quality", "Data-quality rule counts per day."),
}


class ReportRefreshConfig(Config):
    full_rebuild: bool = False
    """Recompute every day instead of only the days imports touched."""
    weeks: list[str] = []
    """ISO dates (any day of the week) of weeks to recompute as well; the weekly job sets it."""


@multi_asset(
    specs=[AssetSpec(name, deps=[fact_sales_line], group_name=REPORT_GROUP, kinds={"postgres"},
                     description=f"{text} Daily grain in salesops.{table}.", owners=OWNERS,
                     tags={"domain": "sales", "layer": "report"}, metadata=table_metadata(table))
           for name, (table, text) in REPORT_ASSETS.items()],
    can_subset=False,
)
def sales_reports(context: AssetExecutionContext, config: ReportRefreshConfig,
                  warehouse: WarehouseResource, quality_settings: QualityResource
                  ) -> Iterator[MaterializeResult]:
    with retry_transient_db_errors(), warehouse.connection() as conn:
        result = refresh(conn, tolerance=quality_settings.tolerance, full=config.full_rebuild,
                         weeks=[date.fromisoformat(w) for w in config.weeks],
                         run_id=context.run_id)
    context.log.info(f"{result.mode} refresh: {len(result.days)} day(s) in "
                     f"{len(result.weeks)} week(s) rewritten in {result.seconds:.2f}s")
    if result.restated:
        context.log.warning(f"restated {len(result.restated)} week(s) already in the reports: "
                            + ", ".join(str(r.week) for r in result.restated))
    if any(r.reported for r in result.restated):
        alert_restatements(warehouse, run_id=context.run_id, log=context.log.info)
    with warehouse.connection() as conn, conn.cursor() as cur:
        common = _common_metadata(result)
        for name, (table, _text) in REPORT_ASSETS.items():
            cur.execute(f"SELECT count(*) FROM salesops.{table}")  # fixed names, not input
            row = cur.fetchone()
            assert row is not None, "SELECT count(*) returns one row"
            metadata = {**common, "dagster/row_count": row[0]}
            if name == "report_weekly_summary":
                metadata.update(latest_week_metadata(cur))
                metadata["weekly_revenue"] = MetadataValue.md(weekly_revenue_chart(cur))
            yield MaterializeResult(asset_key=name, metadata=metadata)


def _common_metadata(result: RefreshResult) -> dict[str, MetadataItem]:
    return {
        "mode": result.mode,
        "days_refreshed": len(result.days),
        "weeks_refreshed": MetadataValue.json([w.isoformat() for w in result.weeks]),
        "refresh_id": result.refresh_id or 0,
        "duration_s": round(result.seconds, 3),
    }


reports_job = define_asset_job(
    "refresh_reports",
    selection=AssetSelection.assets(sales_reports) | AssetSelection.checks_for_assets(
        fact_sales_line),
    tags={KIND_TAG: "reports"}, config=RUN_CONFIG,  # JSON run logs when asked (defs/logs.py)
    executor_def=in_process_executor,  # short SQL steps: one process, no per-step start-up
    description="Refresh the report tables for the days imports touched, then run all checks.",
)

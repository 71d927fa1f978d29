"""Nightly maintenance: fresh statistics, leftover staging and retired partitions removed, old
run history pruned.

Tick history is pruned by Dagster itself (`retention:` in dagster.yaml); runs older than
`history_days` are deleted here through the instance API, never by touching its tables.
"""

from datetime import UTC, datetime, timedelta

from dagster import Config, OpExecutionContext, RunsFilter, job, op

from salesops_pipeline.core.load import partitions, staging
from salesops_pipeline.core.load.import_log import ImportStatus
from salesops_pipeline.defs.logs import RUN_CONFIG
from salesops_pipeline.defs.resources import WarehouseResource
from salesops_pipeline.defs.tags import KIND_TAG

TABLES = ("fact_sales_line", "dim_product", "dim_seller", "dim_shipping_company", "import_log",
          "rejected_row", "report_daily_sales", "report_daily_seller", "report_daily_product",
          "report_daily_shipping", "report_daily_quality", "report_quality_sample")


class MaintenanceConfig(Config):
    history_days: int = 90
    """Dagster runs older than this many days are deleted (with their event logs)."""
    stale_staging_hours: int = 24
    """Staging rows of imports that stopped (failed/running) this long ago are dropped."""


@op(description="ANALYZE the warehouse; drop staging rows of abandoned imports and retired "
                "fact partitions.")
def analyze_warehouse(context: OpExecutionContext, config: MaintenanceConfig,
                      warehouse: WarehouseResource) -> None:
    with warehouse.connection() as conn, conn.cursor() as cur:
        dropped_rows = 0
        for table in staging.UNTIL_PUBLISHED:  # fixed identifiers
            cur.execute(
                f"DELETE FROM salesops.{table} s USING salesops.import_log i"
                " WHERE s.import_id = i.import_id AND i.status = ANY(%s)"
                " AND i.started_at < now() - make_interval(hours => %s)",
                ([ImportStatus.FAILED, ImportStatus.RUNNING, ImportStatus.REJECTED],
                 config.stale_staging_hours))
            dropped_rows += cur.rowcount
        context.log.info(f"dropped {dropped_rows} abandoned staging row(s)")
    with warehouse.connection(autocommit=True) as conn:
        dropped = partitions.retire(conn)
    context.log.info(f"dropped {len(dropped)} retired fact table(s) {', '.join(dropped)}".strip())
    with warehouse.connection(autocommit=True) as conn, conn.cursor() as cur:
        for table in TABLES:  # fixed identifiers, not input
            cur.execute(f"ANALYZE salesops.{table}")
    context.log.info(f"analyzed {len(TABLES)} tables")


@op(description="Delete Dagster runs (and their event logs) older than history_days.")
def prune_run_history(context: OpExecutionContext, config: MaintenanceConfig) -> None:
    cutoff = datetime.now(UTC) - timedelta(days=config.history_days)
    instance = context.instance
    deleted = 0
    while True:
        records = instance.get_run_records(RunsFilter(created_before=cutoff), limit=500)
        old = [r.dagster_run.run_id for r in records if r.dagster_run.is_finished]
        for run_id in old:
            instance.delete_run(run_id)
        deleted += len(old)
        if len(records) < 500 or not old:
            break
    context.log.info(f"deleted {deleted} run(s) created before {cutoff:%Y-%m-%d}")


@job(description="Nightly: ANALYZE, staging cleanup, prune old run history.",
     tags={KIND_TAG: "maintenance"},
     config=RUN_CONFIG)  # SALESOPS_LOG_FORMAT=json: JSON run logs (defs/logs.py)
def nightly_maintenance() -> None:
    analyze_warehouse()
    prune_run_history()

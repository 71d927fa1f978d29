"""Schedules: the weekly report job (Monday 06:00 by default) and nightly maintenance.

Cron strings and the timezone come from the environment (SALESOPS_WEEKLY_CRON,
SALESOPS_NIGHTLY_CRON, SALESOPS_TIMEZONE). Both are on by default.
"""

from datetime import date, timedelta

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    RunRequest,
    ScheduleEvaluationContext,
    define_asset_job,
    in_process_executor,
    schedule,
)

from salesops_pipeline.defs.checks import reports_reconcile
from salesops_pipeline.defs.exports import weekly_report_export
from salesops_pipeline.defs.ingest import KIND_TAG, fact_sales_line
from salesops_pipeline.defs.maintenance import nightly_maintenance
from salesops_pipeline.defs.reports import sales_reports
from salesops_pipeline.settings import Settings

SETTINGS = Settings()

weekly_job = define_asset_job(
    "weekly_reports",
    selection=(AssetSelection.assets(sales_reports, weekly_report_export)
               | AssetSelection.checks_for_assets(fact_sales_line)
               | AssetSelection.checks(reports_reconcile)),
    tags={KIND_TAG: "reports"},
    executor_def=in_process_executor,
    description="Refresh last week's reports, run every check, export the week as CSV and XLSX.",
)


def previous_week(today: date) -> date:
    """Monday of the last complete ISO week before ``today``."""
    return today - timedelta(days=today.weekday() + 7)


def weekly_run_config(week: date) -> dict:
    return {"ops": {
        "sales_reports": {"config": {"weeks": [week.isoformat()]}},
        "weekly_report_export": {"config": {"week_start": week.isoformat()}},
    }}


@schedule(job=weekly_job, cron_schedule=SETTINGS.weekly_cron,
          execution_timezone=SETTINGS.timezone, default_status=DefaultScheduleStatus.RUNNING,
          description="Every week: last week's reports, checks and exports.")
def weekly_reports_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    week = previous_week(context.scheduled_execution_time.date())
    return RunRequest(run_key=f"weekly:{week.isoformat()}", run_config=weekly_run_config(week),
                      tags={"salesops/week": week.isoformat()})


@schedule(job=nightly_maintenance, cron_schedule=SETTINGS.nightly_cron,
          execution_timezone=SETTINGS.timezone, default_status=DefaultScheduleStatus.RUNNING,
          description="Every night: ANALYZE, staging cleanup, run history pruning.")
def nightly_maintenance_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    return RunRequest(run_config={"ops": {
        "analyze_warehouse": {"config": {"history_days": SETTINGS.run_history_days}},
        "prune_run_history": {"config": {"history_days": SETTINGS.run_history_days}},
    }})

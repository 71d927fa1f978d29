"""Schedules: the weekly report job (Monday 06:00 by default) and nightly maintenance.

Cron strings and the timezone come from the environment (SALESOPS_WEEKLY_CRON,
SALESOPS_NIGHTLY_CRON, SALESOPS_TIMEZONE). Both are on by default.

The weekly job is partitioned by ISO week, like the export it ends with (defs/exports.py): one
run is one week's reports refreshed, every check, and that week's files. Its schedule is built
from the job, so a tick requests the newest week that has ended in SALESOPS_TIMEZONE (a late
tick mid-week still gets that week); the UI lists the weeks exported, and a missed one is
backfilled by launching the job (or the asset) for its partition.
"""

import re
from typing import NamedTuple

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    PartitionedConfig,
    RunRequest,
    ScheduleEvaluationContext,
    build_schedule_from_partitioned_job,
    define_asset_job,
    in_process_executor,
    schedule,
)

from salesops_pipeline.defs.alerts import WEEK_TAG
from salesops_pipeline.defs.checks import reports_reconcile
from salesops_pipeline.defs.exports import export_weeks, weekly_report_export
from salesops_pipeline.defs.ingest import KIND_TAG, fact_sales_line
from salesops_pipeline.defs.location import SETTINGS
from salesops_pipeline.defs.logs import RUN_CONFIG
from salesops_pipeline.defs.maintenance import nightly_maintenance
from salesops_pipeline.defs.reports import sales_reports
from salesops_pipeline.errors import ConfigError

WEEKDAYS = {name: n for n, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_WEEKLY_CRON = re.compile(r"(\d{1,2}) (\d{1,2}) \* \* ([0-7]|[a-z]{3})")


def weekly_run_config(week: str) -> dict:
    """The run config of one week (its partition key, the Monday): the week's reports are
    recomputed too, and the run logs through the project's loggers (RUN_CONFIG)."""
    return {**RUN_CONFIG, "ops": {"sales_reports": {"config": {"weeks": [week]}}}}


def weekly_run_tags(week: str) -> dict[str, str]:
    """The week a run is about, for alerts (defs/alerts.py)."""
    return {WEEK_TAG: week}


weekly_job = define_asset_job(
    "weekly_reports",
    selection=(AssetSelection.assets(sales_reports, weekly_report_export)
               | AssetSelection.checks_for_assets(fact_sales_line)
               | AssetSelection.checks(reports_reconcile)),
    config=PartitionedConfig(partitions_def=export_weeks,
                             run_config_for_partition_key_fn=weekly_run_config,
                             tags_for_partition_key_fn=weekly_run_tags),
    tags={KIND_TAG: "reports"},
    executor_def=in_process_executor,
    description="One ISO week (the partition): refresh its reports, run every check, export it "
                "as CSV and XLSX with the weekly report workbook and summary.",
)


class WeeklyCron(NamedTuple):
    """When in the week the weekly job runs (in SALESOPS_TIMEZONE); weekday 0 is Sunday."""

    minute: int
    hour: int
    weekday: int


def weekly_cron(cron: str) -> WeeklyCron:
    """SALESOPS_WEEKLY_CRON (``minute hour * * weekday``) as the schedule's offsets within the
    week; ConfigError for any other form (the job runs once a week, after its week)."""
    found = _WEEKLY_CRON.fullmatch(" ".join(cron.lower().split()))
    if found:
        minute, hour, day = found.groups()
        weekday = int(day) % 7 if day.isdigit() else WEEKDAYS.get(day)
        if weekday is not None and int(minute) < 60 and int(hour) < 24:
            return WeeklyCron(int(minute), int(hour), weekday)
    raise ConfigError(
        f"SALESOPS_WEEKLY_CRON={cron!r} is not a weekly schedule; give 'minute hour * * weekday' "
        "(weekday 0-7 or sun-sat), e.g. '0 6 * * 1' for Monday 06:00")


WEEKLY_CRON = weekly_cron(SETTINGS.weekly_cron)
weekly_reports_schedule = build_schedule_from_partitioned_job(
    weekly_job, name="weekly_reports_schedule", default_status=DefaultScheduleStatus.RUNNING,
    description="Every week: the week that has just ended — its reports, checks and exports.",
    minute_of_hour=WEEKLY_CRON.minute, hour_of_day=WEEKLY_CRON.hour,
    day_of_week=WEEKLY_CRON.weekday)


@schedule(job=nightly_maintenance, cron_schedule=SETTINGS.nightly_cron,
          execution_timezone=SETTINGS.timezone, default_status=DefaultScheduleStatus.RUNNING,
          description="Every night: ANALYZE, staging cleanup, run history pruning.")
def nightly_maintenance_schedule(context: ScheduleEvaluationContext) -> RunRequest:
    return RunRequest(run_config={"ops": {
        "analyze_warehouse": {"config": {"history_days": SETTINGS.run_history_days}},
        "prune_run_history": {"config": {"history_days": SETTINGS.run_history_days}},
    }})

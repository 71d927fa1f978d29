"""The one Definitions object: it only assembles what `defs/` declares."""

import warnings

from dagster import BetaWarning, Definitions, with_source_code_references

from salesops_pipeline.defs.alerts import alert_sensors
from salesops_pipeline.defs.checks import all_checks
from salesops_pipeline.defs.exports import weekly_report_export
from salesops_pipeline.defs.freshness import freshness_job, freshness_schedule
from salesops_pipeline.defs.ingest import ingest_assets, ingest_job
from salesops_pipeline.defs.location import SETTINGS
from salesops_pipeline.defs.logs import run_loggers
from salesops_pipeline.defs.maintenance import nightly_maintenance
from salesops_pipeline.defs.reports import reports_job, sales_reports
from salesops_pipeline.defs.resources import resources_from_env
from salesops_pipeline.defs.schedules import (
    nightly_maintenance_schedule,
    weekly_job,
    weekly_reports_schedule,
)
from salesops_pipeline.defs.sensors import sales_folder_sensor, stale_reports_sensor
from salesops_pipeline.defs.withdraw import withdraw_file

# Code references are marked beta in Dagster 1.13 (pinned): say so once here, not in every load.
warnings.filterwarnings(
    "ignore", category=BetaWarning, message=r"(Function|Class) `(with_source_code_references|"
    r"LocalFileCodeReference|CodeReferencesMetadataValue)`")

defs = Definitions(
    # Each asset links to its source file and line in the UI ("Code references").
    assets=with_source_code_references([*ingest_assets, sales_reports, weekly_report_export]),
    asset_checks=all_checks,
    jobs=[ingest_job, reports_job, weekly_job, nightly_maintenance, withdraw_file, freshness_job],
    sensors=[sales_folder_sensor, stale_reports_sensor, *alert_sensors],
    schedules=[weekly_reports_schedule, nightly_maintenance_schedule, freshness_schedule],
    resources=resources_from_env(SETTINGS),
    loggers=run_loggers(SETTINGS.log_format),  # SALESOPS_LOG_FORMAT=json: JSON run logs
)

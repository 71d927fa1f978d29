"""Import freshness, watched on a clock: the check, a job that runs only it, an hourly schedule.

``import_freshness`` (WARN) fails when no file version was *published* for
SALESOPS_MAX_IMPORT_AGE_HOURS (core/report/quality.latest_import: loaded, or loaded and later
replaced by a newer version; rejected, failed, duplicate, withdrawn and unfinished drops do not
count, and the check's metadata says how many of them came in since). It runs with the facts in
every ingest, report and weekly run, and, so that silence is noticed when nothing is imported,
on its own every hour: ``freshness_schedule`` launches ``check_freshness`` (this check and
nothing else) at minute 0 in SALESOPS_TIMEZONE, so a warehouse that goes stale fails the check
within the hour after the limit passes.

Alerts: check_failure_alerts (defs/alerts.py) reads each evaluation once. For this check it
alerts on the transition to failing only: the first failing evaluation after a passing one (or
the first evaluation ever) alerts; the hourly evaluations that keep failing do not; once the
check has passed again, the next failure alerts again.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetSelection,
    DefaultScheduleStatus,
    MetadataValue,
    ScheduleDefinition,
    asset_check,
    define_asset_job,
    in_process_executor,
)

from salesops_pipeline.core.report import quality, weeks
from salesops_pipeline.defs.ingest import KIND_TAG, fact_sales_line
from salesops_pipeline.defs.location import SETTINGS
from salesops_pipeline.defs.resources import QualityResource, WarehouseResource

# Hourly: the limit is in hours, and a warehouse that goes stale fails within the hour.
FRESHNESS_CRON = "0 * * * *"
ERROR_CHARS = 200  # of a newer drop's error, in the metadata


@asset_check(asset=fact_sales_line,
             description="A file version was published within SALESOPS_MAX_IMPORT_AGE_HOURS "
                         "(rejected, failed, duplicate and withdrawn drops do not count).")
def import_freshness(warehouse: WarehouseResource, quality_settings: QualityResource
                     ) -> AssetCheckResult:
    """Fails when the latest published version is older than the limit, or there is none."""
    with warehouse.connection() as conn, conn.cursor() as cur:
        latest = quality.latest_import(cur)
        since = quality.unpublished_since(cur, latest.published_at if latest else None)
    limit_h = quality_settings.max_import_age_hours
    age = quality.import_age(latest.published_at if latest else None, datetime.now(UTC))
    passed = age is not None and age <= timedelta(hours=limit_h)
    age_h = round(age.total_seconds() / 3600, 2) if age is not None else None
    return AssetCheckResult(
        passed=passed, severity=AssetCheckSeverity.WARN,
        description=_explain(latest, age_h, limit_h, since, passed),
        metadata={
            "latest_import": latest.published_at.isoformat() if latest else "never",
            "latest_import_file": latest.source_file if latest else "",
            "latest_import_id": latest.import_id if latest else None,
            "latest_import_sha256": latest.sha256[:12] if latest else "",
            "age_hours": age_h,
            "max_age_hours": limit_h,
            "not_published_since": since.summary(),
            "not_published_counts": MetadataValue.json(since.counts),
            "newest_not_published": MetadataValue.json([_drop(d) for d in since.newest]),
        })


def _explain(latest: quality.PublishedImport | None, age_h: float | None, limit_h: int,
             since: quality.UnpublishedDrops, passed: bool) -> str:
    """One sentence for the UI and the alert: what was published when, and what did not count."""
    if latest is None:
        head = f"No file version has ever been published (limit {limit_h} h)"
    else:
        head = (f"Latest published: {latest.source_file} (import {latest.import_id}) at "
                f"{latest.published_at.isoformat()}, {age_h} h ago"
                + (f" (limit {limit_h} h)" if passed else f": older than the limit of {limit_h} h"))
    if since.counts:
        head += (f". {'Since then,' if latest else 'Drops'} not published (not counted as fresh):"
                 f" {since.summary()}")
    return head + "."


def _drop(row: dict[str, object]) -> dict[str, object]:
    error = row["error"]
    return {"import_id": row["import_id"], "source_file": row["source_file"],
            "status": row["status"], "at": str(row["at"]),
            "error": str(error)[:ERROR_CHARS] if error else None}


freshness_job = define_asset_job(
    "check_freshness",
    selection=AssetSelection.checks(import_freshness),
    tags={KIND_TAG: "freshness"},
    executor_def=in_process_executor,
    description="Evaluate import_freshness alone (two short queries), independent of imports.",
)

freshness_schedule = ScheduleDefinition(
    name="freshness_schedule", job=freshness_job, cron_schedule=FRESHNESS_CRON,
    execution_timezone=weeks.zone(SETTINGS.timezone).key,
    default_status=DefaultScheduleStatus.RUNNING,
    description="Every hour: is the latest published import within "
                "SALESOPS_MAX_IMPORT_AGE_HOURS? (alerts when it stops being so)")

"""The weekly export: each report of one ISO week as CSV and XLSX files in SALESOPS_EXPORT_DIR,
the weekly report workbook and its Markdown summary, e-mailed when delivery is configured.

The asset is partitioned by ISO week (Monday to Sunday in SALESOPS_TIMEZONE), so the UI shows
which weeks were exported and a missed or corrected week is re-exported by materializing (or
backfilling) its partition. The partition key is the week's Monday, ``2026-03-02``.

Files are written into a temporary folder and renamed into place, so a reader never sees half an
export; the export folder is never inside the watched drop folder (the sensor skips it anyway).

A failed delivery (after its retries) does not fail the run: the reports, checks and files are
all good and a rerun would only redo them. It is logged as an error, recorded in the
materialization's metadata (delivery: failed, the reason, the attempts) and fails the
``weekly_report_delivered`` check (severity WARN), which is how the run and the asset show it.
"""

from datetime import date
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    MaterializeResult,
    MetadataValue,
    TableColumn,
    TableRecord,
    TableSchema,
    WeeklyPartitionsDefinition,
    asset,
)

from salesops_pipeline.core.notify.mail import send_report
from salesops_pipeline.core.report.figures import money_text, units_text
from salesops_pipeline.core.report.restatements import mark_sent
from salesops_pipeline.core.report.week_files import WeekExport, write_week_export
from salesops_pipeline.core.report.weeks import zone
from salesops_pipeline.defs.location import SETTINGS
from salesops_pipeline.defs.reports import REPORT_ASSETS, REPORT_GROUP
from salesops_pipeline.defs.resources import (
    QualityResource,
    ReportMailResource,
    SalesFolderResource,
    WarehouseResource,
)
from salesops_pipeline.defs.table_schemas import OWNERS
from salesops_pipeline.errors import ConfigError, MailDeliveryFailed

FIRST_WEEK = date.fromisocalendar(2020, 1, 1)
"""The first exportable week (ISO 2020-W01, Monday 2019-12-30): older sales are not expected;
a week before it cannot be exported (it has no partition)."""
MONDAY = 1
"""Dagster's ``day_offset`` counts from Sunday (0): weeks split at Monday 00:00."""
DELIVERY_CHECK = "weekly_report_delivered"


def week_partitions(timezone: str) -> WeeklyPartitionsDefinition:
    """ISO weeks from FIRST_WEEK, Monday 00:00 to Monday 00:00 in ``timezone``. The newest
    partition is the last week that has ended (``end_offset`` 0): the current week gets its
    partition once it is over. ConfigError when the timezone is unknown."""
    zone(timezone)
    return WeeklyPartitionsDefinition(start_date=FIRST_WEEK.isoformat(), timezone=timezone,
                                      day_offset=MONDAY)


export_weeks = week_partitions(SETTINGS.timezone)


@asset(deps=list(REPORT_ASSETS), partitions_def=export_weeks, group_name=REPORT_GROUP,
       kinds={"csv", "excel"}, owners=OWNERS, tags={"domain": "sales", "layer": "export"},
       check_specs=[AssetCheckSpec(DELIVERY_CHECK, asset="weekly_report_export",
                                   description="The weekly report e-mail was delivered "
                                               "(passes with nothing to do when not configured).")],
       description="CSV and XLSX exports of one ISO week's reports (partition: the week's "
                   "Monday) and the weekly report workbook and summary "
                   "(SALESOPS_EXPORT_DIR/week-…), e-mailed when configured.")
def weekly_report_export(context: AssetExecutionContext, warehouse: WarehouseResource,
                         sales_folder: SalesFolderResource, quality_settings: QualityResource,
                         report_mail: ReportMailResource) -> MaterializeResult:
    monday = date.fromisoformat(context.partition_key)  # a Monday: Dagster checks the key
    with warehouse.connection() as conn:
        export = write_week_export(conn, day=monday, export_dir=Path(sales_folder.export_dir),
                                   tolerance=quality_settings.tolerance)
        if export.figures_at is not None:  # reported, in the transaction that read the figures
            with conn.cursor() as cur:
                mark_sent(cur, week=export.week_start, channel="export", run_id=context.run_id,
                          figures_at=export.figures_at)
    context.log.info(f"exported week {export.iso_week} ({export.week_start} to "
                     f"{export.week_end}) to {export.folder}")
    delivery = deliver(context, export, report_mail)
    if delivery["delivery"] == "sent":
        _mark_sent(warehouse, export, "email", context.run_id)
    passed = delivery["delivery"] != "failed"
    return MaterializeResult(
        metadata={**export_metadata(export), **delivery},
        check_results=[AssetCheckResult(check_name=DELIVERY_CHECK, passed=passed,
                                        severity=AssetCheckSeverity.WARN, metadata=delivery)])


def _mark_sent(warehouse: WarehouseResource, export: WeekExport, channel: str,
               run_id: str) -> None:
    """The week is reported (again) from now on: its later restatements say so and alert."""
    if export.figures_at is None:
        return  # a database before schema revision 0005 keeps no such record
    with warehouse.connection() as conn, conn.cursor() as cur:
        mark_sent(cur, week=export.week_start, channel=channel, run_id=run_id,
                  figures_at=export.figures_at)


def export_metadata(export: WeekExport) -> dict[str, Any]:
    """What the UI shows per week: the files with their sizes, the week's figures (revenue also
    as a float, so Dagster can plot it across partitions; ``revenue_exact`` is the exact sum)."""
    sizes = {p.name: p.stat().st_size for p in export.files}
    revenue = export.totals["revenue"]
    return {
        "week": export.iso_week,
        "week_start": export.week_start.isoformat(),
        "week_end": export.week_end.isoformat(),
        "folder": MetadataValue.path(str(export.folder)),
        "files": MetadataValue.table(
            records=[TableRecord({"file": name, "bytes": size}) for name, size in sizes.items()],
            schema=TableSchema(columns=[TableColumn("file", "string"),
                                        TableColumn("bytes", "int")])),
        "files_written": len(sizes),
        "bytes_written": sum(sizes.values()),
        "row_counts": MetadataValue.json(export.row_counts),
        "line_count": MetadataValue.int(int(export.totals["line_count"])),
        "units": units_text(export.totals["units"]),
        "revenue": MetadataValue.float(float(revenue)),
        "revenue_exact": money_text(revenue),
        "workbook": MetadataValue.path(str(export.workbook)),
        "summary_file": MetadataValue.path(str(export.summary_file)),
        "summary": MetadataValue.md(export.summary),
    }


def deliver(context: AssetExecutionContext, export: WeekExport,
            mail: ReportMailResource) -> dict[str, Any]:
    """E-mail the summary with the workbook attached; the outcome as metadata (never raises)."""
    off = mail.not_configured()
    if off:
        context.log.info(f"weekly report not e-mailed: {off}")
        return {"delivery": "not configured", "delivery_reason": off}
    subject = f"Weekly sales report {export.week_start} to {export.week_end}"
    try:
        sent = send_report(mail.smtp(), to=mail.recipients, subject=subject,
                           body=export.summary, attachment=export.workbook)
    except (MailDeliveryFailed, ConfigError) as exc:
        attempts = getattr(exc, "attempts", 0)
        context.log.error(f"weekly report e-mail failed (files kept in {export.folder}): {exc}")
        return {"delivery": "failed", "delivery_reason": str(exc), "delivery_attempts": attempts}
    context.log.info(f"weekly report e-mailed to {', '.join(sent.recipients)} "
                     f"after {sent.attempts} attempt(s)")
    result: dict[str, Any] = {"delivery": "sent", "delivery_attempts": sent.attempts,
                              "delivery_recipients": MetadataValue.json(list(sent.recipients))}
    if sent.refused:
        context.log.warning(f"recipients refused by the server: {sent.refused}")
        result["delivery_refused"] = MetadataValue.json(sent.refused)
    return result

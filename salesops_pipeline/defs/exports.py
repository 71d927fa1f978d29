"""The weekly export: each report of one ISO week as CSV and XLSX files in SALESOPS_EXPORT_DIR,
the weekly report workbook and its Markdown summary, e-mailed when delivery is configured.

Files are written into a temporary folder and renamed into place, so a reader never sees half an
export; the export folder is never inside the watched drop folder (the sensor skips it anyway).

A failed delivery (after its retries) does not fail the run: the reports, checks and files are
all good and a rerun would only redo them. It is logged as an error, recorded in the
materialization's metadata (delivery: failed, the reason, the attempts) and fails the
``weekly_report_delivered`` check (severity WARN), which is how the run and the asset show it.
"""

from datetime import date, timedelta
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
)

from salesops_pipeline.core.notify.mail import send_report
from salesops_pipeline.core.report.week_files import WeekExport, write_week_export
from salesops_pipeline.defs.reports import REPORT_ASSETS, REPORT_GROUP
from salesops_pipeline.defs.resources import (
    QualityResource,
    ReportMailResource,
    SalesFolderResource,
    WarehouseResource,
)
from salesops_pipeline.defs.table_schemas import OWNERS
from salesops_pipeline.errors import ConfigError, MailDeliveryFailed

DELIVERY_CHECK = "weekly_report_delivered"


class WeekExportConfig(Config):
    week_start: str = ""
    """Any day of the week to export (ISO date); empty: the last complete week."""


@asset(deps=list(REPORT_ASSETS), group_name=REPORT_GROUP, kinds={"csv", "excel"},
       owners=OWNERS, tags={"domain": "sales", "layer": "export"},
       check_specs=[AssetCheckSpec(DELIVERY_CHECK, asset="weekly_report_export",
                                   description="The weekly report e-mail was delivered "
                                               "(passes with nothing to do when not configured).")],
       description="CSV and XLSX exports of one week's reports and the weekly report workbook "
                   "and summary (SALESOPS_EXPORT_DIR/week-…), e-mailed when configured.")
def weekly_report_export(context: AssetExecutionContext, config: WeekExportConfig,
                         warehouse: WarehouseResource, sales_folder: SalesFolderResource,
                         quality_settings: QualityResource,
                         report_mail: ReportMailResource) -> MaterializeResult:
    day = date.fromisoformat(config.week_start) if config.week_start else \
        date.today() - timedelta(days=7)
    with warehouse.connection() as conn:
        export = write_week_export(conn, day=day, export_dir=Path(sales_folder.export_dir),
                                   tolerance=quality_settings.tolerance)
    context.log.info(f"exported week {export.week_start} to {export.folder}")
    delivery = deliver(context, export, report_mail)
    passed = delivery["delivery"] != "failed"
    return MaterializeResult(
        metadata={
            "week_start": export.week_start.isoformat(),
            "folder": MetadataValue.path(str(export.folder)),
            "files": MetadataValue.json([p.name for p in export.files]),
            "row_counts": MetadataValue.json(export.row_counts),
            "workbook": MetadataValue.path(str(export.workbook)),
            "summary_file": MetadataValue.path(str(export.summary_file)),
            "summary": MetadataValue.md(export.summary),
            **delivery,
        },
        check_results=[AssetCheckResult(check_name=DELIVERY_CHECK, passed=passed,
                                        severity=AssetCheckSeverity.WARN, metadata=delivery)])


def deliver(context: AssetExecutionContext, export: WeekExport,
            mail: ReportMailResource) -> dict[str, Any]:
    """E-mail the summary with the workbook attached; the outcome as metadata (never raises)."""
    off = mail.not_configured()
    if off:
        context.log.info(f"weekly report not e-mailed: {off}")
        return {"delivery": "not configured", "delivery_reason": off}
    subject = f"Weekly sales report {export.week_start} to {export.week_start + timedelta(days=6)}"
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

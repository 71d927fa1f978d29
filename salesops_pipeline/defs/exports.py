"""The weekly export: each report of one ISO week as CSV and XLSX files in SALESOPS_EXPORT_DIR.

Files are written into a temporary folder and renamed into place, so a reader never sees half an
export; the export folder is never inside the watched drop folder (the sensor skips it anyway).
"""

from datetime import date, timedelta
from pathlib import Path

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset

from salesops_pipeline.core.week_export import write_week_export
from salesops_pipeline.defs.reports import REPORT_ASSETS, REPORT_GROUP
from salesops_pipeline.defs.resources import (
    QualityResource,
    SalesFolderResource,
    WarehouseResource,
)


class WeekExportConfig(Config):
    week_start: str = ""
    """Any day of the week to export (ISO date); empty: the last complete week."""


@asset(deps=list(REPORT_ASSETS), group_name=REPORT_GROUP, kinds={"csv", "excel"},
       description="CSV and XLSX exports of one week's reports (SALESOPS_EXPORT_DIR/week-…).")
def weekly_report_export(context: AssetExecutionContext, config: WeekExportConfig,
                         warehouse: WarehouseResource, sales_folder: SalesFolderResource,
                         quality_settings: QualityResource) -> MaterializeResult:
    day = date.fromisoformat(config.week_start) if config.week_start else \
        date.today() - timedelta(days=7)
    with warehouse.connection() as conn:
        export = write_week_export(conn, day=day, export_dir=Path(sales_folder.export_dir),
                                   tolerance=quality_settings.tolerance)
    context.log.info(f"exported week {export.week_start} to {export.folder}")
    return MaterializeResult(metadata={
        "week_start": export.week_start.isoformat(),
        "folder": MetadataValue.path(str(export.folder)),
        "files": MetadataValue.json([p.name for p in export.files]),
        "row_counts": MetadataValue.json(export.row_counts),
    })

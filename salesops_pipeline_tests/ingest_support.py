"""Run the real Dagster jobs (ingest, report refresh) against the test warehouse; read results."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dagster import DagsterInstance, Definitions, ExecuteInProcessResult

from salesops_pipeline.defs.checks import all_checks
from salesops_pipeline.defs.exports import weekly_report_export
from salesops_pipeline.defs.ingest import (
    FILE_TAG,
    ingest_assets,
    ingest_job,
    partition_range_tags,
    sales_files,
)
from salesops_pipeline.defs.maintenance import nightly_maintenance
from salesops_pipeline.defs.reports import reports_job, sales_reports
from salesops_pipeline.defs.resources import (
    FigureResource,
    QualityResource,
    ReportMailResource,
    SalesFolderResource,
    WarehouseResource,
)
from salesops_pipeline.defs.schedules import weekly_job


@dataclass
class Ingestor:
    """Runs the production jobs for files in ``folder``, like the sensor's runs do."""

    database_url: str
    folder: Path
    instance: DagsterInstance
    tolerance: str = "0.01"
    own_partition_rows: int = 100_000
    mail: ReportMailResource | None = None
    """Where the weekly job e-mails its report (None: not configured)."""
    figure_thresholds: str = ""
    """SALESOPS_FIGURE_THRESHOLDS of the business-figure checks (empty: the defaults)."""

    def resources(self) -> dict:
        return {
            "warehouse": WarehouseResource(database_url=self.database_url,
                                           own_partition_rows=self.own_partition_rows),
            "sales_folder": SalesFolderResource(data_dir=str(self.folder),
                                                export_dir=str(self.folder.parent / "exports")),
            "quality_settings": QualityResource(price_tolerance=self.tolerance),
            "report_mail": self.mail or ReportMailResource(),
            "figure_settings": FigureResource(figure_thresholds=self.figure_thresholds),
        }

    def definitions(self) -> Definitions:
        return Definitions(assets=[*ingest_assets, sales_reports, weekly_report_export],
                           asset_checks=all_checks,
                           jobs=[ingest_job, reports_job, weekly_job, nightly_maintenance],
                           resources=self.resources())

    def run_job(self, name: str, run_config: dict | None = None, *,
                partition_key: str | None = None) -> ExecuteInProcessResult:
        """Run a job (one partition of a partitioned job, e.g. a week of weekly_reports)."""
        job = self.definitions().resolve_job_def(name)
        return job.execute_in_process(instance=self.instance, run_config=run_config,
                                      partition_key=partition_key, raise_on_error=False)

    def run(self, key: str, *, raise_on_error: bool = True) -> ExecuteInProcessResult:
        """Import one file (with its per-file checks)."""
        self.instance.add_dynamic_partitions(sales_files.name, [key])
        job = self.definitions().resolve_job_def(ingest_job.name)
        return job.execute_in_process(partition_key=key, instance=self.instance,
                                      tags={FILE_TAG: key}, raise_on_error=raise_on_error)

    def run_batch(self, keys: list[str], *, raise_on_error: bool = False
                  ) -> ExecuteInProcessResult:
        """Import several new files in one run over their partition range, like the sensor."""
        self.instance.add_dynamic_partitions(sales_files.name, keys)
        order = self.instance.get_dynamic_partitions(sales_files.name)
        assert order[order.index(keys[0]):order.index(keys[-1]) + 1] == keys, "not contiguous"
        job = self.definitions().resolve_job_def(ingest_job.name)
        return job.execute_in_process(instance=self.instance, raise_on_error=raise_on_error,
                                      tags=partition_range_tags(keys[0], keys[-1]))

    def refresh(self, *, full: bool = False) -> ExecuteInProcessResult:
        """Refresh the reports and run every check on the whole warehouse (a failing blocking
        check fails the run: look at `.success` and the check evaluations)."""
        job = self.definitions().resolve_job_def(reports_job.name)
        return job.execute_in_process(
            instance=self.instance, raise_on_error=False,
            run_config={"ops": {"sales_reports": {"config": {"full_rebuild": full}}}})


def checks_by_name(result: ExecuteInProcessResult) -> dict[str, object]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def fact_rows(sql, source_file: str | None = None) -> dict[tuple[str, int], tuple]:
    """(file, row) → (sold_at, product, seller, shipper, unit_price, units, total_price)."""
    rows = sql(
        "SELECT f.source_file, f.source_row_number, f.sold_at, p.name, s.name, c.name,"
        " f.unit_price, f.units, f.total_price"
        " FROM salesops.fact_sales_line f JOIN salesops.dim_product p USING (product_id)"
        " JOIN salesops.dim_seller s USING (seller_id)"
        " LEFT JOIN salesops.dim_shipping_company c USING (shipping_company_id)"
        " WHERE %(f)s::text IS NULL OR f.source_file = %(f)s", {"f": source_file})
    return {(r[0], r[1]): r[2:] for r in rows}


def imports(sql) -> list[tuple]:
    return sql("SELECT source_file, status, rows_read, rows_loaded, rows_rejected, error"
               " FROM salesops.import_log ORDER BY import_id")


@dataclass
class DatedIngestor(Ingestor):
    """An Ingestor whose drop folder has a SALESOPS_DATE_ORDER and maybe a column map."""

    date_order: str = "auto"
    column_map_file: str = ""

    def resources(self) -> dict:
        resources = super().resources()
        resources["sales_folder"] = SalesFolderResource(
            data_dir=str(self.folder), export_dir=str(self.folder.parent / "exports"),
            date_order=self.date_order, column_map_file=self.column_map_file,
            column_map_explicit=bool(self.column_map_file))
        return resources

"""Run the real ingest assets through Dagster against the test warehouse, and read back results."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from dagster import DagsterInstance, materialize

from salesops_pipeline.defs.ingest import FILE_TAG, ingest_assets, sales_files
from salesops_pipeline.defs.resources import QualityResource, SalesFolderResource, WarehouseResource


@dataclass
class Ingestor:
    """Materializes the ingest assets for files in ``folder``, like the sensor's runs do."""

    database_url: str
    folder: Path
    instance: DagsterInstance

    def resources(self) -> dict:
        return {
            "warehouse": WarehouseResource(database_url=self.database_url),
            "sales_folder": SalesFolderResource(data_dir=str(self.folder),
                                                export_dir=str(self.folder.parent / "exports")),
            "quality": QualityResource(),
        }

    def run(self, key: str, *, raise_on_error: bool = True):
        self.instance.add_dynamic_partitions(sales_files.name, [key])
        return materialize(ingest_assets, partition_key=key, instance=self.instance,
                           resources=self.resources(), tags={FILE_TAG: key},
                           raise_on_error=raise_on_error)


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


def money(value: object) -> Decimal:
    return Decimal(str(value))

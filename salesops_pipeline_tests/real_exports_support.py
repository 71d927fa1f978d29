"""Read back what an import of a generated export left in the warehouse, in the generators'
terms (exports.ExpectedLine, ExpectedSkip, ExpectedControlTotal), so tests compare the two.

Only plain SELECTs of stored rows: the expected side always comes from the generators.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dagster import ExecuteInProcessResult

from salesops_pipeline.defs.resources import SalesFolderResource
from salesops_pipeline_tests.exports import ExpectedControlTotal, ExpectedLine, ExpectedSkip
from salesops_pipeline_tests.ingest_support import Ingestor

FACTS = """
SELECT f.source_sheet, f.source_row_number, f.sold_at, p.name, s.name, c.name,
       f.unit_price, f.units, f.total_price
  FROM salesops.fact_sales_line f JOIN salesops.dim_product p USING (product_id)
  JOIN salesops.dim_seller s USING (seller_id)
  LEFT JOIN salesops.dim_shipping_company c USING (shipping_company_id)
 WHERE f.source_file = %s
"""


def _sheet(name: str) -> str | None:
    return name or None  # the warehouse keeps '' for CSV files, the generators None


def _order(item: Any) -> tuple[str, int]:
    return item.sheet or "", item.row


def in_order(items: list[Any]) -> list[Any]:
    """Expected or loaded items by sheet and row (what the warehouse rows are compared in)."""
    return sorted(items, key=_order)


def loaded_lines(sql, source_file: str) -> list[ExpectedLine]:
    """The facts of one file, by sheet and row."""
    return in_order([ExpectedLine(_sheet(r[0]), *r[1:]) for r in sql(FACTS, (source_file,))])


def skipped_rows(sql, import_id: int) -> list[ExpectedSkip]:
    rows = sql("SELECT source_sheet, source_row_number, kind FROM salesops.skipped_row"
               " WHERE import_id = %s", (import_id,))
    return in_order([ExpectedSkip(_sheet(s), n, k) for s, n, k in rows])


def control_totals(sql, import_id: int) -> list[ExpectedControlTotal]:
    rows = sql("SELECT source_sheet, source_row_number, stated_total, loaded_total, difference"
               " FROM salesops.control_total WHERE import_id = %s", (import_id,))
    return in_order([ExpectedControlTotal(_sheet(s), *rest) for s, *rest in rows])


def quarantined_rows_of_totals(sql, import_id: int) -> dict[int, list[int]]:
    """Total row → the quarantined rows its control total lists."""
    return dict(sql("SELECT source_row_number, quarantined_rows FROM salesops.control_total"
                    " WHERE import_id = %s", (import_id,)))


def quarantined(sql, import_id: int) -> list[tuple[str | None, int, list[str]]]:
    rows = sql("SELECT source_sheet, source_row_number, reasons FROM salesops.rejected_row"
               " WHERE import_id = %s ORDER BY source_sheet, source_row_number", (import_id,))
    return [(_sheet(s), n, reasons) for s, n, reasons in rows]


@dataclass(frozen=True)
class LogRow:
    import_id: int
    status: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_skipped: int
    error: str | None
    skipped_sheets: list[dict[str, str]] | None


def import_row(sql, source_file: str) -> LogRow:
    """The file's one import log row (fails when it has several)."""
    (row,) = sql("SELECT import_id, status, rows_read, rows_loaded, rows_rejected, rows_skipped,"
                 " error, skipped_sheets FROM salesops.import_log WHERE source_file = %s",
                 (source_file,))
    return LogRow(*row)


def count(sql, table: str) -> int:
    """Rows of a salesops table (name from the test, never from data)."""
    return sql(f"SELECT count(*) FROM salesops.{table}")[0][0]


def stage_metadata(result: ExecuteInProcessResult) -> dict[str, Any]:
    """The raw_sales_rows materialization's metadata values of a one-file run."""
    (event,) = result.asset_materializations_for_node("raw_sales_rows")
    return {k: v.value for k, v in event.metadata.items()}


def table_records(value: Any) -> list[dict[str, Any]]:
    """The rows of a Dagster table metadata value, as dicts."""
    return [dict(record.data) for record in value.records]


@dataclass
class MappedIngestor(Ingestor):
    """An Ingestor whose drop folder resource reads a user column-map file."""

    column_map_file: str = ""

    def resources(self) -> dict:
        resources = super().resources()
        resources["sales_folder"] = SalesFolderResource(
            data_dir=str(self.folder), export_dir=str(self.folder.parent / "exports"),
            column_map_file=self.column_map_file, column_map_explicit=bool(self.column_map_file))
        return resources

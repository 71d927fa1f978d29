"""What the Dagster UI shows about the tables behind each asset: table name and column schema.

Written once from the DDL in sql/01_create_tables.sql and sql/03_report_tables.sql (a test checks
every column listed here against information_schema, so the two cannot drift apart).
"""

from __future__ import annotations

from dagster import TableColumn, TableSchema

SCHEMA = "salesops"
OWNERS = ["team:sales-ops"]

# Per table: (column, PostgreSQL type, description) in DDL order.
COLUMNS: dict[str, list[tuple[str, str, str]]] = {
    "stage_sales_line": [
        ("import_id", "bigint", "The import (file version) the row was parsed from."),
        ("source_sheet", "text", "Worksheet name; '' for CSV/TSV files."),
        ("source_row_number", "integer", "Row number in the source sheet (1-based)."),
        ("sold_at", "timestamp", "Time of sale (business-local, no time zone)."),
        ("product", "text", "Product name as exported."),
        ("seller", "text", "Seller name as exported."),
        ("shipping_company", "text", "Shipping company; empty when the export had none."),
        ("unit_price", "numeric(24,6)", "Unit price (exact)."),
        ("units", "numeric(24,6)", "Units sold (exact)."),
        ("total_price", "numeric(24,6)", "Total price of the line (exact)."),
    ],
    "dim_product": [
        ("product_id", "bigint", "Surrogate key."),
        ("name", "text", "Normalised product name (unique)."),
        ("created_at", "timestamptz", "When the name was first seen."),
    ],
    "dim_seller": [
        ("seller_id", "bigint", "Surrogate key."),
        ("name", "text", "Normalised seller name (unique)."),
        ("created_at", "timestamptz", "When the name was first seen."),
    ],
    "dim_shipping_company": [
        ("shipping_company_id", "bigint", "Surrogate key."),
        ("name", "text", "Normalised shipping company name (unique)."),
        ("created_at", "timestamptz", "When the name was first seen."),
    ],
    "fact_sales_line": [
        ("sales_line_id", "bigint", "Surrogate key."),
        ("sold_at", "timestamp", "Time of sale (business-local, no time zone)."),
        ("product_id", "bigint", "→ dim_product."),
        ("seller_id", "bigint", "→ dim_seller."),
        ("shipping_company_id", "bigint", "→ dim_shipping_company; null when missing."),
        ("unit_price", "numeric(24,6)", "Unit price (exact)."),
        ("units", "numeric(24,6)", "Units sold (exact)."),
        ("total_price", "numeric(24,6)", "Total price of the line (exact)."),
        ("source_file", "text", "File path relative to SALES_DATA_DIR (the partition)."),
        ("source_row_number", "integer", "Row number in the source sheet (1-based)."),
        ("import_id", "bigint", "→ import_log: the file version the line came from."),
        ("load_slot", "bigint", "Fact partition: 0 (shared) or the import's own."),
        ("source_sheet", "text", "Worksheet name; '' for CSV/TSV files."),
    ],
    "report_daily_sales": [
        ("day", "date", "Sales day."),
        ("revenue", "numeric", "Sum of total_price."),
        ("units", "numeric", "Sum of units."),
        ("line_count", "bigint", "Sales lines."),
        ("refreshed_at", "timestamptz", "When the day was last recomputed."),
    ],
    "report_daily_seller": [
        ("day", "date", "Sales day."),
        ("seller_id", "bigint", "→ dim_seller."),
        ("seller", "text", "Seller name."),
        ("revenue", "numeric", "Sum of total_price."),
        ("units", "numeric", "Sum of units."),
        ("line_count", "bigint", "Sales lines."),
    ],
    "report_daily_product": [
        ("day", "date", "Sales day."),
        ("product_id", "bigint", "→ dim_product."),
        ("product", "text", "Product name."),
        ("revenue", "numeric", "Sum of total_price."),
        ("units", "numeric", "Sum of units."),
        ("line_count", "bigint", "Sales lines."),
    ],
    "report_daily_shipping": [
        ("day", "date", "Sales day."),
        ("shipping_company", "text", "Shipping company ('UNKNOWN' when missing)."),
        ("revenue", "numeric", "Sum of total_price."),
        ("line_count", "bigint", "Sales lines."),
    ],
    "report_daily_quality": [
        ("day", "date", "Sales day."),
        ("line_count", "bigint", "Sales lines checked."),
        ("mismatched_total_count", "bigint", "Lines whose total differs from unit price × units."),
        ("nonpositive_units_count", "bigint", "Lines with units ≤ 0."),
        ("negative_amount_count", "bigint", "Lines with a negative price or total."),
        ("missing_shipping_company_count", "bigint", "Lines without a shipping company."),
        ("rejected_row_count", "bigint", "Quarantined rows."),
        ("tolerance", "numeric", "Price tolerance the counts used."),
    ],
}


def table_metadata(table: str) -> dict[str, object]:
    """Definition metadata for an asset stored in salesops.<table> (KeyError: unknown table)."""
    return {
        "dagster/table_name": f"{SCHEMA}.{table}",
        "dagster/column_schema": TableSchema(columns=[
            TableColumn(name, type=kind, description=text) for name, kind, text in COLUMNS[table]
        ]),
    }

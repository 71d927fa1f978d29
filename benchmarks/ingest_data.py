"""Workbooks and reference tables for ``benchmarks/ingest.py``.

The workbook looks like a CRM export: a title line, a blank line, then the header on row 3 and
one sales line per row. Every line is valid, so an import must load exactly ``rows`` facts.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from pathlib import Path

import xlsxwriter

HEADER = ["Date", "Product", "Seller", "Unit Price", "Units", "Total Price", "Shipping Company"]
SHEET = "Sales"
HEADER_ROW = 3  # 1-based Excel row of the header; data starts on the next row
PRODUCTS = 400
SELLERS = 250
SHIPPERS = ["DHL", "UPS", "FedEx", "La Poste", "GLS", "DPD"]
TABLES_SQL = Path(__file__).with_name("ingest_tables.sql")


def write_workbook(path: Path, rows: int, *, seed: int = 20260301) -> Path:
    """Write ``rows`` sales lines with xlsxwriter in constant-memory mode (rows stream to disk)."""
    rng = random.Random(seed)
    prices = [round(rng.uniform(2, 1500), 2) for _ in range(PRODUCTS)]
    products = [f"Product {i:03d} {rng.choice(['Pro', 'Lite', 'Max', 'Mini'])}"
                for i in range(PRODUCTS)]
    sellers = [f"Seller {i:03d}" for i in range(SELLERS)]
    start = datetime(2025, 1, 1, 8, 0)
    minutes = 365 * 24 * 60
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")  # hidden while written: never picked up half-done
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
    sheet = book.add_worksheet(SHEET)
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet.write_string(0, 0, "Sales export — all regions")
    sheet.write_row(HEADER_ROW - 1, 0, HEADER)
    for i in range(rows):
        r = HEADER_ROW + i
        product = rng.randrange(PRODUCTS)
        units = rng.choice((1, 1, 1, 2, 2, 3, 5, 10))
        sheet.write_datetime(r, 0, start + timedelta(minutes=rng.randrange(minutes)), when)
        sheet.write_string(r, 1, products[product])
        sheet.write_string(r, 2, sellers[rng.randrange(SELLERS)])
        sheet.write_number(r, 3, prices[product], money)
        sheet.write_number(r, 4, units)
        sheet.write_number(r, 5, round(prices[product] * units, 2), money)
        if i % 25:  # 4 % of lines have no shipping company
            sheet.write_string(r, 6, SHIPPERS[i % len(SHIPPERS)])
    book.close()
    tmp.replace(path)
    return path

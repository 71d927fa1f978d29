"""Sales files and reference tables for ``benchmarks/ingest.py``.

One generator (``sales_lines``) feeds both formats, so the xlsx and the CSV of a size hold the
same lines. The workbook looks like a CRM export: a title line, a blank line, then the header on
row 3 and one sales line per row. The CSV looks like Excel's "CSV UTF-8" of the source system's
export: a BOM, CRLF line ends, the header on line 1, ISO date-times, plain amounts with a decimal
point, and names quoted where they hold a comma or a quote. Every line is valid, so an import
must load exactly ``rows`` facts.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import xlsxwriter

from salesops_pipeline.core.extract.header.columns import CANONICAL_ORDER, DISPLAY_NAMES

HEADER = [DISPLAY_NAMES[name] for name in CANONICAL_ORDER]  # the source system's export header
SHEET = "Sales"
HEADER_ROW = 3  # 1-based Excel row of the header; data starts on the next row
CSV_HEADER_ROW = 1  # the CSV's header is its first record
PRODUCTS = 400
SELLERS = 250
SHIPPERS = ["DHL", "UPS", "FedEx", "La Poste", "GLS", "DPD"]
TABLES_SQL = Path(__file__).with_name("ingest_tables.sql")
SEED = 20260301

Line = tuple[datetime, str, str, float, int, float, "str | None"]


def _product_name(i: int, variant: str) -> str:
    """Some names need CSV quoting: 1 product in 10 has a comma, 1 in 40 has double quotes."""
    if i % 40 == 7:
        return f'Product {i:03d} {variant} 15" screen'
    if i % 10 == 3:
        return f"Product {i:03d} {variant}, 2-pack"
    return f"Product {i:03d} {variant}"


def sales_lines(rows: int, *, seed: int = SEED) -> Iterator[Line]:
    """The ``rows`` generated sales lines: (sold at, product, seller, unit price, units, total,
    shipping company or None for 4 % of lines); prices have two decimals."""
    rng = random.Random(seed)
    prices = [round(rng.uniform(2, 1500), 2) for _ in range(PRODUCTS)]
    products = [_product_name(i, rng.choice(["Pro", "Lite", "Max", "Mini"]))
                for i in range(PRODUCTS)]
    sellers = [f"Seller {i:03d}" + (" (Zürich)" if i % 10 == 4 else "") for i in range(SELLERS)]
    start = datetime(2025, 1, 1, 8, 0)
    minutes = 365 * 24 * 60
    for i in range(rows):
        product = rng.randrange(PRODUCTS)
        units = rng.choice((1, 1, 1, 2, 2, 3, 5, 10))
        sold_at = start + timedelta(minutes=rng.randrange(minutes))
        seller = sellers[rng.randrange(SELLERS)]
        shipper = SHIPPERS[i % len(SHIPPERS)] if i % 25 else None
        yield (sold_at, products[product], seller, prices[product], units,
               round(prices[product] * units, 2), shipper)


def write_workbook(path: Path, rows: int, *, seed: int = SEED) -> Path:
    """Write ``rows`` sales lines with xlsxwriter in constant-memory mode (rows stream to disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")  # hidden while written: never picked up half-done
    book = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
    sheet = book.add_worksheet(SHEET)
    when = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet.write_string(0, 0, "Sales export — all regions")
    sheet.write_row(HEADER_ROW - 1, 0, HEADER)
    for r, (sold_at, product, seller, price, units, total, shipper) in enumerate(
            sales_lines(rows, seed=seed), start=HEADER_ROW):
        sheet.write_datetime(r, 0, sold_at, when)
        sheet.write_string(r, 1, product)
        sheet.write_string(r, 2, seller)
        sheet.write_number(r, 3, price, money)
        sheet.write_number(r, 4, units)
        sheet.write_number(r, 5, total, money)
        if shipper is not None:
            sheet.write_string(r, 6, shipper)
    book.close()
    tmp.replace(path)
    return path


def write_csv(path: Path, rows: int, *, seed: int = SEED) -> Path:
    """Write the same lines as Excel's "CSV UTF-8" does: BOM, CRLF, minimal quoting."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    with tmp.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle, lineterminator="\r\n")  # Excel's dialect: QUOTE_MINIMAL, '"'
        out.writerow(HEADER)
        for sold_at, product, seller, price, units, total, shipper in sales_lines(rows, seed=seed):
            out.writerow((f"{sold_at:%Y-%m-%d %H:%M:%S}", product, seller, f"{price:.2f}", units,
                          f"{total:.2f}", shipper or ""))
    tmp.replace(path)
    return path

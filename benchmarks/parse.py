"""Rows per second of the parsing layer on a generated 200k-row export.

Prints (a) raw calamine reading, (b) open_workbook_tables + parse_row — what an import pays before
COPY — and (c) openpyxl read_only reading, for comparison. Run:

    .venv/bin/python benchmarks/parse.py [rows] [--keep PATH]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import openpyxl
import xlsxwriter
from python_calamine import CalamineWorkbook

from salesops_pipeline.core.extract.formats.workbook_tables import open_workbook_tables
from salesops_pipeline.core.extract.rows.sales_line import SalesLine, parse_row

HEADER = [
    "Sold At",
    "Product",
    "Seller",
    "Unit Price",
    "Units",
    "Total Price",
    "Shipping Company",
    "Notes",
]


def write_workbook(path: Path, rows: int) -> None:
    """A realistic export: Excel datetimes, names, prices, a formula total, one extra column."""
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = workbook.add_worksheet("Sales")
    stamp = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    sheet.write_string(0, 0, "Sales export")
    sheet.write_row(2, 0, HEADER)
    start = datetime(2025, 1, 1)
    for i in range(rows):
        r = i + 3
        price, units = (i % 9973) / 100 + 1, i % 7 + 1
        sheet.write_datetime(r, 0, start + timedelta(minutes=i), stamp)
        sheet.write_string(r, 1, f"Product {i % 500}")
        sheet.write_string(r, 2, f"Seller {i % 40}")
        sheet.write_number(r, 3, price)
        sheet.write_number(r, 4, units)
        if i % 2:
            sheet.write_formula(r, 5, f"=D{r + 1}*E{r + 1}", None, price * units)
        else:
            sheet.write_number(r, 5, price * units)
        sheet.write_string(r, 6, ("DHL", "UPS", "FedEx")[i % 3])
        sheet.write_string(r, 7, "")
    workbook.close()


def calamine_only(path: Path) -> int:
    workbook = CalamineWorkbook.from_path(str(path))
    sheet = workbook.get_sheet_by_name("Sales")
    return sum(1 for _ in sheet.iter_rows()) - 3


def parse_all(path: Path) -> int:
    good = 0
    with open_workbook_tables(path) as book:
        sheet = book.tables[0]
        for row_number, cells in sheet.iter_rows():
            if type(parse_row(row_number, cells)) is SalesLine:
                good += 1
    return good


def openpyxl_only(path: Path) -> int:
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    count = sum(1 for _ in workbook["Sales"].iter_rows(values_only=True)) - 3
    workbook.close()
    return count


def measure(label: str, run: Callable[[Path], int], path: Path, repeat: int) -> None:
    """Best of ``repeat`` runs, as rows per second."""
    best, count = float("inf"), 0
    for _ in range(repeat):
        started = time.perf_counter()
        count = run(path)
        best = min(best, time.perf_counter() - started)
    print(f"{label:<42} {count:>8} rows  {best:6.2f} s  {count / best:>10,.0f} rows/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", type=int, nargs="?", default=200_000)
    parser.add_argument("--keep", type=Path, help="write the workbook here and keep it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "bench.xlsx"
        started = time.perf_counter()
        write_workbook(path, args.rows)
        print(
            f"wrote {args.rows} rows in {time.perf_counter() - started:.1f} s "
            f"({path.stat().st_size / 1e6:.1f} MB)"
        )
        measure("(a) calamine iter_rows alone", calamine_only, path, 3)
        measure("(b) open_workbook_tables + parse_row", parse_all, path, 3)
        measure("(c) openpyxl read_only (values only)", openpyxl_only, path, 1)


if __name__ == "__main__":
    main()

"""Exports whose sale time is a date column plus a time column (point-of-sale and e-commerce
exports: Date/Time, Datum/Uhrzeit), with the lines they must load. The true values are chosen
first (exports_dates.dated_lines) and the files show them; the expected side is the chosen
datetime, never the code under test.

* write_split_csv: comma or semicolon text, the date and the time each in a given style;
* write_split_workbook: an .xlsx with date cells and time cells, or text in both.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from salesops_pipeline_tests.exports import ExpectedLine, Line, expected_line

__all__ = ["DATES", "TIMES", "split_header", "write_split_csv", "write_split_workbook"]

DATES: dict[str, Callable[[datetime], str]] = {
    "iso": lambda d: f"{d:%Y-%m-%d}",
    "us": lambda d: f"{d.month}/{d.day}/{d.year}",  # 11/13/2026
    "de": lambda d: f"{d:%d.%m.%Y}",  # 13.11.2026
}
TIMES: dict[str, Callable[[datetime], str]] = {
    "24h": lambda d: f"{d:%H:%M}",  # 14:05
    "12h": lambda d: f"{d.hour % 12 or 12}:{d:%M} {'AM' if d.hour < 12 else 'PM'}",  # 2:05 PM
    "seconds": lambda d: f"{d:%H:%M:%S}",  # 14:05:09
}


def split_header(date: str, time: str) -> tuple[str, ...]:
    """The source header with its Time column as two columns, ``date`` then ``time``."""
    return (date, time, "Product", "Seller", "Unit Price", "Units", "Total Price",
            "Shipping Company")


def _amounts(line: Line, decimal_comma: bool) -> list[str]:
    values = [str(line.unit_price), str(line.units), str(line.total_price)]
    return [v.replace(".", ",") for v in values] if decimal_comma else values


def write_split_csv(path: Path, lines: list[Line], header: tuple[str, ...], date: str,
                    time: str, *, delimiter: str = ",",
                    times: dict[int, str] | None = None) -> list[ExpectedLine]:
    """Write ``lines`` under ``header`` (split_header), dates and times as text in the given
    styles (``times``: index → that line's time text instead); a semicolon file writes decimal
    commas. Return every line as it must load (row = index + 2)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        for index, line in enumerate(lines):
            clock = (times or {}).get(index, TIMES[time](line.sold_at))
            writer.writerow([DATES[date](line.sold_at), clock, line.product, line.seller,
                             *_amounts(line, delimiter == ";"), line.shipping_company or ""])
    return [expected_line(None, index + 2, line) for index, line in enumerate(lines)]


def write_split_workbook(path: Path, lines: list[Line], header: tuple[str, ...], *,
                         text: bool = False, sheet: str = "Sales") -> list[ExpectedLine]:
    """One sheet: date cells and time cells (openpyxl writes date and time objects as Excel
    date and time cells), or with ``text`` the ISO date and "14:05:09" as text cells."""
    book = Workbook()
    grid = book.active
    assert grid is not None
    grid.title = sheet
    grid.append(header)
    for line in lines:
        when = line.sold_at
        day, clock = ((DATES["iso"](when), TIMES["seconds"](when)) if text
                      else (when.date(), when.time()))
        grid.append([day, clock, line.product, line.seller, line.unit_price, line.units,
                     line.total_price, line.shipping_company])
    book.save(path)
    return [expected_line(sheet, index + 2, line) for index, line in enumerate(lines)]

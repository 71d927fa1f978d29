"""Exports whose times are text in one date style (US month-first, European day-first), with the
lines they must load; the true values are chosen first and the files show them (never the code
under test: the expected side is the chosen datetime and Decimal amounts).

* write_dated_csv: a comma CSV the way US Excel, a US CRM or a European export writes it;
* write_dated_workbook: an .xlsx whose Time cells are text (openpyxl writes str as text cells),
  one sheet per (lines, style).
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from salesops_pipeline_tests.exports import HEADER, ExpectedLine, Line, expected_line

__all__ = ["STYLES", "dated_lines", "write_dated_csv", "write_dated_workbook"]


def _clock12(when: datetime, am: str = "AM", pm: str = "PM") -> str:
    return f"{when.hour % 12 or 12}:{when:%M} {am if when.hour < 12 else pm}"


# How each kind of export writes 1 November 2026 14:05.
STYLES: dict[str, Callable[[datetime], str]] = {
    # US Excel "Save as CSV" (m/d/yyyy h:mm): 11/1/2026 14:05
    "us-excel": lambda d: f"{d.month}/{d.day}/{d.year} {d.hour}:{d:%M}",
    # US Excel with a 12-hour format: 11/1/2026 2:05 PM
    "us-excel-12h": lambda d: f"{d.month}/{d.day}/{d.year} {_clock12(d)}",
    # A US CRM: 11/01/2026 02:05 PM
    "us-crm": lambda d: f"{d:%m/%d/%Y} {d:%I:%M} {'AM' if d.hour < 12 else 'PM'}",
    # Lower case with dots: 11/01/2026 2:05 p.m.
    "us-dotted-pm": lambda d: f"{d:%m/%d/%Y} {_clock12(d, 'a.m.', 'p.m.')}",
    # European: 01/11/2026 14:05 and 01.11.2026 14:05
    "eu-slash": lambda d: f"{d:%d/%m/%Y %H:%M}",
    "eu-dot": lambda d: f"{d:%d.%m.%Y %H:%M}",
    # ISO: needs no date order
    "iso": lambda d: f"{d:%Y-%m-%d %H:%M}",
}


def dated_lines(seed: int, count: int, days: range) -> list[Line]:
    """``count`` sales on the given days of November 2026, at any minute (midnight and noon
    hours included on purpose), prices in cents, whole units."""
    rng = random.Random(seed)
    lines = []
    for index in range(count):
        hour = (0, 12)[index % 2] if index < 4 else rng.randrange(24)
        when = datetime(2026, 11, rng.choice(days), hour) + timedelta(minutes=rng.randrange(60))
        lines.append(Line(sold_at=when, product=rng.choice(("Widget", "Cable", "Gift box")),
                          seller=rng.choice(("Ada Lovelace", "Grace Hopper")),
                          shipping_company=rng.choice(("DHL", "UPS")),
                          unit_price=Decimal(rng.randrange(50, 250_000)).scaleb(-2),
                          units=Decimal(rng.randint(1, 20))))
    return lines


def _cells(line: Line, style: str) -> list[str]:
    return [STYLES[style](line.sold_at), line.product, line.seller, str(line.unit_price),
            str(line.units), str(line.total_price), line.shipping_company or ""]


def write_dated_csv(path: Path, lines: list[Line], style: str,
                    overrides: dict[int, str] | None = None) -> list[ExpectedLine]:
    """Write ``lines`` under the source header, Time in ``style`` (``overrides``: index → the
    Time text of that line instead); return every line as it must load (row = index + 2)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        for index, line in enumerate(lines):
            cells = _cells(line, style)
            if overrides and index in overrides:
                cells[0] = overrides[index]
            writer.writerow(cells)
    return [expected_line(None, index + 2, line) for index, line in enumerate(lines)]


def write_dated_workbook(path: Path, sheets: dict[str, tuple[list[Line], str]]
                         ) -> list[ExpectedLine]:
    """One sheet per name, its Time cells text in its style; the lines as they must load."""
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    expected = []
    for name, (lines, style) in sheets.items():
        sheet = book.create_sheet(name)
        sheet.append(HEADER)
        for index, line in enumerate(lines):
            sheet.append(_cells(line, style))
            expected.append(expected_line(name, index + 2, line))
    book.save(path)
    return expected

"""Workbooks for tests: a plain writer, and a seeded generator of messy exports with known answers.

The generator decides every true value first and then picks how a sales person's export might
show it (text dates, "$1,234.50", formulas, stray spaces...). Expectations come from the chosen
values, never from the parser under test, so the two can disagree and fail a test.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

__all__ = [
    "ExpectedLine",
    "Formula",
    "MessyWorkbook",
    "write_clean_workbook",
    "write_messy_workbook",
]

CANONICAL = (
    "sold_at",
    "product",
    "seller",
    "unit_price",
    "units",
    "total_price",
    "shipping_company",
)
# The source system's export header, exactly: the default header of the test workbooks.
SOURCE_HEADER = {
    "sold_at": "Time",
    "product": "Product",
    "seller": "Seller",
    "unit_price": "Unit Price",
    "units": "Units",
    "total_price": "Total Price",
    "shipping_company": "Shipping Company",
}
HEADER_SPELLINGS = {  # how exports name each column; deliberately not imported from core.columns
    "sold_at": ["Time", "Sold At", "sold_at", "DATE", "Sale Date", " Order date ", "Timestamp",
                "sold-on"],
    "product": ["Product", "product name", "ITEM", " Product  "],
    "seller": ["Seller", "Salesperson", "Sales Rep", "seller_name", "SELLER NAME"],
    "unit_price": ["Unit Price", "unit-price", "PRICE", "Price per unit", "Unit Price (EUR)"],
    "units": ["Units", "Quantity", "QTY", "units "],
    "total_price": ["Total Price", "Total", "Amount", "Line Total", "total_price"],
    "shipping_company": ["Shipping Company", "Carrier", "Shipper", "shipping co."],
}
EXTRA_COLUMNS = ["Notes", "Order ID", "Region"]
MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
SELLERS = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Søren Kierkegaard", "Zoë Ng"]
SHIPPERS = ["DHL", "UPS", "FedEx", "La Poste"]
EXCEL_EPOCH = datetime(1899, 12, 30)
BAD_VALUES: dict[str, list[object]] = {
    "sold_at": ["yesterday", "31/02/2026", "2026-13-01", True],
    "product": ["", "   "],
    "seller": ["", " \t "],
    "unit_price": ["abc", "12,50", True, "1.2345678"],
    "units": ["three", True, "--2"],
    "total_price": ["n/a", "$", "1.2.3"],
}


@dataclass(frozen=True)
class Formula:
    """A formula cell and the value Excel cached when it last calculated (None: no value)."""

    text: str
    cached: float | str | None


@dataclass(frozen=True)
class ExpectedLine:
    """What the parser must produce for one good row."""

    row_number: int
    sold_at: datetime
    product: str
    seller: str
    shipping_company: str | None
    unit_price: Decimal
    units: Decimal
    total_price: Decimal


@dataclass
class MessyWorkbook:
    """A generated file and its known answers (Excel row numbers, 1-based)."""

    path: Path
    sheet_name: str
    header_row: int
    good: list[ExpectedLine] = field(default_factory=list)
    rejected: dict[int, set[str]] = field(default_factory=dict)  # row → columns with a problem
    blank_rows: list[int] = field(default_factory=list)
    features: Counter[str] = field(default_factory=Counter)  # messy features actually written

    @property
    def rejected_rows(self) -> list[int]:
        return sorted(self.rejected)


def write_clean_workbook(
    path: Path,
    rows: list[dict[str, object]],
    *,
    headers: dict[str, str] | None = None,
    columns: list[str] | None = None,
    sheet_name: str = "Sales",
    first_row: int = 0,
    first_col: int = 0,
) -> Path:
    """Write ``rows`` under a header at 0-based (first_row, first_col); the header is the source
    system's (SOURCE_HEADER) unless ``headers`` renames columns; other keys are written as is."""
    columns = columns or (list(rows[0]) if rows else list(CANONICAL))
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet(sheet_name)
    writer = _CellWriter(workbook, sheet)
    for offset, column in enumerate(columns):
        names = {**SOURCE_HEADER, **(headers or {})}
        sheet.write_string(first_row, first_col + offset, names.get(column, column))
    for index, values in enumerate(rows, start=first_row + 1):
        for offset, column in enumerate(columns):
            writer.write(index, first_col + offset, values.get(column))
    workbook.close()
    return path


class _CellWriter:
    """Writes Python values with the cell type Excel would use."""

    def __init__(self, workbook: xlsxwriter.Workbook, sheet: Worksheet) -> None:
        self.sheet = sheet
        self.datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})

    def write(self, row: int, col: int, value: object) -> None:
        sheet = self.sheet
        if value is None:
            return
        if isinstance(value, Formula):
            sheet.write_formula(
                row, col, value.text, None, value.cached if value.cached is not None else ""
            )
        elif isinstance(value, datetime):
            sheet.write_datetime(row, col, value, self.datetime_format)
        elif isinstance(value, date):
            sheet.write_datetime(row, col, value, self.date_format)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, (int, float, Decimal)):
            sheet.write_number(row, col, float(value))
        else:
            sheet.write_string(row, col, str(value))


def write_messy_workbook(
    path: Path, *, seed: int, rows: int = 300, data_on_second_sheet: bool = False
) -> MessyWorkbook:
    """Write a messy export of ``rows`` rows below its header and return what parsing must give."""
    rng = random.Random(seed)
    workbook = xlsxwriter.Workbook(str(path))
    if data_on_second_sheet:
        notes = workbook.add_worksheet("Read me")
        notes.write_string(0, 0, "Sales are on the next sheet")
        notes.write_row(2, 0, ["Item", "Comment"])  # one column name is not a header
    name = rng.choice(["Sales", "Export", "Data 2026"])
    sheet = workbook.add_worksheet(name)
    writer = _CellWriter(workbook, sheet)
    row = 0
    for _ in range(rng.randint(1, 3)):
        sheet.write_string(row, 0, rng.choice(["Sales export", "Generated at 2026-03-02 10:00"]))
        row += 1
    row += rng.randint(0, 2)
    columns = [*CANONICAL, *rng.sample(EXTRA_COLUMNS, rng.randint(1, 3))]
    rng.shuffle(columns)
    for col, column in enumerate(columns):
        sheet.write_string(row, col, rng.choice(HEADER_SPELLINGS.get(column, [column])))
    result = MessyWorkbook(path=path, sheet_name=name, header_row=row + 1)
    letters = {column: chr(ord("A") + col) for col, column in enumerate(columns)}
    for index in range(row + 1, row + 1 + rows):
        cells = _messy_row(rng, index + 1, letters, result)
        for col, column in enumerate(columns):
            writer.write(index, col, cells.get(column))
    workbook.close()
    return result


def _messy_row(
    rng: random.Random, excel_row: int, letters: dict[str, str], result: MessyWorkbook
) -> dict[str, object]:
    """Choose one row's true values and how they are shown; record the expectation."""
    kind = rng.random()
    if kind < 0.05:
        result.blank_rows.append(excel_row)
        result.features["blank row"] += 1
        return {"product": "   ", "Notes": None} if rng.random() < 0.5 else {}
    when = datetime(2026, 1, 1) + timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
    price = Decimal(rng.randint(50, 250_000)) / 100
    units = Decimal(rng.randint(1, 20)) if rng.random() < 0.9 else Decimal(rng.randint(1, 9)) / 2
    product, seller = f"Product {rng.randint(1, 60)}", rng.choice(SELLERS)
    shipper = rng.choice(SHIPPERS) if rng.random() < 0.9 else None
    total = price * units
    if 0.05 <= kind < 0.09:  # business-wrong but readable
        result.features["business-wrong row"] += 1
        twist = rng.choice(["total off", "zero units", "negative units", "negative price"])
        if twist == "total off":
            total += 1
        elif twist == "zero units":
            units, total = Decimal(0), Decimal(0)
        elif twist == "negative units":
            units, total = -units, -total
        else:
            price, total = -price, -total
    cells: dict[str, object] = {
        "sold_at": _show_datetime(rng, when, result),
        "product": _show_name(rng, product, result),
        "seller": _show_name(rng, seller, result),
        "shipping_company": _show_name(rng, shipper, result) if shipper else None,
        "unit_price": _show_money(rng, price, result),
        "units": float(units) if rng.random() < 0.8 else str(units),
        "total_price": _show_total(rng, total, letters, excel_row, result),
        "Notes": rng.choice([None, "call back", "  "]),
        "Order ID": rng.randint(1000, 99999),
        "Region": rng.choice(["North", "South", None]),
    }
    if rng.random() < 0.05:  # a numeric product code
        code = rng.randint(100, 999)
        cells["product"], product = float(code), str(code)
        result.features["numeric name"] += 1
    if cells["sold_at"] == "date only":
        cells["sold_at"] = when.date()
        when = datetime(when.year, when.month, when.day)
    if kind >= 0.95:  # unreadable: one to three broken cells
        broken = rng.sample(sorted(BAD_VALUES), rng.randint(1, 3))
        for column in broken:
            cells[column] = rng.choice(BAD_VALUES[column])
        result.rejected[excel_row] = set(broken)
        result.features["unreadable row"] += 1
        return cells
    result.good.append(ExpectedLine(excel_row, when, product, seller, shipper, price, units, total))
    return cells


def _show_datetime(rng: random.Random, when: datetime, result: MessyWorkbook) -> object:
    """An Excel datetime, a date-only cell, a serial number, or text in a documented format."""
    style = rng.choice(
        [
            "excel",
            "excel",
            "excel",
            "date only",
            "iso",
            "iso-t",
            "day-first",
            "dotted",
            "month name",
            "serial",
        ]
    )
    result.features[f"sold_at {style}"] += 1
    if style == "excel":
        return when
    if style == "date only":
        return "date only"  # replaced by the caller, which also drops the time from the answer
    if style == "serial":
        return (when - EXCEL_EPOCH).total_seconds() / 86400
    if style == "iso":
        return when.strftime("%Y-%m-%d %H:%M")
    if style == "iso-t":
        return when.strftime("%Y-%m-%dT%H:%M:%S")
    if style == "day-first":
        return when.strftime("%d/%m/%Y %H:%M")
    if style == "dotted":
        return f"{when:%d.%m.%Y %H:%M}"
    return f"{when.day} {MONTHS[when.month - 1]} {when.year} {when:%H:%M}"


def _show_name(rng: random.Random, name: str | None, result: MessyWorkbook) -> str | None:
    """The name, sometimes padded with spaces and doubled inner spaces."""
    if name is None or rng.random() < 0.7:
        return name
    result.features["whitespace name"] += 1
    return "  " + name.replace(" ", "   ") + " \u00a0"


def _show_money(rng: random.Random, amount: Decimal, result: MessyWorkbook) -> object:
    """A number cell, or text with a currency sign/code and thousands separators."""
    style = rng.choice(["number", "number", "dollar", "code", "euro", "spaced"])
    result.features[f"money {style}"] += 1
    if style == "number":
        return float(amount)
    sign, magnitude = ("-" if amount < 0 else ""), abs(amount)
    if style == "dollar":
        return f"{sign}${magnitude:,f}"
    if style == "code":
        return f"{sign}{magnitude:f} EUR"
    if style == "euro":
        return f"{sign}€ {magnitude:,f}"
    return sign + f"{magnitude:,f}".replace(",", "\u00a0")


def _show_total(
    rng: random.Random,
    total: Decimal,
    letters: dict[str, str],
    excel_row: int,
    result: MessyWorkbook,
) -> object:
    """A number, a formula with its cached result, or accounting-style text for negatives."""
    style = rng.choice(["number", "formula", "formula", "text"])
    result.features[f"total {style}"] += 1
    if style == "formula":
        text = f"={letters['unit_price']}{excel_row}*{letters['units']}{excel_row}"
        return Formula(text, float(total))
    if style == "text":
        return f"({abs(total):,f})" if total < 0 else f"{total:,f}"
    return float(total)

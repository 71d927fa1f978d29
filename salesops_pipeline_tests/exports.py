"""Test files shaped like real exports of the source system, with the outcome they must give.

Deterministic for a seed. Every true value is chosen first; the files show them, and the
expected outcome (loaded lines, skipped rows, control totals, quarantined rows) is computed from
the chosen values with Decimal, never by the code under test.

* write_subtotal_workbook: Excel's Data → Subtotal by seller ("<seller> Total" after each group,
  "Grand Total"), and a note under the table;
* write_regional_workbook: a "Summary" pivot sheet first, then one sales sheet per region;
* exports_csv.write_csv_export: the same kind of lines as CSV, in two dialects.

Row numbers are 1-based as a spreadsheet shows them (the header of a CSV file is row 1).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import xlsxwriter

__all__ = [
    "HEADER",
    "Export",
    "ExpectedControlTotal",
    "ExpectedLine",
    "ExpectedQuarantine",
    "ExpectedSkip",
    "Line",
    "expected_line",
    "make_lines",
    "write_plain_workbook",
    "write_regional_workbook",
    "write_subtotal_workbook",
]

# The source system's export header, stated here on its own (not imported from core) so that
# a change in core cannot silently change what the tests feed it.
HEADER = ("Time", "Product", "Seller", "Unit Price", "Units", "Total Price", "Shipping Company")
SELLERS = ("Ada Lovelace", "Grace Hopper", "Søren Kierkegaard", "Zoë Ng", "José Müller")
PRODUCTS = ("Widget", "Cable, 2 m", 'The "Pro" kit', "Gift box\nlarge", "Café crème",
            "Adapter (EU)")
SHIPPERS = ("DHL", "UPS", "La Poste", None)
NOTE = "Exported from CRM on 2026-11-30 08:00"
UNREADABLE_TIME = "31/02/2026"  # no such day: the line is quarantined, its amount still stated
_START = datetime(2026, 11, 2, 8, 0)
_ZERO = Decimal(0)


@dataclass(frozen=True)
class Line:
    """One sale's true values, as the source system holds them (names as written)."""

    sold_at: datetime
    product: str
    seller: str
    shipping_company: str | None
    unit_price: Decimal
    units: Decimal

    @property
    def total_price(self) -> Decimal:
        return self.unit_price * self.units


@dataclass(frozen=True)
class ExpectedLine:
    """A line that must be loaded; names as the warehouse keeps them (whitespace collapsed)."""

    sheet: str | None
    row: int
    sold_at: datetime
    product: str
    seller: str
    shipping_company: str | None
    unit_price: Decimal
    units: Decimal
    total_price: Decimal


@dataclass(frozen=True)
class ExpectedSkip:
    sheet: str | None
    row: int
    kind: str  # 'total' | 'note' | 'header'


@dataclass(frozen=True)
class ExpectedControlTotal:
    """A stated total; ``difference`` is stated − loaded."""

    sheet: str | None
    row: int
    stated: Decimal
    loaded: Decimal
    difference: Decimal


@dataclass(frozen=True)
class ExpectedQuarantine:
    sheet: str | None
    row: int
    column: str  # the canonical column that makes it unreadable


@dataclass
class Export:
    """A generated file and its expected outcome.

    ``skipped_sheets``: sheets without a sales header (a summary). ``missing_columns``: a sheet
    whose header names some sales columns but lacks required ones; the README's rule is that
    such a file is rejected as a whole (``lines`` still lists what the other sheets hold).
    """

    path: Path
    lines: list[ExpectedLine] = field(default_factory=list)
    skipped: list[ExpectedSkip] = field(default_factory=list)
    control_totals: list[ExpectedControlTotal] = field(default_factory=list)
    quarantined: list[ExpectedQuarantine] = field(default_factory=list)
    skipped_sheets: list[str] = field(default_factory=list)
    missing_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)


def make_lines(rng: random.Random, count: int, sellers: tuple[str, ...] = SELLERS) -> list[Line]:
    """``count`` sales in November 2026, prices in cents, whole units."""
    lines = []
    for _ in range(count):
        lines.append(Line(
            sold_at=_START + timedelta(minutes=rng.randrange(0, 27 * 24 * 60)),
            product=rng.choice(PRODUCTS),
            seller=rng.choice(sellers),
            shipping_company=rng.choice(SHIPPERS),
            unit_price=Decimal(rng.randrange(50, 250_000)).scaleb(-2),
            units=Decimal(rng.randint(1, 20)),
        ))
    return lines


def expected_line(sheet: str | None, row: int, line: Line) -> ExpectedLine:
    """What loading ``line`` from ``row`` must give."""
    return ExpectedLine(sheet, row, line.sold_at, " ".join(line.product.split()),
                        " ".join(line.seller.split()), line.shipping_company, line.unit_price,
                        line.units, line.total_price)


class _Sheet:
    """Writes sales lines under the source system's header, as Excel stores them."""

    def __init__(self, book: xlsxwriter.Workbook, name: str) -> None:
        self.name = name
        self.ws = book.add_worksheet(name)
        self.time_format = book.add_format({"num_format": "yyyy-mm-dd hh:mm"})

    def header(self, row: int, columns: tuple[str, ...] = HEADER) -> None:
        self.ws.write_row(row - 1, 0, columns)

    def line(self, row: int, line: Line, columns: tuple[str, ...] = HEADER,
             unreadable_time: bool = False) -> None:
        values: dict[str, object] = {
            "Product": line.product, "Seller": line.seller,
            "Unit Price": float(line.unit_price), "Units": float(line.units),
            "Total Price": float(line.total_price), "Shipping Company": line.shipping_company}
        for col, name in enumerate(columns):
            if name == "Time":
                if unreadable_time:
                    self.ws.write_string(row - 1, col, UNREADABLE_TIME)
                else:
                    self.ws.write_datetime(row - 1, col, line.sold_at, self.time_format)
            elif isinstance(value := values[name], str):
                self.ws.write_string(row - 1, col, value)
            elif isinstance(value, float):
                self.ws.write_number(row - 1, col, value)

    def total(self, row: int, label: str, first: int, last: int, units: Decimal,
              stated: Decimal) -> None:
        """A Data → Subtotal row: label in Seller, SUBTOTAL formulas with their cached values."""
        self.ws.write_string(row - 1, 2, label)
        self.ws.write_formula(row - 1, 4, f"=SUBTOTAL(9,E{first}:E{last})", None, float(units))
        self.ws.write_formula(row - 1, 5, f"=SUBTOTAL(9,F{first}:F{last})", None, float(stated))


def write_subtotal_workbook(path: Path, *, seed: int, groups: int = 3, per_group: int = 4,
                            wrong_total: str | None = None, wrong_by: Decimal = _ZERO,
                            unreadable_line: int | None = None) -> Export:
    """Lines grouped by seller, each group followed by "<seller> Total", then "Grand Total" and,
    one empty row below, a note. ``wrong_total`` (a total row's label) states ``wrong_by``
    more than its lines; ``unreadable_line`` (index in file order) has a day that does not exist,
    so it is quarantined while the totals still include it."""
    rng = random.Random(seed)
    sellers = SELLERS[:groups]
    lines = [ln for s in sellers for ln in make_lines(rng, per_group, (s,))]
    book = xlsxwriter.Workbook(str(path))
    sheet = _Sheet(book, "Sales")
    sheet.header(1)
    out = Export(path)
    row, index = 2, 0
    all_stated, all_loaded, all_units = _ZERO, _ZERO, _ZERO
    for seller in sellers:
        first, stated, loaded, units = row, _ZERO, _ZERO, _ZERO
        for line in lines[index:index + per_group]:
            bad = index == unreadable_line
            sheet.line(row, line, unreadable_time=bad)
            if bad:
                out.quarantined.append(ExpectedQuarantine("Sales", row, "sold_at"))
            else:
                out.lines.append(expected_line("Sales", row, line))
                loaded += line.total_price
            stated += line.total_price
            units += line.units
            row, index = row + 1, index + 1
        label = f"{seller} Total"
        shown = stated + (wrong_by if wrong_total == label else _ZERO)
        sheet.total(row, label, first, row - 1, units, shown)
        out.skipped.append(ExpectedSkip("Sales", row, "total"))
        out.control_totals.append(
            ExpectedControlTotal("Sales", row, shown, loaded, shown - loaded))
        all_stated, all_loaded, all_units = all_stated + stated, all_loaded + loaded, \
            all_units + units
        row += 1
    shown = all_stated + (wrong_by if wrong_total == "Grand Total" else _ZERO)
    sheet.total(row, "Grand Total", 2, row - 1, all_units, shown)
    out.skipped.append(ExpectedSkip("Sales", row, "total"))
    out.control_totals.append(
        ExpectedControlTotal("Sales", row, shown, all_loaded, shown - all_loaded))
    sheet.ws.write_string(row + 1, 0, NOTE)  # 0-based: one empty row below the grand total
    out.skipped.append(ExpectedSkip("Sales", row + 2, "note"))
    book.close()
    return out


def write_plain_workbook(path: Path, *, seed: int, count: int = 12,
                         sheet_name: str = "Sales") -> Export:
    """The source system's header on row 1 of one sheet and ``count`` lines under it, nothing
    else: what an export looks like before anyone edits it."""
    lines = make_lines(random.Random(seed), count)
    book = xlsxwriter.Workbook(str(path))
    sheet = _Sheet(book, sheet_name)
    sheet.header(1)
    out = Export(path)
    for row, line in enumerate(lines, start=2):
        sheet.line(row, line)
        out.lines.append(expected_line(sheet_name, row, line))
    book.close()
    return out


PARTIAL_HEADER = ("Time", "Product", "Seller", "Units")


def write_regional_workbook(path: Path, *, seed: int,
                            regions: tuple[str, ...] = ("North", "South", "West"),
                            per_region: int = 5, partial_header: str | None = None) -> Export:
    """A "Summary" sheet (a title and a Seller | Units | Revenue pivot) first, then one sales
    sheet per region; the second region's sheet has a title and its header on row 3.
    ``partial_header`` names a region whose sheet lacks the price columns."""
    rng = random.Random(seed)
    by_region = {region: make_lines(rng, per_region) for region in regions}
    book = xlsxwriter.Workbook(str(path))
    summary = book.add_worksheet("Summary")
    out = Export(path, skipped_sheets=["Summary"])
    for number, region in enumerate(regions):
        sheet = _Sheet(book, region)
        columns = PARTIAL_HEADER if region == partial_header else HEADER
        header_row = 1
        if number == 1:
            sheet.ws.write_string(0, 0, f"Region {region}, November 2026")
            header_row = 3
        sheet.header(header_row, columns)
        for row, line in enumerate(by_region[region], start=header_row + 1):
            sheet.line(row, line, columns)
            if columns == HEADER:
                out.lines.append(expected_line(region, row, line))
        if columns != HEADER:
            out.missing_columns[region] = ("unit_price", "total_price")
    summary.write_string(0, 0, "Sales summary, November 2026")
    summary.write_row(2, 0, ("Seller", "Units", "Revenue"))
    per_seller: dict[str, tuple[Decimal, Decimal]] = {}
    for line in (ln for lines in by_region.values() for ln in lines):
        units, revenue = per_seller.get(line.seller, (_ZERO, _ZERO))
        per_seller[line.seller] = (units + line.units, revenue + line.total_price)
    row = 3
    for seller, (units, revenue) in sorted(per_seller.items()):
        summary.write_row(row, 0, (seller, float(units), float(revenue)))
        row += 1
    summary.write_row(row, 0, ("Grand Total",
                               float(sum((u for u, _ in per_seller.values()), _ZERO)),
                               float(sum((r for _, r in per_seller.values()), _ZERO))))
    book.close()
    return out

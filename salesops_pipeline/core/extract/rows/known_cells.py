"""The COPY text of cells the row parser has already read, so a row of known cells skips it.

A CSV export repeats the same products, sellers, carriers, prices, quantities, days and times
of day on many rows, and reading a text cell is a pure function of the cell (per table: the
decimal-comma reader and the date order are the table's). So once ``RowParser`` has read a row
into a SalesLine, its cells' COPY text is remembered here, keyed by the raw cell text; a later
row made only of remembered cells is written from them (copy_lines.py's hot loop) without
calling the parser: about a quarter of the per-row cost. Nothing is ever derived here: every
entry is the parser's own output for that exact cell, so a fast row's line is the line the
parser would have written (tests/core/extract/test_known_cells.py compares both on every CSV
fixture and on generated files with planted bad values). A cell never seen, or seen only in a
row that did not parse, sends its row to the parser as before.

Sale times are remembered by their two halves: ``YYYY-MM-DD`` and ``HH:MM:SS`` (or ``HH:MM``,
LibreOffice's form) as the parser's ``datetime.isoformat()`` wrote them for a
``YYYY-MM-DD HH:MM:SS`` (or ``…T…``, or without seconds) cell. Any known day with any known time
is a valid ISO 8601 date-time of year ≥ 1900 that the parser reads with
``datetime.fromisoformat`` (rows/cells.py), whose ``isoformat()`` is the day, ``T``, the time
(``:00`` added to ``HH:MM``).

In a CSV/TSV table (``cells_are_text``) every cell is text. In a workbook (``text=False``)
names are remembered only from text cells and numbers only from float cells, and a number is
looked up only for a float cell: ``True == 1 == 1.0`` as dict keys, so a key alone would not
name one cell. A workbook's sale time needs no memory: a naive datetime of year ≥ 1900 is
taken as it is by the parser (rows/sales_line.py) and written as its ``isoformat()``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from salesops_pipeline.core.extract.rows.sales_line import MIN_YEAR, SalesLine

__all__ = ["NULL", "KnownCells", "copy_text"]

NULL = "\\N"  # COPY text format's NULL
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_SOLD_AT_LENGTH = 19  # "2026-03-02 14:05:09"
_SHORT_SOLD_AT_LENGTH = 16  # "2026-03-02 14:05"


def copy_text(value: str) -> str:
    """Text in COPY text format (backslash, tab and line breaks escaped)."""
    return value.translate(_ESCAPES)


class KnownCells:
    """Remembered cells of one table, by column kind; bounded (each map starts afresh past
    ``max_entries``, like RowParser's memory)."""

    def __init__(self, max_entries: int = 100_000, *, text: bool = True) -> None:
        self.max_entries = max_entries
        self.text = text
        self._number_type: type = str if text else float
        # product / seller cell → COPY text of to_name; apart, so that a fast row's product was
        # read as a product (the staged names are spooled per dimension: copy_lines.py)
        self.products: dict[str, str] = {}
        self.sellers: dict[str, str] = {}
        self.carriers: dict[str | None, str] = {None: NULL, "": NULL}  # absent / empty: NULL
        self.money: dict[object, str] = {}  # unit or total price cell → str(Decimal)
        self.units: dict[object, str] = {}  # units cell → str(Decimal)
        self.days: set[str] = set()
        self.times: set[str] = set()  # "HH:MM:SS": at most 86,400
        self.minutes: set[str] = set()  # "HH:MM": at most 1,440

    def line(self, cells: tuple[Any, ...]) -> str | None:
        """The COPY columns after the row number (sold_at … total_price) of a row of known
        cells, or None. The hot loop in copy_lines.py inlines this; tests call it."""
        sold, product, seller, price, units, total, carrier = cells
        money = self.money
        p, s, c = self.products.get(product), self.sellers.get(seller), self.carriers.get(carrier)
        up, u, t = money.get(price), self.units.get(units), money.get(total)
        if p is None or s is None or c is None or up is None or u is None or t is None:
            return None
        if not self.text:
            if (type(price) is not float or type(units) is not float
                    or type(total) is not float or type(sold) is not datetime
                    or sold.tzinfo is not None or sold.year < MIN_YEAR):
                return None
            return f"{sold.isoformat()}\t{p}\t{s}\t{c}\t{up}\t{u}\t{t}\n"
        if len(sold) < _SHORT_SOLD_AT_LENGTH or sold[10] not in " T" or sold[:10] not in self.days:
            return None
        if len(sold) == _SOLD_AT_LENGTH and sold[11:] in self.times:
            return f"{sold[:10]}T{sold[11:]}\t{p}\t{s}\t{c}\t{up}\t{u}\t{t}\n"
        if len(sold) == _SHORT_SOLD_AT_LENGTH and sold[11:] in self.minutes:
            return f"{sold[:10]}T{sold[11:]}:00\t{p}\t{s}\t{c}\t{up}\t{u}\t{t}\n"
        return None

    def learn(self, cells: tuple[Any, ...], line: SalesLine) -> None:
        """Remember the cells of a row the parser read as ``line``."""
        sold, product, seller, price, units, total, carrier = cells
        if len(self.products) >= self.max_entries:
            self.products.clear()
        if len(self.sellers) >= self.max_entries:
            self.sellers.clear()
        if len(self.money) >= self.max_entries:
            self.money.clear()
        if len(self.units) >= self.max_entries:
            self.units.clear()
        if len(self.carriers) >= self.max_entries:  # in place: the hot loop holds the dicts
            self.carriers.clear()
            self.carriers.update({None: NULL, "": NULL})
        if len(self.days) >= self.max_entries:
            self.days.clear()
        if type(product) is str:
            self.products[product] = copy_text(line.product)
        if type(seller) is str:
            self.sellers[seller] = copy_text(line.seller)
        if type(carrier) is str:
            ship = line.shipping_company
            self.carriers[carrier] = NULL if ship is None else copy_text(ship)
        number = self._number_type
        if type(price) is number:
            self.money[price] = str(line.unit_price)
        if type(total) is number:
            self.money[total] = str(line.total_price)
        if type(units) is number:
            self.units[units] = str(line.units)
        if not self.text or type(sold) is not str or sold[10:11] not in (" ", "T"):
            return
        day, clock, moment = sold[:10], sold[11:], line.sold_at.isoformat()
        if len(sold) == _SOLD_AT_LENGTH and moment == f"{day}T{clock}":
            self.days.add(day)
            self.times.add(clock)
        elif len(sold) == _SHORT_SOLD_AT_LENGTH and moment == f"{day}T{clock}:00":
            self.days.add(day)
            self.minutes.add(clock)

"""Turn one row of raw cells into a SalesLine, or a RejectedRow listing every problem found.

Rows that are wrong for the business but readable (total ≠ price × units, zero or negative
units, negative amounts, no shipping company) become SalesLines; data-quality checks flag them.
parse_row never raises, whatever the cells hold.

How dates and numbers are read (the conventions users are told about): see rows/cells.py; how
names are spelled (NFC, whitespace and invisible characters): rows/names.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from salesops_pipeline.core.extract.header.columns import CANONICAL_ORDER
from salesops_pipeline.core.extract.rows.cells import (
    INF,
    MAX_DECIMAL_PLACES,
    MIN_YEAR,
    MONEY_LIMIT,
    UNITS_LIMIT,
    InvalidCell,
    SplitMoment,
    to_datetime,
    to_decimal,
    to_decimal_comma,
)
from salesops_pipeline.core.extract.rows.date_order import TableDates
from salesops_pipeline.core.extract.rows.names import MAX_NAME_LENGTH, to_name

__all__ = [
    "MAX_DECIMAL_PLACES",
    "MAX_NAME_LENGTH",
    "MIN_YEAR",
    "MONEY_LIMIT",
    "UNITS_LIMIT",
    "RejectedRow",
    "RowParser",
    "SalesLine",
    "parse_row",
]

_RAW_TEXT_LIMIT = 1000  # longer raw text is cut in RejectedRow.raw


@dataclass(frozen=True, slots=True)
class SalesLine:
    """A row that is readable; ``source_row_number`` is the Excel row number the user sees."""

    source_row_number: int
    sold_at: datetime
    product: str
    seller: str
    shipping_company: str | None
    unit_price: Decimal
    units: Decimal
    total_price: Decimal


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that cannot be read: its JSON-safe raw values by canonical column and every reason."""

    source_row_number: int
    raw: dict[str, object]
    reasons: tuple[str, ...]


def parse_row(row_number: int, cells: tuple[Any, ...]) -> SalesLine | RejectedRow:
    """Parse the cells of one row, given in CANONICAL_ORDER, into a SalesLine or a RejectedRow.

    A numeric text date that reads two ways (``11/01/2026``) is refused: one row cannot decide
    a date order; RowParser reads a table's rows with the order decided for the table."""
    return _guarded(row_number, cells, to_decimal, to_name, to_datetime)


class RowParser:
    """parse_row for the rows of one file, converting each distinct name and number once.

    Exports repeat the same products, sellers, prices and quantities on many rows, and the
    conversions are pure functions of the cell, so remembering them is exact and saves about a
    third of the parsing time. The memory is bounded: it starts afresh past ``max_entries``.

    ``decimal_comma``: numbers as text use a decimal comma ("1.234,50"; a semicolon-separated
    CSV file), read by cells.to_decimal_comma; other cells are read as parse_row reads them.
    ``dates``: the table's date order (date_order.TableDates), for numeric text dates.
    """

    def __init__(self, max_entries: int = 100_000, *, decimal_comma: bool = False,
                 dates: TableDates | None = None) -> None:
        self.max_entries = max_entries
        self.decimal_comma = decimal_comma
        self.dates = dates or TableDates()
        dates_ = self.dates

        def sold_at(value: object) -> datetime:  # a closure: partial(…, dates=) costs 0.4 µs
            return to_datetime(value, dates_)

        self._sold_at: Moment = sold_at
        self._numbers: dict[tuple[object, float], Decimal] = {}
        self._names: dict[str, str] = {}
        self.number: Number = self._comma_decimal if decimal_comma else self._decimal

    def __call__(self, row_number: int, cells: tuple[Any, ...]) -> SalesLine | RejectedRow:
        return _guarded(row_number, cells, self.number, self._name, self._sold_at)

    def _decimal(self, value: object, limit: float) -> Decimal:
        return self._remembered(value, limit, to_decimal)

    def _comma_decimal(self, value: object, limit: float) -> Decimal:
        """_decimal for decimal-comma files (to_decimal_comma reads their text amounts)."""
        return self._remembered(value, limit, to_decimal_comma)

    def _remembered(self, value: object, limit: float, convert: Number) -> Decimal:
        """``convert(value, limit)``, once per distinct float or text cell (CSV amounts)."""
        if type(value) is not float and type(value) is not str:
            return convert(value, limit)
        key = (value, limit)
        number = self._numbers.get(key)
        if number is None:  # invalid cells raise and are not remembered
            number = convert(value, limit)
            if len(self._numbers) >= self.max_entries:
                self._numbers.clear()
            self._numbers[key] = number
        return number

    def _name(self, value: object) -> str:
        if type(value) is not str:
            return to_name(value)
        name = self._names.get(value)
        if name is None:
            name = to_name(value)
            if len(self._names) >= self.max_entries:
                self._names.clear()
            self._names[value] = name
        return name


Number = Callable[[object, float], Decimal]
Name = Callable[[object], str]
Moment = Callable[[object], datetime]


def _guarded(row_number: int, cells: tuple[Any, ...], number: Number, name: Name,
             moment: Moment) -> SalesLine | RejectedRow:
    try:
        return _parse(row_number, cells, number, name, moment)
    except Exception as exc:  # a bug must quarantine the row, not abort the file
        return RejectedRow(row_number, _raw(cells), (f"row: internal error {exc!r}",))


def _parse(row_number: int, cells: tuple[Any, ...], number: Number, name: Name,
           moment: Moment) -> SalesLine | RejectedRow:
    """parse_row's body: each cell parsed on its own so every reason is reported.

    Unrolled rather than looped over the columns: this runs once per row and a loop costs ~8%.
    """
    if len(cells) != len(CANONICAL_ORDER):
        return RejectedRow(
            row_number, _raw(cells), (f"row: expected {len(CANONICAL_ORDER)} cells",)
        )
    sold_raw, product_raw, seller_raw, price_raw, units_raw, total_raw, ship_raw = cells
    reasons: list[str] = []
    sold_at = product = seller = ship = price = units = total = None
    if type(sold_raw) is datetime and sold_raw.tzinfo is None and sold_raw.year >= MIN_YEAR:
        sold_at = sold_raw
    else:
        try:
            sold_at = moment(sold_raw)
        except InvalidCell as exc:
            reasons.append(f"sold_at: {exc}")
    try:
        product = name(product_raw)
    except InvalidCell as exc:
        reasons.append(f"product: {exc}")
    try:
        seller = name(seller_raw)
    except InvalidCell as exc:
        reasons.append(f"seller: {exc}")
    try:
        price = number(price_raw, MONEY_LIMIT)
    except InvalidCell as exc:
        reasons.append(f"unit_price: {exc}")
    try:
        units = number(units_raw, UNITS_LIMIT)
    except InvalidCell as exc:
        reasons.append(f"units: {exc}")
    try:
        total = number(total_raw, MONEY_LIMIT)
    except InvalidCell as exc:
        reasons.append(f"total_price: {exc}")
    if ship_raw is not None and ship_raw != "":
        try:
            ship = name(ship_raw)
        except InvalidCell as exc:
            if str(exc) != "missing":
                reasons.append(f"shipping_company: {exc}")
    if reasons:
        return RejectedRow(row_number, _raw(cells), tuple(reasons))
    return SalesLine(row_number, sold_at, product, seller, ship, price, units, total)  # type: ignore[arg-type]


def _raw(cells: object) -> dict[str, object]:
    """Raw cells keyed by canonical column, made JSON- and jsonb-safe."""
    try:
        values = list(cells)  # type: ignore[call-overload]
    except TypeError:
        values = [cells]
    return {name: _json_safe(value) for name, value in zip(CANONICAL_ORDER, values, strict=False)}


def _json_safe(value: object) -> object:
    """None, bool, int, finite float and str pass; dates become ISO text; the rest their text."""
    if value is None or isinstance(value, bool):
        return value
    if type(value) is SplitMoment:  # a sale time in two columns keeps both raw cells
        return {"date": _json_safe(value.date), "time": _json_safe(value.time)}
    if isinstance(value, int):
        return value if -(2**63) <= value < 2**63 else f"<{value.bit_length()}-bit integer>"
    if isinstance(value, float):
        return value if value == value and value not in (INF, -INF) else repr(value)
    if isinstance(value, (datetime, date, time)):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    else:
        text = str(value)
    if len(text) > _RAW_TEXT_LIMIT:
        text = text[:_RAW_TEXT_LIMIT] + "…"
    # jsonb refuses NUL and lone surrogates
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")

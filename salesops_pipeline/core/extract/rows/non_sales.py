"""Sort the rows that did not parse as sales: total rows, notes, repeated headers, bad lines.

Exports carry rows that are not sales: Excel's Data → Subtotal rows ("Ada Lovelace Total",
"Grand Total"), a "Totals:" line, a note under the table ("Exported from CRM on ..."), the header
repeated on every printed page. They are never loaded and never quarantined: they are *skipped*,
with a reason users read. Everything else that did not parse is quarantined as before. Stated
totals are kept so that the import can compare them with the lines it loaded (control totals).

Staging calls ``RowSorter`` only on the rare rows that are not sales; a readable sale costs one
attribute test (``sorter.pending``). A row with a readable sale time is never given here when it
parses (a product named "Totalizer 3000" or "Total Wine & More" on a timed row is a sale), and
when it does not parse it is quarantined: a sale time makes a row a (bad) sale, whatever its
other cells say.

The rules, in the order they are tried on a row without a readable sale time:

1. **Repeated header**: the row names at least MIN_HEADER_MATCHES sales columns through the
   file's ColumnMap. Skipped as "repeated header row".
2. **Total row**: exactly one cell outside Total Price carries a total label, and Product,
   Seller and Shipping Company are empty unless they hold that label (Time may hold it, or be
   empty, or unreadable). Labels, compared case-insensitively with a trailing colon ignored:

   * grand totals: ``Total``, ``Totals``, ``Grand Total``, ``Overall Total``, ``Sum``;
   * subtotals: ``Subtotal``, ``Sub-total``, ``Sub total``, ``<name> Total``, ``Total <name>``,
     ``<name> Subtotal``, ``Subtotal <name>`` (a whole word: "Totalizer 3000" is no label; a
     column name such as "Total Price" or "Line Total" is no label either).

   A seller or product literally named "Total" on a row without a time is read as a total row:
   without a time it is not a sale either way, and its stated amount is compared, so a wrong
   guess shows up as a difference. Two names on one row ("Total Wine & More" and a seller) is
   not a total row: it is quarantined, where a user sees it.
   The stated amount is the Total Price cell (read with the file's number reader), the stated
   units the Units cell when readable. A total row without a readable amount is skipped saying
   so and states nothing, but still closes its group.
3. **Note**: exactly one non-empty cell, text. If a sale (good or bad: any row with a readable
   sale time) follows before the end of the table, it was a bad row inside the table and is
   quarantined; otherwise it is skipped as "note under the table". At most MAX_PENDING_NOTES
   wait; past that the oldest is quarantined.
4. Anything else is quarantined (its RejectedRow, unchanged).

What a stated total covers (``first_row``..``last_row``, inclusive, the rows between the
bounding rows; only loaded lines in that range count, skipped rows in it are no lines):

* a grand total: the rows since the previous grand total, or since the header;
* a subtotal: the rows since the previous subtotal or grand total. A subtotal that follows
  another subtotal with no row in between is one level up (Excel's nested subtotals: "Ada
  Total", "Bob Total", "North Total"): it covers the rows since the previous subtotal of its
  level or higher, so "North Total" covers Ada's and Bob's lines.

A total row covering no row at all gets ``first_row = last_row + 1`` (an empty range).
``sorter.pending`` stays true right after a total row until the next row, so the sorter learns
whether rows came between two subtotals: one extra ``sale()`` call per total row.

Not recognised (quarantined): Excel's "<name> Count"/"Average" subtotal rows, labels in other
languages ("Summe", "Gesamt"), and a bare number under the table without a label.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from salesops_pipeline.core.extract.header.columns import (
    CANONICAL_ORDER,
    MIN_HEADER_MATCHES,
    ColumnMap,
)
from salesops_pipeline.core.extract.rows.cells import (
    MONEY_LIMIT,
    UNITS_LIMIT,
    InvalidCell,
    SplitMoment,
    show,
    to_datetime,
)
from salesops_pipeline.core.extract.rows.date_order import ANY_ORDER
from salesops_pipeline.core.extract.rows.sales_line import Number, RejectedRow

__all__ = [
    "MAX_PENDING_NOTES",
    "NOTE_REASON",
    "REPEATED_HEADER_REASON",
    "RowSorter",
    "SkipKind",
    "SkippedRow",
    "StatedTotal",
    "Verdict",
    "total_label_scope",
]

MAX_PENDING_NOTES = 10_000
NOTE_REASON = "note under the table"
REPEATED_HEADER_REASON = "repeated header row"

SkipKind = Literal["total", "note", "header"]
Scope = Literal["subtotal", "grand_total"]

_SOLD_AT, _PRODUCT, _SELLER, _UNIT_PRICE, _UNITS, _TOTAL_PRICE, _SHIPPING = range(7)
assert CANONICAL_ORDER[_TOTAL_PRICE] == "total_price" and CANONICAL_ORDER[_UNITS] == "units"
_NAME_COLUMNS = (_PRODUCT, _SELLER, _SHIPPING)  # must be empty on a total row unless the label
_GRAND = re.compile(r"(?:grand |overall )?totals?|sum")
_SUB_WORD = r"(?:sub[- ]?totals?|totals?)"
_SUBTOTAL = re.compile(
    rf"sub[- ]?totals?|.+ {_SUB_WORD}|{_SUB_WORD} ?[:\-–]? .+"  # "X Total", "Total: X"
)


@dataclass(frozen=True, slots=True)
class SkippedRow:
    """A row that is no sale and no error: counted as skipped, never loaded nor quarantined.

    ``kind`` is 'total', 'note' or 'header', for counting; ``reason`` is for users.
    """

    sheet: str | None
    source_row_number: int
    reason: str
    raw: dict[str, object]
    kind: SkipKind


@dataclass(frozen=True, slots=True)
class StatedTotal:
    """A total the file states: the sum of Total Price (and Units, when given) over the lines on
    rows ``first_row``..``last_row`` (inclusive). The caller sums what it loaded there."""

    sheet: str | None
    source_row_number: int
    label: str
    scope: Scope
    first_row: int
    last_row: int
    stated_total: Decimal
    stated_units: Decimal | None


Verdict = RejectedRow | SkippedRow


def total_label_scope(value: object) -> Scope | None:
    """'grand_total' or 'subtotal' when a cell is a total label, else None ("Total:" → grand)."""
    if type(value) is not str:
        return None
    text = " ".join(value.split()).casefold().rstrip(": ")
    if _GRAND.fullmatch(text):
        return "grand_total"
    if _SUBTOTAL.fullmatch(text):
        return "subtotal"
    return None


def _empty(value: object) -> bool:
    return value is None or (type(value) is str and not value.strip())


def _reads_as_time(value: object) -> bool:
    """Whether the cell is a sale time, in either date order (an ambiguous or contradicting
    date still makes its row a bad sale, not a note)."""
    if type(value) is SplitMoment:  # date and time in two columns: the date makes it a sale
        value = value.date
    try:
        to_datetime(value, ANY_ORDER)
    except InvalidCell:
        return False
    return True


class RowSorter:
    """Decide the fate of one sales table's rows that did not parse (see the module docstring).

    ``not_a_sale`` for each RejectedRow, ``sale`` when a sale follows while ``pending`` is
    truthy, ``finish`` at the end of the table; each returns the rows now decided. Then
    ``control_totals`` lists the totals the table states, in row order.
    """

    def __init__(self, sheet: str | None, header_row: int, column_map: ColumnMap,
                 number: Number) -> None:
        self.sheet = sheet
        self.column_map = column_map
        self.number = number
        self.control_totals: list[StatedTotal] = []
        # True while staging must report sales: notes wait for one, or a total row was the last
        # row seen (whether rows follow it decides the level of a next subtotal).
        self.pending = False
        self._notes: deque[RejectedRow] = deque()
        self._grand_start = header_row + 1
        self._level_starts: list[int] = []  # first row the next subtotal of level k covers
        self._last_level: int | None = None  # level of the last row if it was a subtotal
        self._row_since_total = True

    def sale(self) -> list[Verdict]:
        """A sale came: waiting notes were bad rows inside the table."""
        self._row_since_total = True
        self.pending = False
        notes: list[Verdict] = list(self._notes)
        self._notes.clear()
        return notes

    def not_a_sale(self, rejected: RejectedRow, cells: tuple[Any, ...]) -> list[Verdict]:
        """Sort one row that parse_row rejected; ``cells`` are its raw cells in CANONICAL_ORDER."""
        try:
            return self._sort(rejected, cells)
        except Exception:  # a bug must quarantine the row, not abort the file
            self._row_since_total = True
            return [rejected]

    def finish(self) -> list[Verdict]:
        """The table ended: notes still waiting were under the table."""
        notes: list[Verdict] = [
            SkippedRow(self.sheet, note.source_row_number, NOTE_REASON, note.raw, "note")
            for note in self._notes
        ]
        self._notes.clear()
        self.pending = False
        return notes

    def _sort(self, rejected: RejectedRow, cells: tuple[Any, ...]) -> list[Verdict]:
        if len(cells) != len(CANONICAL_ORDER):
            return self._quarantine(rejected)
        if _reads_as_time(cells[_SOLD_AT]):  # a bad sale: notes before it were inside the table
            return [*self.sale(), rejected]
        if len(self.column_map.match(cells)) >= MIN_HEADER_MATCHES:
            self._row_since_total = True
            self.pending = bool(self._notes)
            return [self._skip(rejected, REPEATED_HEADER_REASON, "header")]
        label = self._label(cells)
        if label is not None:
            return [self._total(rejected, cells, *label)]
        filled = [value for value in cells if not _empty(value)]
        if len(filled) == 1 and type(filled[0]) is str:
            self._row_since_total = True
            self._notes.append(rejected)
            self.pending = True
            if len(self._notes) > MAX_PENDING_NOTES:
                return [self._notes.popleft()]
            return []
        return self._quarantine(rejected)

    def _quarantine(self, rejected: RejectedRow) -> list[Verdict]:
        self._row_since_total = True
        self.pending = bool(self._notes)
        return [rejected]

    def _skip(self, rejected: RejectedRow, reason: str, kind: SkipKind) -> SkippedRow:
        return SkippedRow(self.sheet, rejected.source_row_number, reason, rejected.raw, kind)

    def _label(self, cells: tuple[Any, ...]) -> tuple[str, Scope] | None:
        """The one total label of a total row and its scope, or None when it is no total row.

        A subtotal-like column name ("Total Price", "Line Total") is no label."""
        found = [(i, scope) for i, value in enumerate(cells)
                 if i != _TOTAL_PRICE and (scope := total_label_scope(value)) is not None
                 and (scope == "grand_total" or self.column_map.canonical_for(value) is None)]
        if len(found) != 1:
            return None
        index, scope = found[0]
        if any(i != index and not _empty(cells[i]) for i in _NAME_COLUMNS):
            return None
        return " ".join(str(cells[index]).split()), scope

    def _total(self, rejected: RejectedRow, cells: tuple[Any, ...], label: str,
               scope: Scope) -> SkippedRow:
        """Skip a total row, close its group and keep what it states."""
        row = rejected.source_row_number
        if scope == "grand_total":
            first = self._grand_start
            self._grand_start = row + 1
            self._level_starts = []
            self._last_level = None
            what = "grand total row"
        else:
            level = 0
            if not self._row_since_total and self._last_level is not None:
                level = self._last_level + 1
            starts = self._level_starts
            first = starts[level] if level < len(starts) else self._grand_start
            self._level_starts = [row + 1] * (level + 1) + starts[level + 1:]
            self._last_level = level
            what = "subtotal row"
        self._row_since_total = False
        self.pending = True
        try:
            amount = self.number(cells[_TOTAL_PRICE], MONEY_LIMIT)
        except InvalidCell as exc:
            reason = f"{what} {show(label)} without a readable amount (total_price: {exc})"
            return self._skip(rejected, reason, "total")
        try:
            units: Decimal | None = self.number(cells[_UNITS], UNITS_LIMIT)
        except InvalidCell:
            units = None
        self.control_totals.append(
            StatedTotal(self.sheet, row, label, scope, first, row - 1, amount, units)
        )
        return self._skip(rejected, f"{what} {show(label)}", "total")

"""What every reader (workbook sheets, CSV/TSV files) hands to staging: sales tables.

A dropped file holds one or more *sales tables*: a header row naming the sales columns and the
rows under it. A workbook gives one per worksheet that carries a sales header; a CSV or TSV file
gives exactly one. Staging only ever sees this interface, so every format goes through the same
cell parsing, quarantine, subtotal detection and control totals.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from salesops_pipeline.core.extract.header.columns import SplitColumns

__all__ = ["SalesTable", "SkippedSheet", "TableLayout"]


@dataclass(frozen=True)
class TableLayout:
    """Where a sales table is: its sheet (None for CSV/TSV), the 1-based header row as a
    spreadsheet shows it, and canonical column → 0-based column index (A = 0); ``split`` when
    sold_at is a date column (columns["sold_at"]) plus a time column (columns.split_sold_at).
    ``header_cells`` start at column ``first_column`` (a sheet's first used column; 0 for CSV)."""

    sheet_name: str | None
    header_row: int
    columns: dict[str, int]
    header_cells: tuple[Any, ...] = field(default=(), compare=False)
    split: SplitColumns | None = None
    first_column: int = 0


@dataclass(frozen=True)
class SkippedSheet:
    """A worksheet that carries no sales header (a summary, a pivot, notes): not imported."""

    sheet_name: str
    reason: str


class SalesTable(Protocol):
    """One table's rows; ``iter_rows`` may be called once."""

    layout: TableLayout
    # Numbers as text use a decimal comma ("1.234,50"): a semicolon-separated CSV file.
    decimal_comma: bool
    # Rows with values only outside the sales columns (counted while iterating: skipped rows).
    rows_outside_columns: int
    # Every cell is text or None (CSV/TSV): staging may remember cells by their text
    # (rows/known_cells.py); workbook cells are typed values.
    cells_are_text: bool

    def iter_rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Yield (row number as a spreadsheet shows it, cells in CANONICAL_ORDER) for each row
        under the header that has a value in a sales column. Cells are raw: text, numbers,
        datetimes, "" or None for empty; a column absent from the header yields None. When
        ``layout.split``, the sold_at cell is a cells.SplitMoment (the date and time cells)."""
        ...

    def sold_at_values(self) -> Iterator[object]:
        """Yield the raw sold_at cell of every row under the header, in a pass of its own (it
        may run while ``iter_rows`` is under way): the evidence for the table's date order.
        With ``layout.split`` these are the date column's cells."""
        ...

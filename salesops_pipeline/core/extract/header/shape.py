"""What a sales table's header looks like: each column's header text, the sales column it names
and where it stands, recorded per table in the import log (``sheets[].columns``) so the next
export of the file, or another file of its folder, can be compared with it (core/load/drift.py).

Pure: a TableLayout in, JSON-safe dicts out.
"""

from __future__ import annotations

from salesops_pipeline.core.extract.formats.sales_table import TableLayout
from salesops_pipeline.core.extract.header.columns import SOLD_AT_DATE, SOLD_AT_TIME

__all__ = ["MAX_COLUMNS", "MAX_HEADER_CHARS", "decimal_separator", "header_columns"]

# A header is kept in the import log for every import: bounded, whatever a hostile file holds
# (a CSV record may have 1,000 fields of 128 KiB). Real exports have a few dozen short headers.
MAX_COLUMNS = 250
MAX_HEADER_CHARS = 200


def header_columns(layout: TableLayout) -> list[dict[str, object]]:
    """Every non-empty header cell, left to right: ``{"header": its text, "column": the sales
    column it names (``sold_at_date``/``sold_at_time`` for a sale time in two columns; None
    for a column that is no sales column), "position": 0-based column index (A = 0)}``; at
    most MAX_COLUMNS other columns and MAX_HEADER_CHARS characters of each header."""
    named = {position: column for column, position in layout.columns.items()}
    if layout.split is not None:
        named[layout.columns["sold_at"]] = SOLD_AT_DATE
        named[layout.split.time_column] = SOLD_AT_TIME
    out: list[dict[str, object]] = []
    for index, cell in enumerate(layout.header_cells):
        text = "" if cell is None else " ".join(str(cell)[:4 * MAX_HEADER_CHARS].split())
        text = text[:MAX_HEADER_CHARS]
        if text and (len(out) < MAX_COLUMNS or layout.first_column + index in named):
            position = layout.first_column + index
            out.append({"header": text, "column": named.get(position), "position": position})
    return out


def decimal_separator(decimal_comma: bool) -> str:
    """The decimal separator a table's numbers as text are read with ("," in a
    semicolon-separated CSV file, else ".")."""
    return "," if decimal_comma else "."

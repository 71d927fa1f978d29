"""Open any dropped file as its sales tables: workbooks (every sales sheet) and CSV/TSV files.

The format is taken from the content where it can be: a zip or OLE2 file is a workbook whatever
its name says; plain text is a CSV/TSV file when named so. Everything after this point (cell
parsing, quarantine, subtotal rows, control totals, staging) is the same for every format.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from salesops_pipeline.core.columns import ColumnMap
from salesops_pipeline.core.csv_file import open_csv_table
from salesops_pipeline.core.tables import SalesTable, SkippedSheet
from salesops_pipeline.core.workbook import open_workbook_tables

__all__ = ["TEXT_SUFFIXES", "SalesFile", "open_sales_file"]

TEXT_SUFFIXES = frozenset({".csv", ".tsv"})
_BINARY_SIGNATURES = (b"PK\x03\x04", bytes.fromhex("D0CF11E0A1B11AE1"))


@dataclass
class SalesFile:
    """An open file's sales tables, in file order, and the worksheets skipped."""

    tables: Sequence[SalesTable]
    skipped_sheets: list[SkippedSheet] = field(default_factory=list)
    format: str = "workbook"  # or "csv"
    _closer: object = None

    def close(self) -> None:
        close = getattr(self._closer, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> SalesFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def _is_text_file(path: Path) -> bool:
    if path.suffix.lower() not in TEXT_SUFFIXES:
        return False
    with path.open("rb") as handle:
        head = handle.read(8)
    return not head.startswith(_BINARY_SIGNATURES)


def open_sales_file(path: Path, *, column_map: ColumnMap | None = None,
                    max_rows: int = 5_000_000) -> SalesFile:
    """Open ``path`` and locate its sales tables; raises a WorkbookError naming the problem."""
    path = Path(path)
    if _is_text_file(path):
        table = open_csv_table(path, column_map=column_map, max_rows=max_rows)
        return SalesFile([table], [], "csv", table)
    book = open_workbook_tables(path, column_map=column_map, max_rows=max_rows)
    return SalesFile(book.tables, book.skipped_sheets, "workbook", book)

"""Open any dropped file as its sales tables: workbooks (every sales sheet) and CSV/TSV files.

The format is taken from the content where it can be: a zip or OLE2 file is a workbook whatever
its name says; plain text is a CSV/TSV file when named so. Everything after this point (cell
parsing, quarantine, subtotal rows, control totals, staging) is the same for every format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from salesops_pipeline.core.extract.columns import ColumnMap
from salesops_pipeline.core.extract.csv_reader import open_csv_table
from salesops_pipeline.core.extract.drops import TEXT_SUFFIXES
from salesops_pipeline.core.extract.tables import SalesTable, SkippedSheet
from salesops_pipeline.core.extract.workbook import open_workbook_tables
from salesops_pipeline.core.extract.workbook_open import OLE2_SIGNATURE
from salesops_pipeline.core.extract.zip_bounds import ZIP_SIGNATURE

__all__ = ["SalesFile", "open_sales_file"]

_BINARY_SIGNATURES = (ZIP_SIGNATURE, OLE2_SIGNATURE)


@dataclass
class SalesFile:
    """An open file's sales tables, in file order, and the worksheets skipped."""

    tables: Sequence[SalesTable]
    skipped_sheets: list[SkippedSheet]
    format: str  # "workbook" or "csv"
    close: Callable[[], None]  # releases the open file (and a workbook's sheet grids)

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
        return SalesFile([table], [], "csv", table.close)
    book = open_workbook_tables(path, column_map=column_map, max_rows=max_rows)
    return SalesFile(book.tables, book.skipped_sheets, "workbook", book.close)

"""The file formats a drop can be, one entry each, and opening any dropped file as its sales tables.

Each entry says which names it is accepted under (the drop folder's rule, intake/drops.py, is
built from them), the signature its content starts with, the guard that refuses a hostile or
unusable file before anything parses it, and the opener that finds its sales tables. A new
format is one entry here.

The format is taken from the content where it can be: a zip or OLE2 file is a workbook whatever
its name says; anything else is what its name says (plain text named .csv is a CSV file; plain
text named .xlsx reaches the workbook opener, which says it is text). Everything after this
point (cell parsing, quarantine, subtotal rows, control totals, staging) is the same for every
format.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from salesops_pipeline.core.extract.formats.csv_tables import open_csv_table
from salesops_pipeline.core.extract.formats.csv_text import refuse_non_text
from salesops_pipeline.core.extract.formats.sales_table import SalesTable, SkippedSheet
from salesops_pipeline.core.extract.formats.workbook_guard import (
    OLE2_SIGNATURE,
    refuse_encrypted,
)
from salesops_pipeline.core.extract.formats.workbook_tables import open_workbook_tables
from salesops_pipeline.core.extract.formats.zip_bounds import ZIP_SIGNATURE, check_zip_bounds
from salesops_pipeline.core.extract.header.columns import ColumnMap

__all__ = ["FORMATS", "FileFormat", "SalesFile", "format_of", "open_sales_file"]


@dataclass
class SalesFile:
    """An open file's sales tables, in file order, and the worksheets skipped."""

    tables: Sequence[SalesTable]
    skipped_sheets: list[SkippedSheet]
    format: str  # FileFormat.kind: "workbook" or "csv"
    close: Callable[[], None]  # releases the open file (and a workbook's sheet grids)

    def __enter__(self) -> SalesFile:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


# An opener finds a file's sales tables: (tables, skipped worksheets, close).
Opened = tuple[Sequence[SalesTable], list[SkippedSheet], Callable[[], None]]
Opener = Callable[[Path, ColumnMap | None, int], Opened]


@dataclass(frozen=True)
class FileFormat:
    """One kind of file a drop can be."""

    kind: str  # what the import log and the metadata call it: "workbook" or "csv"
    label: str  # for people: "Excel workbook (Office Open XML)"
    suffixes: tuple[str, ...]  # names it is imported under, lower case, in message order
    signature: bytes | None  # how its content starts; None: plain text, known by its name
    guard: Callable[[Path], None]  # raises a WorkbookError before anything parses the file
    open: Opener  # finds its sales tables


def _workbook(path: Path, column_map: ColumnMap | None, max_rows: int) -> Opened:
    book = open_workbook_tables(path, column_map=column_map, max_rows=max_rows)
    return book.tables, book.skipped_sheets, book.close


def _csv(path: Path, column_map: ColumnMap | None, max_rows: int) -> Opened:
    table = open_csv_table(path, column_map=column_map, max_rows=max_rows)
    return [table], [], table.close


# In the order users read them in messages ("accepted: .xlsx, .xlsm, …"): workbooks first.
FORMATS: tuple[FileFormat, ...] = (
    FileFormat("workbook", "Excel workbook (Office Open XML)", (".xlsx", ".xlsm", ".xlsb"),
               ZIP_SIGNATURE, check_zip_bounds, _workbook),
    FileFormat("workbook", "Excel 97-2003 workbook", (".xls",),
               OLE2_SIGNATURE, refuse_encrypted, _workbook),
    FileFormat("csv", "delimited text (CSV, TSV)", (".csv", ".tsv"),
               None, refuse_non_text, _csv),
)
_SIGNATURE_BYTES = max(len(f.signature or b"") for f in FORMATS)


def format_of(path: Path) -> FileFormat:
    """The file's format: by its first bytes where they say, else by its name (a name no entry
    takes goes to the first workbook format, whose opener says what the file is)."""
    with path.open("rb") as handle:
        head = handle.read(_SIGNATURE_BYTES)
    for candidate in FORMATS:
        if candidate.signature is not None and head.startswith(candidate.signature):
            return candidate
    suffix = path.suffix.lower()
    return next((f for f in FORMATS if suffix in f.suffixes), FORMATS[0])


def open_sales_file(path: Path, *, column_map: ColumnMap | None = None,
                    max_rows: int = 5_000_000) -> SalesFile:
    """Guard, then open ``path`` and locate its sales tables; raises a WorkbookError naming the
    problem."""
    path = Path(path)
    found = format_of(path)
    found.guard(path)
    tables, skipped, close = found.open(path, column_map, max_rows)
    return SalesFile(tables, skipped, found.kind, close)

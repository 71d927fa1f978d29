"""Find the sales tables of a workbook (one per worksheet with a sales header) and stream their
rows with the Excel row numbers users see.

python-calamine reads .xlsx/.xlsm/.xlsb/.xls (formula cells give the value cached in the file; a
formula without one, or an error such as #DIV/0!, reads as empty). The file is opened from its
bytes, so the format is sniffed from the content, not trusted from the suffix.

Two calamine details shape this module:

* ``get_sheet_by_name`` loads a whole sheet into a dense grid spanning the first to the last cell
  *with a value*. Styled empty cells and an oversized ``<dimension>`` cost nothing, but one stray
  value far away (say XFD1048576) would make the grid billions of cells and abort the process, so
  ``workbook_file.check_grid_size`` checks .xlsx/.xlsm sheets before calamine sees them.
* ``sheet.start`` is the first used cell; ``iter_rows()`` first yields ``start[0]`` padding rows,
  so the i-th row it yields (0-based) is Excel row i + 1, while its columns begin at ``start[1]``.
  ``test_workbook_tables.py::test_data_starting_at_c5_keeps_excel_numbers`` pins this.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any

from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum

from salesops_pipeline.core.extract.formats.sales_table import SkippedSheet, TableLayout
from salesops_pipeline.core.extract.formats.workbook_guard import (
    MAX_GRID_CELLS,
    check_grid_size,
    open_workbook,
)
from salesops_pipeline.core.extract.header.columns import (
    CANONICAL_ORDER,
    HEADER_SCAN_ROWS,
    MIN_HEADER_MATCHES,
    ColumnMap,
    default_column_map,
    describe_needed_columns,
    find_header,
)
from salesops_pipeline.core.extract.rows.cells import SplitMoment
from salesops_pipeline.errors import NoSalesSheet, UnreadableWorkbook, WorkbookTooLarge

__all__ = ["MAX_GRID_CELLS", "SalesSheet", "WorkbookTables", "open_workbook_tables"]


def _blank(value: object) -> bool:
    return value is None or value == "" or (type(value) is str and value.isspace())


class SalesSheet:
    """One worksheet's sales table (a SalesTable): its layout and its rows."""

    decimal_comma = False  # calamine gives numbers as numbers; text amounts use the usual rules
    cells_are_text = False  # typed cells: numbers, datetimes, text

    def __init__(self, sheet: CalamineSheet, layout: TableLayout) -> None:
        self._sheet = sheet
        self.layout = layout
        self.rows_outside_columns = 0

    @property
    def rows_below_header(self) -> int:
        start = self._sheet.start
        return start[0] + self._sheet.height - self.layout.header_row if start else 0

    def iter_rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Yield (Excel row number, cells in CANONICAL_ORDER) for each row under the header with a
        value in a sales column; rows with values only in other columns are counted in
        ``rows_outside_columns``. Cells are calamine's raw values ("" for empty); a missing
        optional column yields None.
        """
        start = self._sheet.start
        if start is None:
            return
        first_col = start[1]
        picks = [
            self.layout.columns.get(name, first_col - 1) - first_col for name in CANONICAL_ORDER
        ]
        pad = -1 in picks  # a missing column reads the None appended to each row
        pick = itemgetter(*picks)
        split = self.layout.split
        time_at = split.time_column - first_col if split else 0
        row_number = self.layout.header_row
        for row in islice(self._sheet.iter_rows(), row_number, None):
            row_number += 1
            if pad:
                row.append(None)  # type: ignore[arg-type]
            cells = pick(row)
            for value in cells:
                if value is None or value == "" or (type(value) is str and value.isspace()):
                    continue
                break
            else:
                if not all(map(_blank, row)):
                    self.rows_outside_columns += 1
                continue
            if split is not None:
                cells = (SplitMoment(cells[0], row[time_at], split.date_label,
                                     split.time_label), *cells[1:])
            yield row_number, cells

    def sold_at_values(self) -> Iterator[object]:
        """Yield the sold_at cell of each row under the header: a second pass over the sheet's
        grid, already in memory (rows/date_order.py's evidence)."""
        start = self._sheet.start
        if start is None:
            return
        column = self.layout.columns["sold_at"] - start[1]
        for row in islice(self._sheet.iter_rows(), self.layout.header_row, None):
            yield row[column]


@dataclass
class WorkbookTables:
    """An open workbook's sales tables and the worksheets skipped; use as a context manager."""

    workbook: CalamineWorkbook
    tables: list[SalesSheet]
    skipped_sheets: list[SkippedSheet] = field(default_factory=list)

    def close(self) -> None:
        """Release the workbook and its in-memory sheet grids."""
        self.tables = []
        self.workbook.close()

    def __enter__(self) -> WorkbookTables:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.close()


def open_workbook_tables(path: Path, *, column_map: ColumnMap | None = None,
                         max_rows: int = 5_000_000,
                         max_cells: int = MAX_GRID_CELLS) -> WorkbookTables:
    """Open ``path`` and find every worksheet whose header row names the sales columns.

    Worksheets without a sales header (summaries, pivots, notes, charts) are skipped and listed.
    Raises UnreadableWorkbook, NoSalesSheet (no sales sheet at all), MissingColumns or
    AmbiguousColumns (a sheet's header names some sales columns but not all, or one twice:
    the whole file is refused, naming that sheet) or WorkbookTooLarge.
    """
    path = Path(path)
    column_map = column_map or default_column_map()
    check_grid_size(path, max_cells)
    workbook = open_workbook(path)
    try:
        found = WorkbookTables(workbook, [])
        scanned: list[str] = []
        for meta in workbook.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:
                found.skipped_sheets.append(SkippedSheet(meta.name, "not a worksheet"))
                continue
            scanned.append(meta.name)
            table = _sales_table(workbook, meta.name, column_map)
            if table is None:
                found.skipped_sheets.append(SkippedSheet(
                    meta.name, f"no header row naming {MIN_HEADER_MATCHES} or more sales "
                    f"columns in its first {HEADER_SCAN_ROWS} rows"))
            else:
                found.tables.append(table)
        if not found.tables:
            raise NoSalesSheet(
                f"no sheet has a header row naming at least {MIN_HEADER_MATCHES} of the sales "
                f"columns (looked in the first {HEADER_SCAN_ROWS} rows of sheets: "
                f"{', '.join(map(repr, scanned)) or 'none'}); the header needs "
                f"{describe_needed_columns(column_map)}")
        rows = sum(t.rows_below_header for t in found.tables)
        if rows > max_rows:
            where = ", ".join(f"{t.layout.sheet_name!r} {t.rows_below_header}"
                              for t in found.tables)
            raise WorkbookTooLarge(f"the sales sheets have {rows} rows below their headers "
                                   f"({where}); the limit is {max_rows}")
    except BaseException:
        workbook.close()
        raise
    return found


def _sales_table(workbook: CalamineWorkbook, name: str,
                 column_map: ColumnMap) -> SalesSheet | None:
    """The sheet's sales table, or None when its first rows hold no sales header."""
    sheet = _load_sheet(workbook, name)
    start = sheet.start
    if start is None:
        return None
    rows = islice(sheet.iter_rows(), start[0], start[0] + HEADER_SCAN_ROWS)
    match = find_header(enumerate(rows, start[0] + 1), column_map=column_map, sheet=name,
                        first_column=start[1])
    if match is None:
        return None
    return SalesSheet(sheet, TableLayout(name, match.row_number, match.columns, match.cells,
                                         match.split, first_column=start[1]))


def _load_sheet(workbook: CalamineWorkbook, name: str) -> CalamineSheet:
    """Load one sheet's grid, reporting calamine failures as UnreadableWorkbook."""
    try:
        return workbook.get_sheet_by_name(name)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise UnreadableWorkbook(f"sheet {name!r} cannot be read: {exc}") from exc

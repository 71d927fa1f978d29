"""Find the sales table in a workbook and stream its rows with the Excel row numbers users see.

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
  ``test_workbook.py::test_data_starting_at_c5_keeps_excel_numbers`` pins this.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any

from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum

from salesops_pipeline.core.columns import (
    CANONICAL_ORDER,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    column_letter,
    match_header,
)
from salesops_pipeline.core.workbook_file import MAX_GRID_CELLS, check_grid_size, open_workbook
from salesops_pipeline.errors import (
    AmbiguousColumns,
    MissingColumns,
    NoSalesSheet,
    UnreadableWorkbook,
    WorkbookTooLarge,
)

__all__ = [
    "HEADER_SCAN_ROWS",
    "MAX_GRID_CELLS",
    "MIN_HEADER_MATCHES",
    "WORKBOOK_SUFFIXES",
    "SalesSheet",
    "SheetLayout",
    "is_candidate_file",
    "open_sales_sheet",
]

WORKBOOK_SUFFIXES = frozenset({".xlsx", ".xlsm", ".xlsb", ".xls"})
HEADER_SCAN_ROWS = 50  # rows below the first used row searched for the header
MIN_HEADER_MATCHES = 3  # fewer recognised columns than this is not a sales header at all


def is_candidate_file(path: Path) -> bool:
    """Tell whether a dropped file should be imported (skips Office locks and temp files)."""
    name = path.name
    if name.startswith(("~$", ".~lock", ".")):
        return False
    return path.suffix.lower() in WORKBOOK_SUFFIXES


@dataclass(frozen=True)
class SheetLayout:
    """Where the sales table is: sheet, 1-based header row, canonical → 0-based column (A = 0).

    Optional columns absent from the sheet are absent from ``columns``; rows yielded by
    :meth:`SalesSheet.iter_rows` are in ``CANONICAL_ORDER`` regardless of these positions.
    """

    sheet_name: str
    header_row: int
    columns: dict[str, int]


class SalesSheet:
    """An open workbook positioned on its sales table; use as a context manager."""

    def __init__(
        self, workbook: CalamineWorkbook, sheet: CalamineSheet, layout: SheetLayout
    ) -> None:
        self._workbook = workbook
        self._sheet: CalamineSheet | None = sheet
        self.layout = layout

    def iter_rows(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        """Yield (Excel row number, cells in CANONICAL_ORDER) for each non-blank row under it.

        Cells are calamine's raw values ("" for empty); a missing optional column yields None.
        A row is blank when every canonical cell is None, "" or whitespace.
        """
        if self._sheet is None:
            raise ValueError("SalesSheet is closed")
        start = self._sheet.start
        if start is None:
            return
        first_col = start[1]
        picks = [
            self.layout.columns.get(name, first_col - 1) - first_col for name in CANONICAL_ORDER
        ]
        pad = -1 in picks  # a missing column reads the None appended to each row
        pick = itemgetter(*picks)
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
                continue
            yield row_number, cells

    def close(self) -> None:
        """Release the workbook and its in-memory sheet grid."""
        self._sheet = None
        self._workbook.close()

    def __enter__(self) -> SalesSheet:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def open_sales_sheet(
    path: Path, *, max_rows: int = 5_000_000, max_cells: int = MAX_GRID_CELLS
) -> SalesSheet:
    """Open ``path``, find the sheet and row holding the sales header, and check its size.

    Raises UnreadableWorkbook, NoSalesSheet, MissingColumns, AmbiguousColumns or WorkbookTooLarge.
    """
    path = Path(path)
    check_grid_size(path, max_cells)
    workbook = open_workbook(path)
    try:
        sheet, layout = _locate_table(workbook)
        data_rows = sheet.start[0] + sheet.height - layout.header_row if sheet.start else 0
        if data_rows > max_rows:
            raise WorkbookTooLarge(
                f"sheet {layout.sheet_name!r} has {data_rows} rows below the header on row "
                f"{layout.header_row}; the limit is {max_rows}"
            )
    except BaseException:
        workbook.close()
        raise
    return SalesSheet(workbook, sheet, layout)


def _locate_table(workbook: CalamineWorkbook) -> tuple[CalamineSheet, SheetLayout]:
    """Pick the sheet/row whose cells name the most canonical columns, then validate that header."""
    best: tuple[int, CalamineSheet, str, int, list[Any], dict[str, list[int]]] | None = None
    scanned: list[str] = []
    for meta in workbook.sheets_metadata:
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        scanned.append(meta.name)
        sheet = _load_sheet(workbook, meta.name)
        start = sheet.start
        if start is None:
            continue
        rows = islice(sheet.iter_rows(), start[0], start[0] + HEADER_SCAN_ROWS)
        for offset, row in enumerate(rows):
            found = match_header(row)
            if len(found) >= MIN_HEADER_MATCHES and (best is None or len(found) > best[0]):
                best = (len(found), sheet, meta.name, start[0] + offset + 1, row, found)
    if best is None:
        raise NoSalesSheet(
            f"no sheet has a header row naming at least {MIN_HEADER_MATCHES} of the sales columns "
            f"(looked in the first {HEADER_SCAN_ROWS} rows of sheets: "
            f"{', '.join(map(repr, scanned)) or 'none'}); the header needs "
            f"{', '.join(REQUIRED_COLUMNS)} and optionally {', '.join(OPTIONAL_COLUMNS)}"
        )
    _, sheet, name, header_row, row, found = best
    missing = [column for column in REQUIRED_COLUMNS if column not in found]
    if missing:
        raise MissingColumns(missing, name, header_row)
    first_col = sheet.start[1] if sheet.start else 0
    for column, positions in found.items():
        if len(positions) > 1:
            headers = [f"{row[i]!r} in {column_letter(first_col + i)}" for i in positions]
            raise AmbiguousColumns(column, headers, name, header_row)
    columns = {column: first_col + positions[0] for column, positions in found.items()}
    return sheet, SheetLayout(sheet_name=name, header_row=header_row, columns=columns)


def _load_sheet(workbook: CalamineWorkbook, name: str) -> CalamineSheet:
    """Load one sheet's grid, reporting calamine failures as UnreadableWorkbook."""
    try:
        return workbook.get_sheet_by_name(name)
    except BaseException as exc:
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise UnreadableWorkbook(f"sheet {name!r} cannot be read: {exc}") from exc

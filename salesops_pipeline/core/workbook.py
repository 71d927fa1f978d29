"""Find the sales table in a workbook and stream its rows with the Excel row numbers users see.

python-calamine reads .xlsx/.xlsm/.xlsb/.xls (formula cells give the value cached in the file; a
formula without one, or an error such as #DIV/0!, reads as empty). The file is opened from its
bytes, so the format is sniffed from the content, not trusted from the suffix.

Two calamine details shape this module:

* ``get_sheet_by_name`` loads a whole sheet into a dense grid spanning the first to the last cell
  *with a value*. Styled empty cells and an oversized ``<dimension>`` cost nothing, but one stray
  value far away (say XFD1048576) would make the grid billions of cells and abort the process, so
  :func:`_check_grid_size` checks .xlsx/.xlsm sheets before calamine sees them.
* ``sheet.start`` is the first used cell; ``iter_rows()`` first yields ``start[0]`` padding rows,
  so the i-th row it yields (0-based) is Excel row i + 1, while its columns begin at ``start[1]``.
  ``test_workbook.py::test_data_starting_at_c5_keeps_excel_numbers`` pins this.
"""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any

from python_calamine import CalamineSheet, CalamineWorkbook, PasswordError, SheetTypeEnum

from salesops_pipeline.core.columns import (
    CANONICAL_ORDER,
    OPTIONAL_COLUMNS,
    REQUIRED_COLUMNS,
    column_letter,
    match_header,
)
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
# calamine keeps about 32 bytes per grid cell: 100M cells is ~3 GB, far beyond any real export.
MAX_GRID_CELLS = 100_000_000
_OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_BIFF8_BOF = b"\x09\x08\x10\x00\x00\x06\x05\x00"  # BOF record of a BIFF8 workbook stream
_FILEPASS = 0x002F  # the record that says the workbook stream is encrypted
_ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")  # stream name inside encrypted OOXML


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
    _check_grid_size(path, max_cells)
    workbook = _open_workbook(path)
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


def _open_workbook(path: Path) -> CalamineWorkbook:
    """Open with calamine; any failure becomes UnreadableWorkbook with a reason users act on."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
            if not head:
                raise UnreadableWorkbook(
                    "not a readable Excel workbook: the file is empty (0 bytes)"
                )
            if head.startswith(_OLE2_SIGNATURE) and (_is_encrypted_ooxml(path)
                                                     or _is_encrypted_xls(path)):
                raise UnreadableWorkbook(
                    "the workbook is password-protected (encrypted); save it without a password"
                )
            handle.seek(0)
            return CalamineWorkbook.from_filelike(handle)
    except UnreadableWorkbook:
        raise
    except OSError as exc:
        raise UnreadableWorkbook(f"cannot read the file: {exc}") from exc
    except PasswordError as exc:
        raise UnreadableWorkbook(
            "the workbook is password-protected; save it without a password"
        ) from exc
    except BaseException as exc:  # calamine raises its own errors and, on odd input, pyo3 panics
        if isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError)):
            raise
        raise UnreadableWorkbook(
            f"not a readable Excel workbook: {_describe(head, exc, path)}") from exc


def _is_encrypted_ooxml(path: Path) -> bool:
    """An OLE2 container holding an 'EncryptedPackage' stream is a password-protected .xlsx."""
    return _ENCRYPTED_MARKER in path.read_bytes()


def _is_encrypted_xls(path: Path) -> bool:
    """An old .xls whose workbook stream opens with BOF then FILEPASS is password-protected."""
    data = path.read_bytes()
    at = data.find(_BIFF8_BOF)
    for _ in range(64 if at >= 0 else 0):  # FILEPASS comes right after BOF, within a few records
        if at + 4 > len(data):
            break
        record, length = struct.unpack_from("<HH", data, at)
        if record == _FILEPASS:
            return True
        at += 4 + length
    return False


def _is_damaged_zip(path: Path) -> bool:
    """A zip whose central directory cannot be read: typically a copy cut short."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.testzip() is not None
    except (zipfile.BadZipFile, OSError, EOFError):
        return True


def _describe(head: bytes, exc: BaseException, path: Path) -> str:
    """Say what the file looks like when calamine rejects it (CSV or HTML named .xlsx is common)."""
    reason = str(exc) or type(exc).__name__
    if head.startswith(b"PK\x03\x04"):
        if _is_damaged_zip(path):
            return (f"the file is damaged or incomplete (an interrupted copy?); export or copy "
                    f"it again ({reason})")
        return f"a zip archive without a workbook inside ({reason})"
    if head.startswith(_OLE2_SIGNATURE):
        return (
            f"an old-style Office file that is damaged, encrypted or not a spreadsheet ({reason})"
        )
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            return reason
        return f"the file is plain text (CSV or HTML?), not a workbook ({reason})"
    return reason


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


_DIMENSION = re.compile(rb'<dimension ref="([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?"')
_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(/?)>')


def _check_grid_size(path: Path, max_cells: int) -> None:
    """Refuse an .xlsx/.xlsm sheet whose used area would not fit in memory once calamine loads it.

    The declared ``<dimension>`` is trusted when small (Excel writes it exactly); when it is
    missing or huge, the sheet XML is scanned for cells with content. Other formats are left to
    calamine (.xls grids are at most 65,536 × 256).
    """
    if path.suffix.lower() not in {".xlsx", ".xlsm"} or not zipfile.is_zipfile(path):
        return
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            name = info.filename
            if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                continue
            try:
                with archive.open(info) as stream:
                    declared = _dimension_cells(stream.read(4096))
                if declared is not None and declared <= max_cells:
                    continue
                cells = _scan_used_cells(archive, info)
            except Exception:  # damaged or unusual zip: calamine reports it, or reads what it can
                continue
            if cells > max_cells:
                raise WorkbookTooLarge(
                    f"{name.rsplit('/', 1)[-1]} spans {cells:,} cells from its first to its last "
                    f"value (limit {max_cells:,}); delete stray cells far below or right of "
                    "the data"
                )


def _dimension_cells(head: bytes) -> int | None:
    """Cells in the declared ``<dimension ref>``, or None when the sheet declares none."""
    match = _DIMENSION.search(head)
    if match is None:
        return None
    first_col, first_row, last_col, last_row = match.groups()
    if last_col is None:
        return 1
    width = abs(_column_index(last_col) - _column_index(first_col)) + 1
    return width * (abs(int(last_row) - int(first_row)) + 1)


def _scan_used_cells(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Size of the rectangle spanned by cells that have content (self-closed ``<c/>`` are empty)."""
    rows: list[int] = []
    letters: set[bytes] = set()
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(1 << 20):
            buffer = tail + chunk
            cut = buffer.rfind(b"<")  # a tag may continue in the next chunk
            if cut < len(buffer) - 256:
                cut = len(buffer)
            found = [m for m in _VALUE_CELL.findall(buffer, 0, cut) if not m[2]]
            if found:
                letters.update(m[0] for m in found)
                numbers = [int(m[1]) for m in found]
                rows += (min(numbers), max(numbers))
            tail = buffer[cut:]
    if not rows:
        return 0
    columns = [_column_index(col) for col in letters]
    return (max(rows) - min(rows) + 1) * (max(columns) - min(columns) + 1)


def _column_index(letters: bytes) -> int:
    """0-based index of Excel column letters (b"A" → 0)."""
    index = 0
    for code in letters:
        index = index * 26 + code - 64
    return index - 1

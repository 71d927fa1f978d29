"""Open a workbook file safely: refuse what is not one, encrypted, or too big for memory.

Zip-based workbooks (.xlsx/.xlsm/.xlsb) are checked against the zip bounds (formats/zip_bounds.py)
before anything inflates them: a 3 MB file whose parts inflate to gigabytes (a decompression bomb)
is refused from its central directory alone, in milliseconds.

Every refusal is an UnreadableWorkbook or WorkbookTooLarge whose message says what the file looks
like (a CSV named .xlsx, an interrupted copy, a password) and what to do about it.
"""

from __future__ import annotations

import re
import struct
import zipfile
from pathlib import Path

from python_calamine import CalamineWorkbook, PasswordError

from salesops_pipeline.core.extract.formats.zip_bounds import check_zip_bounds
from salesops_pipeline.errors import UnreadableWorkbook, WorkbookTooLarge

# calamine keeps about 32 bytes per grid cell: 100M cells is ~3 GB, far beyond any real export.
MAX_GRID_CELLS = 100_000_000
OLE2_SIGNATURE = bytes.fromhex("D0CF11E0A1B11AE1")
_BIFF8_BOF = b"\x09\x08\x10\x00\x00\x06\x05\x00"  # BOF record of a BIFF8 workbook stream
_FILEPASS = 0x002F  # the record that says the workbook stream is encrypted
_ENCRYPTED_MARKER = "EncryptedPackage".encode("utf-16-le")  # stream name inside encrypted OOXML



def refuse_encrypted(path: Path) -> None:
    """The OLE2 format's guard (formats/registry.py): a password-protected workbook, whether an
    old .xls or an encrypted .xlsx (which is an OLE2 container), is refused by name."""
    try:
        if _is_encrypted_ooxml(path) or _is_encrypted_xls(path):
            raise UnreadableWorkbook(
                "the workbook is password-protected (encrypted); save it without a password")
    except OSError as exc:
        raise UnreadableWorkbook(f"cannot read the file: {exc}") from exc


def open_workbook(path: Path) -> CalamineWorkbook:
    """Open with calamine; any failure becomes UnreadableWorkbook with a reason users act on.

    Runs after the format's guard (formats/registry.py: the zip bounds, or refuse_encrypted)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
            if not head:
                raise UnreadableWorkbook(
                    "not a readable Excel workbook: the file is empty (0 bytes)"
                )
            handle.seek(0)
            return CalamineWorkbook.from_filelike(handle)
    except (UnreadableWorkbook, WorkbookTooLarge):
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
    if head.startswith(OLE2_SIGNATURE):
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


_DIMENSION = re.compile(rb'<dimension ref="([A-Z]{1,3})([0-9]{1,7})(?::([A-Z]{1,3})([0-9]{1,7}))?"')
_VALUE_CELL = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"[^>]*?(/?)>')


def check_grid_size(path: Path, max_cells: int) -> None:
    """Refuse an .xlsx/.xlsm sheet whose used area would not fit in memory once calamine loads it.

    The declared ``<dimension>`` is trusted when small (Excel writes it exactly); when it is
    missing or huge, the sheet XML is scanned for cells with content. Other formats are left to
    calamine (.xls grids are at most 65,536 × 256). The zip bounds are checked first, so no bomb
    is ever scanned.
    """
    check_zip_bounds(path)
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

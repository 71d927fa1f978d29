"""What a CSV/TSV drop's bytes are, before any record is read: the format's guard (empty,
oversized, or not text at all: a workbook named .csv, UTF-16, binary) and its encoding.

* **Encoding.** UTF-8 (a BOM is dropped); when the bytes are not valid UTF-8, Windows-1252 (what
  Excel's plain "CSV" writes on Western Windows). One pass over the bytes decides, in chunks.
  UTF-16 text, NUL bytes and Excel workbooks renamed .csv are refused with a message saying so.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import IO

from salesops_pipeline.core.extract.formats.workbook_guard import OLE2_SIGNATURE
from salesops_pipeline.core.extract.formats.zip_bounds import ZIP_SIGNATURE
from salesops_pipeline.errors import UnreadableCsv, WorkbookTooLarge

__all__ = ["MAX_CSV_BYTES", "detect_encoding", "open_text", "refuse_non_text"]

MAX_CSV_BYTES = 2 << 30  # 2 GiB: 5 million export rows take ~0.5 GB
_CHUNK = 1 << 20
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def refuse_non_text(path: Path) -> None:
    """The CSV format's guard (formats/registry.py): refuse an empty or oversized file, and name
    what a file that is not text really is."""
    try:
        size = path.stat().st_size
        if size == 0:
            raise UnreadableCsv("not readable as CSV: the file is empty (0 bytes)")
        if size > MAX_CSV_BYTES:
            raise WorkbookTooLarge(
                f"the file is {size} bytes; CSV files are limited to {MAX_CSV_BYTES} bytes")
        with path.open("rb") as handle:
            _check_signature(handle.read(8))
    except OSError as exc:
        raise UnreadableCsv(f"cannot read the file: {exc}") from exc


def detect_encoding(path: Path) -> str:
    """"utf-8-sig" or "cp1252" for the file's bytes (after the guard, refuse_non_text)."""
    try:
        with path.open("rb") as handle:
            if _decodes(handle, "utf-8"):
                return "utf-8-sig"
            handle.seek(0)
            if _decodes(handle, "cp1252"):
                return "cp1252"
    except OSError as exc:
        raise UnreadableCsv(f"cannot read the file: {exc}") from exc
    raise UnreadableCsv(
        "not readable as CSV: the text is neither UTF-8 nor Windows-1252; save it as "
        "\"CSV UTF-8\"")


def _check_signature(head: bytes) -> None:
    """Name what a file that is not text really is."""
    if head.startswith(ZIP_SIGNATURE):
        raise UnreadableCsv(
            "this is an Excel workbook (.xlsx, a zip file) named .csv; rename it to .xlsx or "
            "save it as CSV")
    if head.startswith(OLE2_SIGNATURE):
        raise UnreadableCsv(
            "this is an Excel 97-2003 workbook (.xls) named .csv; rename it to .xls or save it "
            "as CSV")
    if head.startswith(_UTF16_BOMS):
        raise UnreadableCsv(
            "the file is UTF-16 text (Excel's \"Unicode Text\"); save it as \"CSV UTF-8\"")


def _decodes(handle: IO[bytes], encoding: str) -> bool:
    """Whether all the bytes decode (chunk by chunk); NUL bytes mean a binary file."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    while chunk := handle.read(_CHUNK):
        nul = chunk.find(b"\x00")
        if nul >= 0:
            raise UnreadableCsv(
                f"not readable as CSV: a NUL byte at byte {offset + nul + 1}; this is a binary "
                "file, not text")
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError:
            return False
        offset += len(chunk)
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def open_text(path: Path, encoding: str) -> IO[str]:
    """The file as text with line breaks kept as written (the csv module needs newline="")."""
    try:
        return path.open(encoding=encoding, newline="")
    except OSError as exc:
        raise UnreadableCsv(f"cannot read the file: {exc}") from exc

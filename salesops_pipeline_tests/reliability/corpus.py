"""Generators of bad and extreme input files, built byte by byte where no library writes them.

Old-style Office files (.xls, password-protected .xlsx) are OLE2 compound files. ``olefile`` is
not a dependency, so :func:`ole2_container` writes the format itself: version 3, 512-byte
sectors, every stream at least 4096 bytes long so none lives in the mini stream. That is enough
for python-calamine to open a hand-made BIFF8 workbook (:func:`xls_workbook`) and to recognise an
encrypted OOXML package (:func:`encrypted_ooxml`).
"""

from __future__ import annotations

import math
import random
import re
import struct
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import xlsxwriter

from salesops_pipeline_tests.workbooks import write_clean_workbook

__all__ = [
    "CANONICAL_HEADER",
    "ExcelSerial",
    "blank_workbook",
    "csv_binary_garbage",
    "csv_export",
    "csv_long_line",
    "csv_ragged_rows",
    "drop_cached_formula_values",
    "duplicated_column",
    "encrypted_ooxml",
    "encrypted_xls",
    "html_table_export",
    "huge_declared_dimension",
    "huge_shared_string",
    "lying_central_directory",
    "many_parts",
    "ole2_container",
    "ole2_not_a_spreadsheet",
    "random_bytes",
    "rewrite_sheet",
    "stray_cell_far_away",
    "styled_empty_rows",
    "whitespace_inflated_sheet",
    "truncated_copy",
    "write_cells",
    "xls_workbook",
    "zip_without_workbook",
]

CANONICAL_HEADER = ["sold_at", "product", "seller", "unit_price", "units", "total_price",
                    "shipping_company"]
_FREE, _END, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_SECTOR = 512
_MINI_CUTOFF = 4096
_ENTRY = struct.Struct("<64sHBBIII16sIQQIQ")  # one 128-byte directory entry


# ---- not workbooks at all ----------------------------------------------------------------------


def random_bytes(path: Path, *, seed: int = 8, size: int = 6000) -> Path:
    """Noise that starts like no known format (seeded, so the error text is reproducible)."""
    rng = random.Random(seed)
    data = bytearray(rng.randrange(256) for _ in range(size))
    data[:4] = b"\x13\x00\xfe\x7f"  # neither PK, OLE2 nor text
    path.write_bytes(bytes(data))
    return path


def zip_without_workbook(path: Path) -> Path:
    """A valid zip archive holding a text file and a picture, but no xl/workbook.xml."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("readme.txt", "Q1 figures are in the attached spreadsheet.\n")
        archive.writestr("photos/logo.png", b"\x89PNG\r\n\x1a\n" + bytes(64))
    return path


def csv_export(path: Path) -> Path:
    """A CSV export saved under a workbook name."""
    path.write_text("sold_at,product,seller,unit_price,units,total_price,shipping_company\n"
                    "2025-01-06 10:00,Laptop,Ada,999.00,1,999.00,DHL\n", encoding="utf-8")
    return path


def html_table_export(path: Path) -> Path:
    """What many web apps call an ".xls" export: an HTML table (here renamed once more)."""
    path.write_text("<html><body><table><tr><th>sold_at</th><th>product</th><th>seller</th>"
                    "</tr><tr><td>2025-01-06</td><td>Laptop</td><td>Ada</td></tr></table>"
                    "</body></html>\n", encoding="utf-8")
    return path


def truncated_copy(path: Path, rows: list[dict[str, object]]) -> Path:
    """A real workbook of which only the first half arrived (an interrupted copy)."""
    write_clean_workbook(path, rows)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# ---- OLE2 compound files -----------------------------------------------------------------------


def ole2_container(streams: dict[str, bytes]) -> bytes:
    """A minimal OLE2 compound file (v3) holding ``streams`` at its root; each ≥ 4096 bytes."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # the format's name order
    for name in names:
        if len(streams[name]) < _MINI_CUTOFF:
            raise ValueError(f"stream {name!r} must be at least {_MINI_CUTOFF} bytes")
    dir_sectors = math.ceil((1 + len(names)) / 4)
    counts = [math.ceil(len(streams[n]) / _SECTOR) for n in names]
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + sum(counts):
        fat_sectors += 1
    fat = [_FAT_SECTOR] * fat_sectors

    def chain(length: int) -> int:
        start = len(fat)
        fat.extend(start + i + 1 if i < length - 1 else _END for i in range(length))
        return start

    dir_start = chain(dir_sectors)
    starts = [chain(count) for count in counts]
    fat += [_FREE] * (fat_sectors * 128 - len(fat))

    def entry(name: str, kind: int, child: int, right: int, start: int, size: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\0\0"
        return _ENTRY.pack(raw, len(raw), kind, 1, _NO_STREAM, right, child, bytes(16), 0, 0, 0,
                           start, size)

    # Root entry (kind 5) → first stream; streams chained to the right in sorted order.
    entries = [entry("Root Entry", 5, 1 if names else _NO_STREAM, _NO_STREAM, _END, 0)]
    for index, (name, start) in enumerate(zip(names, starts, strict=True), start=1):
        right = index + 1 if index < len(names) else _NO_STREAM
        entries.append(entry(name, 2, _NO_STREAM, right, start, len(streams[name])))
    unused = _ENTRY.pack(bytes(64), 0, 0, 0, _NO_STREAM, _NO_STREAM, _NO_STREAM, bytes(16), 0,
                         0, 0, 0, 0)
    entries += [unused] * (dir_sectors * 4 - len(entries))
    header = struct.pack("<8s16sHHHHH6sIIIIIIIII", bytes.fromhex("D0CF11E0A1B11AE1"), bytes(16),
                         0x3E, 3, 0xFFFE, 9, 6, bytes(6), 0, fat_sectors, dir_start, 0,
                         _MINI_CUTOFF, _END, 0, _END, 0)
    header += struct.pack("<109I", *range(fat_sectors), *[_FREE] * (109 - fat_sectors))
    body = [struct.pack(f"<{len(fat)}I", *fat), *entries]
    for name in names:
        data = streams[name]
        body += [data, bytes(-len(data) % _SECTOR)]
    return header + b"".join(body)


def _record(kind: int, data: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(data)) + data


def _bof(substream: int) -> bytes:
    """BIFF8 BOF: 0x0005 workbook globals, 0x0010 worksheet."""
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, substream, 0x0DBB, 0x07CC, 0, 6))


def _biff_string(text: str) -> bytes:
    raw = text.encode("utf-16-le")
    return struct.pack("<HB", len(raw) // 2, 1) + raw


def xls_workbook(rows: Sequence[Sequence[object]], *, sheet: str = "Sales",
                 encrypted: bool = False) -> bytes:
    """A BIFF8 (.xls) workbook: strings as LABEL and numbers as NUMBER records, from A1.

    ``encrypted`` adds a FILEPASS record, as Excel writes for a password-protected .xls.
    """
    name = sheet.encode("utf-16-le")
    head = _bof(0x0005)
    if encrypted:  # RC4 CryptoAPI header; the rest of the stream stays readable garbage to us
        head += _record(0x002F, struct.pack("<HHH", 1, 4, 2) + bytes(48))
    head += _record(0x0042, struct.pack("<H", 1200))  # code page: UTF-16
    sheet_offset = len(head) + 4 + 8 + len(name) + 4  # after BOUNDSHEET and EOF
    globals_ = (head + _record(0x0085, struct.pack("<IBBBB", sheet_offset, 0, 0, len(name) // 2, 1)
                               + name) + _record(0x000A))
    cells = []
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                cells.append(_record(0x0204, struct.pack("<HHH", r, c, 0) + _biff_string(value)))
            else:
                cells.append(_record(0x0203, struct.pack("<HHHd", r, c, 0, float(value))))
    width = max((len(row) for row in rows), default=0)
    worksheet = (_bof(0x0010) + _record(0x0200, struct.pack("<IIHHH", 0, len(rows), 0, width, 0))
                 + b"".join(cells) + _record(0x000A))
    stream = globals_ + worksheet
    stream += bytes(max(0, _MINI_CUTOFF - len(stream)))  # padding after the last EOF is ignored
    return ole2_container({"Workbook": stream})


def encrypted_ooxml(path: Path, *, seed: int = 3) -> Path:
    """How Excel saves an .xlsx with "Encrypt with password": an OLE2 file, not a zip."""
    rng = random.Random(seed)
    info = struct.pack("<HHI", 4, 4, 0x40) + b"<?xml version=\"1.0\"?><encryption/>"
    package = struct.pack("<Q", 9000) + bytes(rng.randrange(256) for _ in range(9008))
    path.write_bytes(ole2_container({"EncryptionInfo": info.ljust(_MINI_CUTOFF, b"\0"),
                                     "EncryptedPackage": package}))
    return path


def encrypted_xls(path: Path) -> Path:
    """A password-protected old-style .xls (FILEPASS record in the workbook globals)."""
    path.write_bytes(xls_workbook([CANONICAL_HEADER], encrypted=True))
    return path


def ole2_not_a_spreadsheet(path: Path) -> Path:
    """An old Word document (OLE2 with a WordDocument stream) saved under a workbook name."""
    path.write_bytes(ole2_container({"WordDocument": bytes(_MINI_CUTOFF + 100)}))
    return path


# ---- workbooks with a broken or missing table --------------------------------------------------


def blank_workbook(path: Path) -> Path:
    """A workbook whose only sheet has no cell at all."""
    xlsxwriter.Workbook(str(path)).close()
    return path


def duplicated_column(path: Path) -> Path:
    """A header naming "Units" twice (columns E and H), with one row of data."""
    columns = [*CANONICAL_HEADER, "units_again"]
    headers = {"units": "Units", "units_again": "Units"}
    row = {"sold_at": "2025-01-06 10:00", "product": "Laptop", "seller": "Ada",
           "unit_price": 999, "units": 1, "total_price": 999, "shipping_company": "DHL",
           "units_again": 2}
    return write_clean_workbook(path, [row], headers=headers, columns=columns)


class ExcelSerial(float):
    """A day number stored with a date format: how Excel itself stores every date and time."""


def write_cells(path: Path, rows: Sequence[Sequence[object]], *, sheet: str = "Sales") -> Path:
    """Write ``rows`` from A1 cell by cell: str as text, numbers as numbers, ExcelSerial as a
    date-formatted number (xlsxwriter would turn datetime(1900, 1, 1) into a bare time)."""
    workbook = xlsxwriter.Workbook(str(path))
    worksheet = workbook.add_worksheet(sheet)
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, ExcelSerial):
                worksheet.write_number(r, c, float(value), date_format)
            elif isinstance(value, str):
                worksheet.write_string(r, c, value)
            else:
                worksheet.write_number(r, c, float(value))  # type: ignore[arg-type]
    workbook.close()
    return path


# ---- size traps --------------------------------------------------------------------------------


def rewrite_sheet(path: Path, change: Callable[[str], str]) -> Path:
    """Edit xl/worksheets/sheet1.xml in place (for files xlsxwriter will not write)."""
    source = path.with_suffix(".orig")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = change(data.decode()).encode()
            new.writestr(info, data)
    source.unlink()
    return path


def huge_declared_dimension(path: Path, rows: list[dict[str, object]]) -> Path:
    """``rows`` under a header, but the sheet declares A1:XFD1048576 (17 billion cells)."""
    write_clean_workbook(path, rows)
    return rewrite_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*"/>',
                                                  '<dimension ref="A1:XFD1048576"/>', xml))


def stray_cell_far_away(path: Path, rows: list[dict[str, object]]) -> Path:
    """``rows`` plus one value in XFD1048576, the last cell of a sheet (a mis-click)."""
    write_clean_workbook(path, rows)

    def add(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace("</sheetData>",
                           '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')

    return rewrite_sheet(path, add)


def styled_empty_rows(path: Path, rows: list[dict[str, object]], *, count: int) -> Path:
    """``rows`` followed by ``count`` formatted rows without a value (whole-column styling).

    The sheet XML (~80 bytes a row) is streamed into the zip, never held in memory.
    """
    write_clean_workbook(path, rows)
    source = path.with_suffix(".orig")
    path.rename(source)
    first = len(rows) + 2
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                new.writestr(info, data)
                continue
            head, tail = data.decode().split("</sheetData>", 1)
            with new.open(info.filename, "w", force_zip64=True) as out:
                out.write(head.encode())
                for start in range(first, first + count, 10_000):
                    out.write("".join(
                        f'<row r="{n}" s="1" customFormat="1"><c r="A{n}" s="1"/>'
                        f'<c r="G{n}" s="1"/></row>'
                        for n in range(start, min(start + 10_000, first + count))).encode())
                out.write(b"</sheetData>" + tail.encode())
    source.unlink()
    return path


def drop_cached_formula_values(path: Path) -> Path:
    """Remove the value Excel cached with each formula, as files saved by some tools have none."""
    return rewrite_sheet(path, lambda xml: re.sub(r"(<f>[^<]*</f>)<v>[^<]*</v>", r"\1", xml))


# ---- decompression bombs -----------------------------------------------------------------------
# Each is a few MB on disk and inflates to ``size`` bytes (1 GiB by default: at rest it would cost
# a parser at least that much memory). The filler is deflated at level 1 (~1 s per GiB to write,
# ratio ~230:1); level 9 would reach ~1,000:1 but take 4× longer to build.

GiB = 1 << 30
_FILL = 1 << 20


def _filler(byte: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, size, _FILL):
        yield byte * min(_FILL, size - start)


def _with_part(path: Path, name: str, before: bytes, fill: Iterator[bytes], after: bytes,
               *, keep: Callable[[bytes], tuple[bytes, bytes]]) -> Path:
    """Rewrite ``name`` as its own head, then ``before``, the streamed filler, ``after`` and its
    tail (``keep`` splits the original bytes at the insertion point); honest sizes throughout."""
    source = path.with_suffix(".orig")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED,
                                                         compresslevel=1) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename != name:
                new.writestr(info, data)
                continue
            head, tail = keep(data)
            with new.open(name, "w", force_zip64=True) as out:
                out.write(head + before)
                for chunk in fill:
                    out.write(chunk)
                out.write(after + tail)
    source.unlink()
    return path


def huge_shared_string(path: Path, rows: list[dict[str, object]], *, size: int = GiB) -> Path:
    """``rows`` plus one shared string of ``size`` letters (every reader loads them all)."""
    write_clean_workbook(path, rows)
    return _with_part(path, "xl/sharedStrings.xml", b"<si><t>", _filler(b"A", size), b"</t></si>",
                      keep=lambda xml: (xml[:xml.rindex(b"</sst>")], b"</sst>"))


def whitespace_inflated_sheet(path: Path, rows: list[dict[str, object]], *,
                              size: int = GiB) -> Path:
    """``rows`` followed by ``size`` spaces inside the sheet XML (one text run between tags)."""
    write_clean_workbook(path, rows)
    return _with_part(path, "xl/worksheets/sheet1.xml", b"", _filler(b" ", size), b"",
                      keep=lambda xml: (xml[:xml.index(b"</sheetData>")],
                                        xml[xml.index(b"</sheetData>"):]))


def many_parts(path: Path, rows: list[dict[str, object]], *, count: int = 50_000) -> Path:
    """``rows`` in a workbook padded with ``count`` small parts (1 KiB of zeros each)."""
    write_clean_workbook(path, rows)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for n in range(count):
            archive.writestr(f"xl/media/pad{n}.bin", bytes(1024))
    return path


def lying_central_directory(path: Path, rows: list[dict[str, object]], *,
                            size: int = GiB, claim: int = 16 << 20) -> Path:
    """The whitespace bomb whose central directory claims the sheet inflates to ``claim`` bytes
    (a ratio no check would question); its local header still tells the truth."""
    whitespace_inflated_sheet(path, rows, size=size)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    at = data.index(b"PK\x01\x02")
    while bytes(data[at + 46:at + 46 + len(name)]) != name:
        at = data.index(b"PK\x01\x02", at + 4)
    struct.pack_into("<I", data, at + 24, claim)  # central directory: uncompressed size
    path.write_bytes(bytes(data))
    return path


# ---- CSV files ---------------------------------------------------------------------------------


def csv_binary_garbage(path: Path, *, seed: int = 11, size: int = 6000) -> Path:
    """Random bytes, NULs included, saved under a .csv name."""
    rng = random.Random(seed)
    path.write_bytes(b"\x00\xff" + bytes(rng.randrange(256) for _ in range(size)))
    return path


def csv_long_line(path: Path, *, size: int = 10 << 20) -> Path:
    """A valid header, then one 10 MB line with no line break (a broken export)."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(CANONICAL_HEADER) + "\n")
        out.write("2025-01-06 10:00,")
        out.write("X" * size)
        out.write(",Ada,1.00,1,1.00,DHL\n")
    return path


def csv_ragged_rows(path: Path) -> Path:
    """A header of 7 columns, then rows of 7, 4 and 9 fields (days apart from the bench's)."""
    path.write_text(",".join(CANONICAL_HEADER) + "\n"
                    "2025-01-27 10:00,Laptop,Ada,999.00,1,999.00,DHL\n"
                    "2025-01-28 10:00,Mouse,Ada,24.95\n"
                    "2025-01-29 10:00,Dock,Ada,189.90,1,189.90,DHL,extra,fields\n",
                    encoding="utf-8")
    return path

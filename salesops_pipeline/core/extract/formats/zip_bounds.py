"""Zip bounds: refuse a zip-based workbook whose parts would inflate past documented limits.

Checked from the zip's central directory and each part's local header only (never inflating
anything), so a 3 MB file whose parts inflate to gigabytes (a decompression bomb) is refused in
milliseconds, before calamine reads it. Sizes that contradict each other (a local header against
the central directory, a part declaring fewer bytes than its compressed data) are refused too;
calamine's zip reader stops every part at its declared size, so the declared limits hold. The
backstop for anything else is the parser child's memory cap (core/extract/memory_cap.py).
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import BinaryIO

from salesops_pipeline.errors import WorkbookTooLarge

__all__ = ["MAX_INFLATE_RATIO", "MAX_PART_INFLATED", "MAX_TOTAL_INFLATED", "MAX_ZIP_PARTS",
           "RATIO_FROM_BYTES", "ZIP_SIGNATURE", "check_zip_bounds"]

ZIP_SIGNATURE = b"PK\x03\x04"

# Zip bounds, calibrated on benchmarks/ingest_data.py's 1,000,000-row workbook (xlsxwriter, 43 MiB
# on disk): 9 parts; xl/worksheets/sheet1.xml declares 348,341,615 bytes inflated from 44,938,502
# (ratio 7.8); every other part is under 7 KB. A sheet of 1,000,000 styled empty rows inflates
# 10.6×, a 200,000-row sheet with shared strings 9.2× (its sharedStrings.xml 9.4×). The row limit
# (5,000,000) makes a legitimate sheet at most ~1.75 GB. Deflate itself peaks near 1,030×: the
# whitespace or one-character bombs sit there.
MAX_ZIP_PARTS = 10_000  # Excel writes a few dozen; tens of thousands is no export
MAX_PART_INFLATED = 2 << 30  # 2 GiB: 6× the 1M-row sheet, above a 5M-row one
MAX_TOTAL_INFLATED = 4 << 30  # 4 GiB for all parts together
MAX_INFLATE_RATIO = 100  # 10× the highest ratio measured on real sheets
RATIO_FROM_BYTES = 8 << 20  # ratio limit only for parts (and totals) inflating above 8 MiB
_DEFLATE_SLACK = 1.01  # deflate never grows data by more than ~0.1 % (stored blocks)
_LOCAL_HEADER = struct.Struct("<4s5HI2I2H")  # signature … crc, sizes, name and extra lengths
_DATA_DESCRIPTOR = 0x08  # flag bit 3: sizes follow the data, the local header holds zeros


def check_zip_bounds(path: Path) -> None:
    """Refuse a zip-based workbook whose parts would inflate past the limits above.

    Reads only the central directory and each part's local header, never the data, so it costs
    milliseconds even for the 1M-row workbook. Non-zip files and zips whose directory cannot be
    read are left to calamine, which explains them. Declared sizes that lie are refused when the
    local header contradicts the central directory, or a part declares fewer bytes than its
    compressed data can hold; a part inflating past its declared size is stopped by calamine's
    zip reader ("larger than its declared uncompressed size"), and the parser's memory cap
    (core/extract/memory_cap.py) is the backstop for the rest.
    """
    try:
        with path.open("rb") as handle:
            if handle.read(4) != ZIP_SIGNATURE:
                return
            with zipfile.ZipFile(handle) as archive:
                parts = archive.infolist()
                _check_count(parts)
                for info in parts:
                    _check_part(info)
                    _check_local_header(handle, info)
                _check_total(parts)
    except (zipfile.BadZipFile, OSError, EOFError, struct.error):
        return


def _check_count(parts: list[zipfile.ZipInfo]) -> None:
    if len(parts) > MAX_ZIP_PARTS:
        raise WorkbookTooLarge(
            f"the workbook holds {len(parts):,} parts (limit {MAX_ZIP_PARTS:,}; Excel writes a "
            "few dozen): it is not a normal export (a decompression bomb?); open it in Excel "
            "and save it again, or export the data as CSV"
        )


def _check_total(parts: list[zipfile.ZipInfo]) -> None:
    total = sum(info.file_size for info in parts)
    packed = sum(info.compress_size for info in parts)
    if total > MAX_TOTAL_INFLATED:
        raise WorkbookTooLarge(
            f"the workbook's parts inflate to {total:,} bytes in all (limit "
            f"{MAX_TOTAL_INFLATED:,}); split the export into smaller files"
        )
    if total > RATIO_FROM_BYTES and total > MAX_INFLATE_RATIO * max(packed, 1):
        raise WorkbookTooLarge(
            f"the workbook's parts inflate to {total:,} bytes from {packed:,} "
            f"(ratio {total // max(packed, 1):,}:1, limit {MAX_INFLATE_RATIO}:1): "
            f"{_BOMB_ADVICE}"
        )


_BOMB_ADVICE = ("far more than real sheets compress (a decompression bomb?); open it in Excel "
                "and save it again, or export the data as CSV")


def _check_part(info: zipfile.ZipInfo) -> None:
    name, size, packed = info.filename, info.file_size, info.compress_size
    if size > MAX_PART_INFLATED:
        raise WorkbookTooLarge(
            f"part {name} inflates to {size:,} bytes (limit {MAX_PART_INFLATED:,} per part); "
            "split the export into smaller files"
        )
    if size > RATIO_FROM_BYTES and size > MAX_INFLATE_RATIO * max(packed, 1):
        raise WorkbookTooLarge(
            f"part {name} inflates to {size:,} bytes from {packed:,} (ratio "
            f"{size // max(packed, 1):,}:1, limit {MAX_INFLATE_RATIO}:1 for parts above "
            f"{RATIO_FROM_BYTES >> 20} MiB): {_BOMB_ADVICE}"
        )
    stored = info.compress_type == zipfile.ZIP_STORED
    if (stored and packed != size) or packed > size * _DEFLATE_SLACK + 1024:
        raise WorkbookTooLarge(
            f"part {name} declares {size:,} bytes inflated but holds {packed:,} compressed "
            f"bytes: its declared size is false (a decompression bomb?); {_LIE_ADVICE}"
        )


_LIE_ADVICE = "open it in Excel and save it again, or ask the sender for a fresh export"


def _check_local_header(handle: BinaryIO, info: zipfile.ZipInfo) -> None:
    """The local header must name the part and state the sizes the central directory does."""
    handle.seek(info.header_offset)
    (signature, _version, flags, _method, _time, _date, crc, packed, size, name_length,
     extra_length) = _LOCAL_HEADER.unpack(handle.read(_LOCAL_HEADER.size))
    name = handle.read(name_length)
    if signature != ZIP_SIGNATURE or name != info.orig_filename.encode(
            "utf-8" if info.flag_bits & 0x800 else "cp437"):
        raise WorkbookTooLarge(
            f"part {info.filename}'s local header does not match the central directory (the "
            f"archive is tampered with or damaged); {_LIE_ADVICE}"
        )
    if flags & _DATA_DESCRIPTOR:
        return  # sizes follow the data; calamine checks them against the central directory
    if packed == 0xFFFFFFFF or size == 0xFFFFFFFF:  # zip64: the sizes live in the extra field
        size, packed = _zip64_sizes(handle.read(extra_length), size, packed)
    if (crc, packed, size) != (info.CRC, info.compress_size, info.file_size):
        raise WorkbookTooLarge(
            f"part {info.filename} declares {size:,} bytes inflated ({packed:,} compressed) in "
            f"its local header but {info.file_size:,} ({info.compress_size:,}) in the central "
            f"directory: one of them is false (a decompression bomb?); {_LIE_ADVICE}"
        )


def _zip64_sizes(extra: bytes, size: int, packed: int) -> tuple[int, int]:
    """(inflated, compressed) from a local header's zip64 extra field (0x0001)."""
    at = 0
    while at + 4 <= len(extra):
        kind, length = struct.unpack_from("<HH", extra, at)
        if kind == 0x0001:
            values = iter(struct.unpack_from(f"<{length // 8}Q", extra, at + 4))
            if size == 0xFFFFFFFF:
                size = next(values, size)
            if packed == 0xFFFFFFFF:
                packed = next(values, packed)
            break
        at += 4 + length
    return size, packed

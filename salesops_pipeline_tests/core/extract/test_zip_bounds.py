"""zip_bounds.check_zip_bounds: zip-based workbooks whose parts would inflate past the limits
are refused from their directory, naming the part, the figure and the limit; real ones pass."""

from __future__ import annotations

import struct
import time
import zipfile
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest

from salesops_pipeline.core.extract.formats import workbook_guard as workbook_file
from salesops_pipeline.core.extract.formats import zip_bounds
from salesops_pipeline.core.extract.formats.registry import open_sales_file
from salesops_pipeline.core.extract.formats.workbook_tables import open_workbook_tables
from salesops_pipeline.core.extract.formats.zip_bounds import check_zip_bounds
from salesops_pipeline.errors import WorkbookTooLarge
from salesops_pipeline_tests.reliability import corpus
from salesops_pipeline_tests.workbooks import write_clean_workbook

MiB = 1 << 20
ROWS = [{"sold_at": datetime(2025, 1, 6, 10), "product": f"Product {n % 40}",
         "seller": f"Seller {n % 9}", "unit_price": Decimal("12.50"), "units": 2,
         "total_price": Decimal("25.00"), "shipping_company": "DHL"} for n in range(3000)]


@pytest.fixture(scope="module")
def workbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_clean_workbook(tmp_path_factory.mktemp("zip") / "sales.xlsx", ROWS)


def test_a_real_workbook_passes_and_opens(workbook: Path) -> None:
    check_zip_bounds(workbook)
    with open_workbook_tables(workbook) as book:
        sheet = book.tables[0]
        assert sum(1 for _ in sheet.iter_rows()) == len(ROWS)


def test_honest_zip64_headers_pass(tmp_path: Path) -> None:
    """Streamed parts get zip64 local headers (sizes in the extra field): no false alarm."""
    path = corpus.styled_empty_rows(tmp_path / "styled.xlsx", ROWS[:2], count=20_000)
    with zipfile.ZipFile(path) as archive:
        sheet = archive.getinfo("xl/worksheets/sheet1.xml")
    with path.open("rb") as handle:
        handle.seek(sheet.header_offset + 18)
        assert struct.unpack("<II", handle.read(8)) == (0xFFFFFFFF, 0xFFFFFFFF)
    check_zip_bounds(path)


@pytest.mark.parametrize("content", [b"", b"sold_at,product\n", bytes.fromhex("D0CF11E0A1B11AE1")])
def test_files_that_are_no_zip_are_left_to_calamine(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    check_zip_bounds(path)


def test_a_damaged_zip_is_left_to_calamine(tmp_path: Path, workbook: Path) -> None:
    path = tmp_path / "half.xlsx"
    path.write_bytes(workbook.read_bytes()[: workbook.stat().st_size // 2])
    check_zip_bounds(path)


def test_the_suffix_is_not_trusted(tmp_path: Path) -> None:
    path = corpus.whitespace_inflated_sheet(tmp_path / "bomb.xlsx", ROWS[:1], size=32 * MiB)
    renamed = path.rename(tmp_path / "bomb.xls")
    with pytest.raises(WorkbookTooLarge, match="part xl/worksheets/sheet1.xml inflates"):
        check_zip_bounds(renamed)


def part_size(tmp_path: Path, part: str) -> int:
    """The part's inflated size in the clean one-row workbook the corpus bombs start from."""
    with zipfile.ZipFile(write_clean_workbook(tmp_path / "plain.xlsx", ROWS[:1])) as archive:
        return archive.getinfo(part).file_size


def test_a_high_ratio_part_is_refused_in_milliseconds(tmp_path: Path) -> None:
    expected = part_size(tmp_path, "xl/sharedStrings.xml") + len("<si><t></t></si>") + 64 * MiB
    path = corpus.huge_shared_string(tmp_path / "s.xlsx", ROWS[:1], size=64 * MiB)
    started = time.perf_counter()
    with pytest.raises(WorkbookTooLarge) as caught:
        check_zip_bounds(path)
    assert time.perf_counter() - started < 0.5
    message = str(caught.value)
    assert message.startswith(f"part xl/sharedStrings.xml inflates to {expected:,} bytes")
    assert "limit 100:1 for parts above 8 MiB" in message and "save it again" in message


def test_a_high_ratio_small_part_is_fine(tmp_path: Path) -> None:
    """A few MB of repeated text compresses 200× too: below RATIO_FROM_BYTES it is harmless."""
    path = corpus.huge_shared_string(tmp_path / "s.xlsx", ROWS[:1], size=4 * MiB)
    check_zip_bounds(path)


def test_a_part_larger_than_the_limit_is_refused(tmp_path: Path, workbook: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(workbook) as archive:
        size = archive.getinfo("xl/worksheets/sheet1.xml").file_size
    monkeypatch.setattr(zip_bounds, "MAX_PART_INFLATED", size - 1)
    with pytest.raises(WorkbookTooLarge) as caught:
        check_zip_bounds(workbook)
    assert str(caught.value) == (
        f"part xl/worksheets/sheet1.xml inflates to {size:,} bytes (limit {size - 1:,} per "
        "part); split the export into smaller files")


def test_parts_larger_than_the_total_are_refused(workbook: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with zipfile.ZipFile(workbook) as archive:
        total = sum(info.file_size for info in archive.infolist())
    monkeypatch.setattr(zip_bounds, "MAX_TOTAL_INFLATED", total - 1)
    with pytest.raises(WorkbookTooLarge, match=f"inflate to {total:,} bytes in all"):
        check_zip_bounds(workbook)
    monkeypatch.setattr(zip_bounds, "MAX_TOTAL_INFLATED", total)
    check_zip_bounds(workbook)


def test_many_small_parts_are_refused_by_their_total_ratio(tmp_path: Path) -> None:
    """Parts each below RATIO_FROM_BYTES still add up: their sum has the ratio limit too."""
    path = write_clean_workbook(tmp_path / "pad.xlsx", ROWS[:1])
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        for n in range(6):
            archive.writestr(f"xl/media/pad{n}.bin", bytes(4 * MiB))
    with pytest.raises(WorkbookTooLarge, match=r"the workbook's parts inflate to 25,1\d\d,\d\d\d "
                                               r"bytes from .* limit 100:1"):
        check_zip_bounds(path)


def test_too_many_parts_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = corpus.many_parts(tmp_path / "many.xlsx", ROWS[:1], count=30)
    monkeypatch.setattr(zip_bounds, "MAX_ZIP_PARTS", 39)
    with pytest.raises(WorkbookTooLarge, match=r"holds 40 parts \(limit 39;"):
        check_zip_bounds(path)


def test_a_central_directory_contradicting_the_local_header_is_refused(tmp_path: Path) -> None:
    expected = part_size(tmp_path, "xl/worksheets/sheet1.xml") + 32 * MiB
    path = corpus.lying_central_directory(tmp_path / "lie.xlsx", ROWS[:1], size=32 * MiB,
                                          claim=2 * MiB)
    with pytest.raises(WorkbookTooLarge) as caught:
        check_zip_bounds(path)
    assert f"declares {expected:,} bytes inflated" in str(caught.value)
    assert "but 2,097,152" in str(caught.value) and "one of them is false" in str(caught.value)


def test_a_declared_size_below_the_compressed_size_is_refused(tmp_path: Path) -> None:
    path = corpus.lying_central_directory(tmp_path / "lie.xlsx", ROWS[:1], size=32 * MiB,
                                          claim=1000)
    with pytest.raises(WorkbookTooLarge, match="declares 1,000 bytes inflated but holds"):
        check_zip_bounds(path)


def test_both_entry_points_check_the_bounds_first(tmp_path: Path) -> None:
    """check_grid_size may stream a whole sheet and calamine inflates it: neither sees a bomb
    (the registry runs the zip format's guard before its opener)."""
    path = corpus.whitespace_inflated_sheet(tmp_path / "w.xlsx", ROWS[:1], size=256 * MiB)
    started = time.perf_counter()
    with pytest.raises(WorkbookTooLarge, match="ratio"):
        workbook_file.check_grid_size(path, workbook_file.MAX_GRID_CELLS)
    with pytest.raises(WorkbookTooLarge, match="ratio"):
        open_sales_file(path)
    assert time.perf_counter() - started < 0.5

"""Finding the sales table in messy workbooks, streaming its rows, refusing unusable files."""

from __future__ import annotations

import os
import re
import time
import zipfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
import xlsxwriter

from salesops_pipeline.core.extract.formats.registry import format_of
from salesops_pipeline.core.extract.formats.sales_table import TableLayout
from salesops_pipeline.core.extract.formats.workbook_tables import (
    SalesSheet,
    WorkbookTables,
    open_workbook_tables,
)
from salesops_pipeline.core.extract.rows.date_order import TableDates
from salesops_pipeline.core.extract.rows.sales_line import RejectedRow, RowParser, SalesLine
from salesops_pipeline.errors import (
    AmbiguousColumns,
    MissingColumns,
    NoSalesSheet,
    UnreadableWorkbook,
    WorkbookTooLarge,
)
from salesops_pipeline_tests.workbooks import (
    Formula,
    write_clean_workbook,
    write_messy_workbook,
)

ROW = {
    "sold_at": datetime(2026, 3, 2, 14, 5),
    "product": "Widget",
    "seller": "Ada",
    "unit_price": 12.5,
    "units": 2,
    "total_price": 25,
    "shipping_company": "DHL",
}


class FirstSheet:
    """The first sales table of a workbook, closing the workbook with it (single-sheet tests)."""

    def __init__(self, book: WorkbookTables) -> None:
        self.book = book
        self.table: SalesSheet = book.tables[0]
        self.layout = self.table.layout
        self.iter_rows = self.table.iter_rows

    def __enter__(self) -> FirstSheet:
        return self

    def __exit__(self, *exc: object) -> None:
        self.book.close()


def open_sales_sheet(path: Path, **limits: int) -> FirstSheet:
    """The workbook opened as the registry opens it (the format's guard first), with limits."""
    format_of(path).guard(path)
    return FirstSheet(open_workbook_tables(path, **limits))


def parse_file(path: Path) -> tuple[TableLayout, list[SalesLine], list[RejectedRow]]:
    """Open and parse a whole workbook the way the loader does (the date order decided from
    the sheet's own values, SALESOPS_DATE_ORDER=auto)."""
    lines: list[SalesLine] = []
    rejected: list[RejectedRow] = []
    with open_sales_sheet(path) as sheet:
        parse_row = RowParser(dates=TableDates(scan=sheet.table.sold_at_values))
        for row_number, cells in sheet.iter_rows():
            result = parse_row(row_number, cells)
            (lines if isinstance(result, SalesLine) else rejected).append(result)  # type: ignore[arg-type]
        return sheet.layout, lines, rejected


def rewrite_sheet_xml(path: Path, change: Callable[[str], str], member: str = "sheet1.xml") -> None:
    """Edit one worksheet's XML in place, to build files xlsxwriter will not write."""
    source = path.with_suffix(".orig")
    path.rename(source)
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename == f"xl/worksheets/{member}":
                data = change(data.decode()).encode()
            new.writestr(info, data)
    source.unlink()


# ---- the messy generator, end to end -----------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_messy_exports_parse_to_the_expected_lines(tmp_path: Path, seed: int) -> None:
    expected = write_messy_workbook(
        tmp_path / "messy.xlsx", seed=seed, rows=400, data_on_second_sheet=seed % 2 == 1
    )
    layout, lines, rejected = parse_file(expected.path)
    assert (layout.sheet_name, layout.header_row) == (expected.sheet_name, expected.header_row)
    got = [
        (
            x.source_row_number,
            x.sold_at,
            x.product,
            x.seller,
            x.shipping_company,
            x.unit_price,
            x.units,
            x.total_price,
        )
        for x in lines
    ]
    want = [
        (
            x.row_number,
            x.sold_at,
            x.product,
            x.seller,
            x.shipping_company,
            x.unit_price,
            x.units,
            x.total_price,
        )
        for x in expected.good
    ]
    assert got == want
    assert {
        r.source_row_number: {m.split(":")[0] for m in r.reasons} for r in rejected
    } == expected.rejected


def test_the_generator_writes_every_messy_feature(tmp_path: Path) -> None:
    features = write_messy_workbook(tmp_path / "m.xlsx", seed=1, rows=600).features
    for feature in [
        "blank row",
        "business-wrong row",
        "unreadable row",
        "numeric name",
        "whitespace name",
        "total formula",
        "total text",
        "money dollar",
        "money code",
        "money euro",
        "money spaced",
        "sold_at excel",
        "sold_at date only",
        "sold_at serial",
        "sold_at iso",
        "sold_at iso-t",
        "sold_at day-first",
        "sold_at dotted",
        "sold_at month name",
    ]:
        assert features[feature] > 0, feature


# ---- layout ----------------------------------------------------------------------------------


def test_header_below_title_rows(tmp_path: Path) -> None:
    path = tmp_path / "titled.xlsx"
    write_clean_workbook(path, [ROW], first_row=4)
    workbook_with_title = tmp_path / "t.xlsx"
    wb = xlsxwriter.Workbook(str(workbook_with_title))
    ws = wb.add_worksheet("Sales")
    ws.write_string(0, 0, "Sales export")
    ws.write_string(1, 0, "Generated at 2026-03-02 10:00")
    ws.write_row(3, 0, list(ROW))
    ws.write_row(4, 0, ["2026-03-02", "Widget", "Ada", 12.5, 2, 25, "DHL"])
    wb.close()
    layout, lines, _ = parse_file(workbook_with_title)
    assert layout.header_row == 4
    assert [x.source_row_number for x in lines] == [5]
    assert parse_file(path)[1][0].source_row_number == 6


def test_data_starting_at_c5_keeps_excel_numbers(tmp_path: Path) -> None:
    path = write_clean_workbook(
        tmp_path / "c5.xlsx", [ROW, {**ROW, "product": "Gadget"}], first_row=4, first_col=2
    )
    layout, lines, _ = parse_file(path)
    assert layout.header_row == 5
    assert layout.columns["sold_at"] == 2 and layout.columns["shipping_company"] == 8  # C and I
    assert [(x.source_row_number, x.product) for x in lines] == [(6, "Widget"), (7, "Gadget")]


def test_columns_in_any_order(tmp_path: Path) -> None:
    order = [
        "total_price",
        "seller",
        "shipping_company",
        "units",
        "sold_at",
        "unit_price",
        "product",
    ]
    path = write_clean_workbook(tmp_path / "order.xlsx", [ROW], columns=order)
    layout, lines, _ = parse_file(path)
    assert layout.columns == {name: order.index(name) for name in order}
    assert (lines[0].product, lines[0].total_price, lines[0].units) == ("Widget", 25, 2)


def test_header_spelling_variants(tmp_path: Path) -> None:
    headers = {
        "sold_at": "Order Date ",
        "product": "ITEM",
        "seller": "sales-rep",
        "unit_price": "Unit Price (EUR)",
        "units": "Qty.",
        "total_price": "LINE TOTAL",
        "shipping_company": "Carrier",
    }
    path = write_clean_workbook(tmp_path / "spell.xlsx", [ROW], headers=headers)
    assert parse_file(path)[1][0].shipping_company == "DHL"


def test_extra_columns_are_ignored(tmp_path: Path) -> None:
    row = {"Order ID": 17, **ROW, "Notes": "call back", "Region": "North"}
    layout, lines, rejected = parse_file(write_clean_workbook(tmp_path / "extra.xlsx", [row]))
    assert "Notes" not in layout.columns and len(lines) == 1 and not rejected


def test_missing_optional_column_gives_none(tmp_path: Path) -> None:
    row = {k: v for k, v in ROW.items() if k != "shipping_company"}
    layout, lines, _ = parse_file(write_clean_workbook(tmp_path / "noship.xlsx", [row]))
    assert "shipping_company" not in layout.columns
    assert lines[0].shipping_company is None


def test_data_on_a_second_sheet(tmp_path: Path) -> None:
    path = tmp_path / "second.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    summary = wb.add_worksheet("Summary")
    summary.write_row(0, 0, ["Seller", "Units", "Total"])  # 3 columns: a weaker header
    summary.write_row(1, 0, ["Ada", 2, 25])
    data = wb.add_worksheet("Lines")
    data.write_row(0, 0, list(ROW))
    data.write_row(1, 0, ["2026-03-02", "Widget", "Ada", 12.5, 2, 25, "DHL"])
    wb.close()
    layout, lines, _ = parse_file(path)
    assert (layout.sheet_name, layout.header_row, len(lines)) == ("Lines", 1, 1)


# ---- cell values -----------------------------------------------------------------------------


def test_excel_datetimes_and_text_datetimes(tmp_path: Path) -> None:
    values = [
        datetime(2026, 3, 2, 14, 5, 9),
        date(2026, 3, 3),
        "2026-03-04 08:30",
        "05/03/2026 17:45",  # day-first: 13/03/2026 below decides it
        "6 March 2026",
        46088.5,
        "13/03/2026 2:05 PM",
    ]
    path = write_clean_workbook(tmp_path / "dates.xlsx", [{**ROW, "sold_at": v} for v in values])
    assert [x.sold_at for x in parse_file(path)[1]] == [
        datetime(2026, 3, 2, 14, 5, 9),
        datetime(2026, 3, 3),
        datetime(2026, 3, 4, 8, 30),
        datetime(2026, 3, 5, 17, 45),
        datetime(2026, 3, 6),
        datetime(2026, 3, 7, 12),
        datetime(2026, 3, 13, 14, 5),
    ]


def test_money_as_text(tmp_path: Path) -> None:
    rows = [{**ROW, "unit_price": "$1,234.50", "total_price": "(2,469.00)"}]
    line = parse_file(write_clean_workbook(tmp_path / "money.xlsx", rows))[1][0]
    assert (line.unit_price, line.total_price) == (Decimal("1234.50"), Decimal("-2469.00"))


def test_formula_cells_give_their_cached_value(tmp_path: Path) -> None:
    rows = [
        {
            **ROW,
            "unit_price": 12.3,
            "units": 3,
            "total_price": Formula("=D2*E2", 36.900000000000006),
        }
    ]
    line = parse_file(write_clean_workbook(tmp_path / "formula.xlsx", rows))[1][0]
    assert line.total_price == Decimal("36.9")


def test_formula_without_cached_value_reads_as_missing(tmp_path: Path) -> None:
    path = write_clean_workbook(
        tmp_path / "nocache.xlsx", [{**ROW, "total_price": Formula("=D2*E2", 25)}]
    )
    rewrite_sheet_xml(path, lambda xml: re.sub(r"(<f>[^<]*</f>)<v>[^<]*</v>", r"\1", xml))
    _, lines, rejected = parse_file(path)
    assert not lines
    assert rejected[0].reasons == ("total_price: missing",)


def test_formula_error_reads_as_missing(tmp_path: Path) -> None:
    rows = [{**ROW, "total_price": Formula("=1/0", "#DIV/0!")}]
    _, _, rejected = parse_file(write_clean_workbook(tmp_path / "div0.xlsx", rows))
    assert rejected[0].reasons == ("total_price: missing",)  # calamine hides the error value


def test_whitespace_in_names(tmp_path: Path) -> None:
    rows = [
        {
            **ROW,
            "product": "  Big   Widget ",
            "seller": "\u00a0Ada  Lovelace",
            "shipping_company": "   ",
        }
    ]
    line = parse_file(write_clean_workbook(tmp_path / "ws.xlsx", rows))[1][0]
    assert (line.product, line.seller, line.shipping_company) == (
        "Big Widget",
        "Ada Lovelace",
        None,
    )


def test_blank_rows_are_skipped(tmp_path: Path) -> None:
    rows: list[dict[str, object]] = [
        ROW,
        {},
        {"product": "   ", "seller": "\t"},
        {"Notes": None},
        ROW,
    ]
    layout, lines, rejected = parse_file(write_clean_workbook(tmp_path / "blank.xlsx", rows))
    assert [x.source_row_number for x in lines] == [2, 6] and not rejected


def test_unreadable_rows_are_rejected_with_every_reason_and_their_row_number(
    tmp_path: Path,
) -> None:
    bad = {**ROW, "sold_at": "yesterday", "seller": "", "unit_price": "abc", "units": True}
    _, lines, rejected = parse_file(write_clean_workbook(tmp_path / "bad.xlsx", [ROW, ROW, bad]))
    assert len(lines) == 2
    (row,) = rejected
    assert row.source_row_number == 4
    assert row.reasons == (
        "sold_at: unreadable date/time 'yesterday'",
        "seller: missing",
        "unit_price: unreadable number 'abc'",
        "units: true/false is not a number 'True'",
    )
    assert row.raw["sold_at"] == "yesterday" and row.raw["units"] is True


def test_header_only_sheet_has_no_rows(tmp_path: Path) -> None:
    layout, lines, rejected = parse_file(
        write_clean_workbook(tmp_path / "h.xlsx", [], columns=list(ROW))
    )
    assert layout.header_row == 1 and lines == [] and rejected == []


# ---- unusable headers ------------------------------------------------------------------------


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    row = {k: v for k, v in ROW.items() if k != "seller"}
    with pytest.raises(MissingColumns) as caught:
        open_sales_sheet(write_clean_workbook(tmp_path / "noseller.xlsx", [row], sheet_name="S"))
    assert (caught.value.missing, caught.value.sheet, caught.value.header_row) == (
        ["seller"],
        "S",
        1,
    )
    assert "seller" in str(caught.value)


def test_two_columns_for_one_name_is_ambiguous(tmp_path: Path) -> None:
    row = {**ROW, "Qty": 3}
    with pytest.raises(AmbiguousColumns, match="units") as caught:
        open_sales_sheet(write_clean_workbook(tmp_path / "dup.xlsx", [row]))
    assert caught.value.column == "units" and "'Qty' in H" in str(caught.value)


def test_no_sales_header_anywhere(tmp_path: Path) -> None:
    path = write_clean_workbook(
        tmp_path / "none.xlsx", [{"Seller": "Ada", "Units": 2, "Notes": ""}]
    )
    with pytest.raises(NoSalesSheet, match="'Sales'") as caught:
        open_sales_sheet(path)
    assert "sold_at" in str(caught.value)


def test_header_below_row_50_is_not_searched(tmp_path: Path) -> None:
    path = write_clean_workbook(tmp_path / "deep.xlsx", [ROW], first_row=60)
    rewrite_sheet_xml(
        path,
        lambda xml: xml.replace(
            "<sheetData>",
            '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>Export</t></is></c></row>',
        ),
    )
    with pytest.raises(NoSalesSheet):
        open_sales_sheet(path)


# ---- unusable files --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("random.xlsx", b"\x01\xff" + os.urandom(4096), "not a readable Excel workbook"),
        ("report.xlsx", bytes.fromhex("D0CF11E0A1B11AE1") + os.urandom(2048), "old-style Office"),
        ("empty.xlsx", b"", "empty"),
        ("sales.xlsx", b"date,product,seller\n2026-03-02,Widget,Ada\n", "plain text"),
        ("sales.xls", b"<html><table><tr><td>date</td></tr></table></html>", "plain text"),
        (
            "locked.xlsx",
            bytes.fromhex("D0CF11E0A1B11AE1")
            + b"\0" * 512
            + "EncryptedPackage".encode("utf-16-le")
            + b"\0" * 512,
            "password-protected",
        ),
    ],
)
def test_unreadable_files(tmp_path: Path, name: str, content: bytes, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableWorkbook, match=fragment):
        open_sales_sheet(path)


def test_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "archive.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(UnreadableWorkbook, match="zip archive without a workbook"):
        open_sales_sheet(path)


def test_truncated_workbook(tmp_path: Path) -> None:
    path = write_clean_workbook(tmp_path / "cut.xlsx", [ROW] * 50)
    path.write_bytes(path.read_bytes()[:2000])
    with pytest.raises(UnreadableWorkbook):
        open_sales_sheet(path)


def test_damaged_sheet_inside_a_valid_zip(tmp_path: Path) -> None:
    path = write_clean_workbook(tmp_path / "damaged.xlsx", [ROW] * 200)
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 10
    data[start : start + 50] = bytes(b ^ 0x55 for b in data[start : start + 50])
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableWorkbook):
        open_sales_sheet(path)


def test_empty_workbook_has_no_sales_sheet(tmp_path: Path) -> None:
    path = tmp_path / "blank.xlsx"
    xlsxwriter.Workbook(str(path)).close()
    with pytest.raises(NoSalesSheet, match="'Sheet1'"):
        open_sales_sheet(path)


def test_mislabelled_suffix_is_read_by_content(tmp_path: Path) -> None:
    path = write_clean_workbook(tmp_path / "really-xlsx.xls", [ROW])
    assert len(parse_file(path)[1]) == 1


# ---- size limits -----------------------------------------------------------------------------


def test_rows_beyond_max_rows_are_refused(tmp_path: Path) -> None:
    path = write_clean_workbook(tmp_path / "many.xlsx", [ROW] * 10)
    with pytest.raises(WorkbookTooLarge, match="10 rows"):
        open_sales_sheet(path, max_rows=9)
    with open_sales_sheet(path, max_rows=10) as sheet:
        assert len(list(sheet.iter_rows())) == 10


def test_huge_declared_dimension_is_harmless(tmp_path: Path) -> None:
    path = write_clean_workbook(tmp_path / "dim.xlsx", [ROW] * 10)
    rewrite_sheet_xml(
        path, lambda xml: re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:Z1048576"/>', xml)
    )
    started = time.perf_counter()
    assert len(parse_file(path)[1]) == 10
    assert time.perf_counter() - started < 2


def test_missing_dimension_is_harmless(tmp_path: Path) -> None:
    path = write_clean_workbook(tmp_path / "nodim.xlsx", [ROW] * 10)
    rewrite_sheet_xml(path, lambda xml: re.sub(r'<dimension ref="[^"]*"/>', "", xml))
    assert len(parse_file(path)[1]) == 10


def test_a_million_styled_empty_rows_stay_cheap(tmp_path: Path) -> None:
    path = write_clean_workbook(tmp_path / "styled.xlsx", [ROW] * 10)
    empty = "".join(
        f'<row r="{n}" s="1" customFormat="1"><c r="A{n}" s="1"/><c r="B{n}" s="1"/></row>'
        for n in range(12, 1_000_012)
    )
    rewrite_sheet_xml(path, lambda xml: xml.replace("</sheetData>", empty + "</sheetData>"))
    started = time.perf_counter()
    assert len(parse_file(path)[1]) == 10
    assert time.perf_counter() - started < 5


def test_a_stray_cell_far_away_is_refused_before_loading(tmp_path: Path) -> None:
    """Without the check, calamine would allocate 17 billion cells and abort the process."""
    path = write_clean_workbook(tmp_path / "stray.xlsx", [ROW] * 10)
    stray = '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'

    def add_stray_cell(xml: str) -> str:  # and declare the dimension as Excel would
        xml = re.sub(r'<dimension ref="[^"]*"/>', '<dimension ref="A1:XFD1048576"/>', xml)
        return xml.replace("</sheetData>", stray + "</sheetData>")

    rewrite_sheet_xml(path, add_stray_cell)
    with pytest.raises(WorkbookTooLarge, match="stray cells"):
        open_sales_sheet(path)


def test_grid_limit_applies_even_when_the_dimension_is_honest(tmp_path: Path) -> None:
    path = write_clean_workbook(tmp_path / "wide.xlsx", [ROW] * 10)
    assert open_sales_sheet(path, max_cells=77).layout.header_row == 1
    with pytest.raises(WorkbookTooLarge):
        open_sales_sheet(path, max_cells=76)

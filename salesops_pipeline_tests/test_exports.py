"""The export generators: rows land where they say (read back with openpyxl and csv), and the
subtotal workbook's expected outcome is what rows.RowParser + totals.RowSorter make of it."""

from __future__ import annotations

import csv
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from salesops_pipeline.core.extract.header.columns import default_column_map, find_header
from salesops_pipeline.core.extract.rows.cells import to_decimal
from salesops_pipeline.core.extract.rows.non_sales import RowSorter, SkippedRow, Verdict
from salesops_pipeline.core.extract.rows.sales_line import RejectedRow, RowParser, SalesLine
from salesops_pipeline.errors import MissingColumns
from salesops_pipeline_tests.exports import (
    HEADER,
    NOTE,
    ExpectedLine,
    write_regional_workbook,
    write_subtotal_workbook,
)
from salesops_pipeline_tests.exports_csv import (
    DIALECTS,
    QUOTED_PRODUCTS,
    QUOTED_SELLER,
    write_csv_export,
)


def _sheet_rows(path: Path, sheet: str) -> list[tuple[object, ...]]:
    book = openpyxl.load_workbook(path, data_only=True)  # formulas: the cached values
    return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]


def _cells(row: tuple[object, ...]) -> tuple[object, ...]:
    return tuple(row[:7]) + (None,) * (7 - len(row))  # HEADER is already in canonical order


@pytest.mark.parametrize(("wrong_total", "wrong_by", "unreadable", "differing"), [
    (None, Decimal(0), None, set()),
    ("Grace Hopper Total", Decimal("0.01"), None, {"Grace Hopper Total"}),
    ("Grand Total", Decimal("-100.00"), None, {"Grand Total"}),
    (None, Decimal(0), 5, {"Grace Hopper Total", "Grand Total"}),  # line 5 is Grace's second
    ("Ada Lovelace Total", Decimal("2.50"), 1, {"Ada Lovelace Total", "Grand Total"}),
])
def test_subtotal_workbook_lands_where_it_says(tmp_path: Path, wrong_total: str | None,
                                               wrong_by: Decimal, unreadable: int | None,
                                               differing: set[str]) -> None:
    out = write_subtotal_workbook(tmp_path / "sub.xlsx", seed=7, wrong_total=wrong_total,
                                  wrong_by=wrong_by, unreadable_line=unreadable)
    rows = _sheet_rows(out.path, "Sales")
    assert rows[0] == HEADER
    for line in out.lines:
        cells = rows[line.row - 1]
        assert cells[0] == line.sold_at
        assert " ".join(str(cells[1]).split()) == line.product and cells[2] == line.seller
        assert (Decimal(repr(cells[3])), Decimal(repr(cells[5]))) == (line.unit_price,
                                                                       line.total_price)
        assert cells[6] == line.shipping_company
    labels = [rows[s.row - 1][2] for s in out.skipped if s.kind == "total"]
    assert labels == ["Ada Lovelace Total", "Grace Hopper Total", "Søren Kierkegaard Total",
                      "Grand Total"]
    assert [s.kind for s in out.skipped][-1] == "note" and rows[-1][0] == NOTE
    for total in out.control_totals:
        assert Decimal(repr(rows[total.row - 1][5])) == total.stated
        assert total.difference == total.stated - total.loaded
    assert {rows[t.row - 1][2] for t in out.control_totals if t.difference} == differing
    if unreadable is not None:  # the quarantined line explains its group's difference
        (bad,) = out.quarantined
        assert rows[bad.row - 1][0] == "31/02/2026"
        group = next(t for t in out.control_totals if t.row > bad.row)
        assert group.difference == Decimal(repr(rows[bad.row - 1][5])) + (
            wrong_by if rows[group.row - 1][2] == wrong_total else 0)
    assert [q.row for q in out.quarantined] == (
        [] if unreadable is None else [2 + unreadable + unreadable // 4])  # 4 lines, then a total
    assert len(out.lines) + len(out.quarantined) == 12


@pytest.mark.parametrize(("wrong_total", "unreadable"), [(None, None),
                                                         ("Zoë Ng Total", None), (None, 9)])
def test_subtotal_workbook_outcome_is_what_parser_and_sorter_give(
        tmp_path: Path, wrong_total: str | None, unreadable: int | None) -> None:
    out = write_subtotal_workbook(tmp_path / "sub.xlsx", seed=3, groups=4, per_group=3,
                                  wrong_total=wrong_total, wrong_by=Decimal("1.00"),
                                  unreadable_line=unreadable)
    parse = RowParser()
    sorter = RowSorter("Sales", 1, default_column_map(), to_decimal)
    lines: list[SalesLine] = []
    skipped: list[SkippedRow] = []
    quarantined: list[RejectedRow] = []

    def decide(verdicts: list[Verdict]) -> None:
        for v in verdicts:
            if isinstance(v, SkippedRow):
                skipped.append(v)
            else:
                quarantined.append(v)

    for row_number, row in enumerate(_sheet_rows(out.path, "Sales")[1:], start=2):
        if all(v is None for v in row):
            continue  # readers yield only rows with a value
        cells = _cells(row)
        parsed = parse(row_number, cells)
        if type(parsed) is SalesLine:
            if sorter.pending:
                decide(sorter.sale())
            lines.append(parsed)
        else:
            assert isinstance(parsed, RejectedRow)
            decide(sorter.not_a_sale(parsed, cells))
    decide(sorter.finish())

    assert [ExpectedLine("Sales", ln.source_row_number, ln.sold_at, ln.product, ln.seller,
                         ln.shipping_company, ln.unit_price, ln.units, ln.total_price)
            for ln in lines] == out.lines
    assert [(s.source_row_number, s.kind) for s in skipped] == [(s.row, s.kind)
                                                                for s in out.skipped]
    assert [q.source_row_number for q in quarantined] == [q.row for q in out.quarantined]
    got = []
    for t in sorter.control_totals:
        loaded = sum((ln.total_price for ln in lines
                      if t.first_row <= ln.source_row_number <= t.last_row), Decimal(0))
        got.append((t.source_row_number, t.stated_total, loaded, t.stated_total - loaded))
    assert got == [(c.row, c.stated, c.loaded, c.difference) for c in out.control_totals]


def test_regional_workbook_has_a_summary_first_and_a_sheet_per_region(tmp_path: Path) -> None:
    out = write_regional_workbook(tmp_path / "regions.xlsx", seed=11)
    book = openpyxl.load_workbook(out.path)
    assert book.sheetnames == ["Summary", "North", "South", "West"] and out.skipped_sheets == [
        "Summary"]
    columns = default_column_map()
    summary = _sheet_rows(out.path, "Summary")
    assert summary[2] == ("Seller", "Units", "Revenue")
    assert find_header(enumerate(summary, 1), column_map=columns, sheet="Summary") is None
    revenue = sum((Decimal(repr(r[2])) for r in summary[3:-1]), Decimal(0))
    assert Decimal(repr(summary[-1][2])) == revenue == sum(
        (ln.total_price for ln in out.lines), Decimal(0))
    for region, header_row in (("North", 1), ("South", 3), ("West", 1)):
        rows = _sheet_rows(out.path, region)
        found = find_header(enumerate(rows, 1), column_map=columns, sheet=region)
        assert found is not None and found.row_number == header_row
        mine = [ln for ln in out.lines if ln.sheet == region]
        assert [ln.row for ln in mine] == list(range(header_row + 1, header_row + 6))
        assert [rows[ln.row - 1][0] for ln in mine] == [ln.sold_at for ln in mine]


def test_regional_workbook_with_a_partial_header(tmp_path: Path) -> None:
    out = write_regional_workbook(tmp_path / "regions.xlsx", seed=11, partial_header="West")
    assert out.missing_columns == {"West": ("unit_price", "total_price")}
    assert {ln.sheet for ln in out.lines} == {"North", "South"}
    rows = _sheet_rows(out.path, "West")
    assert rows[0] == ("Time", "Product", "Seller", "Units") and len(rows) == 6
    with pytest.raises(MissingColumns):
        find_header(enumerate(rows, 1), column_map=default_column_map(), sheet="West")


@pytest.mark.parametrize("dialect", ["utf8-comma", "cp1252-semicolon"])
def test_csv_export_lands_where_it_says(tmp_path: Path, dialect: str) -> None:
    spec = DIALECTS[dialect]
    out = write_csv_export(tmp_path / "sales.csv", seed=5, dialect=dialect,  # type: ignore[arg-type]
                           grand_total=True)
    data = out.path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == (dialect == "utf8-comma")
    assert (b"\r\n" in data) == (dialect == "utf8-comma")
    if dialect == "cp1252-semicolon":
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
    with out.path.open(encoding=spec.encoding, newline="") as handle:
        records = list(csv.reader(handle, delimiter=spec.delimiter))
    assert tuple(records[0]) == HEADER
    assert len(records) == 1 + 13 + 1 and data.count(b"\n") > len(records)  # a quoted line break

    def number(text: str) -> Decimal:
        return Decimal(text.replace(spec.thousands, "").replace(spec.decimal, "."))

    for line in out.lines:
        record = records[line.row - 1]
        assert datetime.strptime(record[0], spec.time_format) == line.sold_at
        assert " ".join(record[1].split()) == line.product and record[2] == line.seller
        assert (number(record[3]), Decimal(record[4]), number(record[5])) == (
            line.unit_price, line.units, line.total_price)
        assert (record[6] or None) == line.shipping_company
    assert {r[1] for r in records} >= set(QUOTED_PRODUCTS) and QUOTED_SELLER in {r[2] for r in
                                                                                 records}
    def values(line: ExpectedLine) -> tuple[object, ...]:
        return (line.sold_at, line.product, line.seller, line.shipping_company,
                line.unit_price, line.units, line.total_price)

    twins = [ln.row for ln in out.lines if values(ln) == values(out.lines[-1])]
    assert len(twins) == 2 and twins[-1] == 14  # the same sale on two rows
    (total,) = out.control_totals
    assert records[total.row - 1][0] == "Total"
    assert number(records[total.row - 1][5]) == total.stated == sum(
        (ln.total_price for ln in out.lines), Decimal(0))

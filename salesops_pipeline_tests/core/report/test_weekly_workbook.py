"""report/weekly_workbook.py: known rows in; the workbook read back with openpyxl, the summary.

The figures below are written out by hand (as numeric(24, 6) values arrive from PostgreSQL), and
every expected text or number was worked out by hand from them, not by the code under test.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal as D

import openpyxl

from salesops_pipeline.core.report.figures import MONEY_XLSX_FORMAT, UNITS_XLSX_FORMAT
from salesops_pipeline.core.report.week_files import COLUMNS
from salesops_pipeline.core.report.weekly_workbook import (
    WeeklyReport,
    summary_markdown,
    workbook_bytes,
)

START = date(2026, 3, 2)
HUGE = D("12345678901234567.123456")   # more digits than a double holds: kept as exact text


def rows(*, empty: bool = False) -> dict[str, list[dict]]:
    quality = {"week_start": START, "status": "warn", "mismatched_total_count": 2,
               "nonpositive_units_count": 0, "negative_amount_count": 0,
               "missing_shipping_company_count": 3, "rejected_row_count": 1,
               "tolerance": D("0.010000")}
    if empty:
        return {"weekly_summary": [], "seller_ranking": [], "top_products": [],
                "shipping_breakdown": [], "data_quality": [dict(quality, status="ok")]}
    return {
        "weekly_summary": [{"week_start": START, "week_end": date(2026, 3, 8),
                            "revenue": D("1234.500000"), "units": D("10.500000"),
                            "line_count": 8}],
        "seller_ranking": [
            {"rank": 1, "seller": "Zoë", "revenue": D("700.250000"), "units": D("6.000000"),
             "line_count": 5},
            {"rank": 2, "seller": "Ada", "revenue": D("534.250000"), "units": D("4.500000"),
             "line_count": 3}],
        "top_products": [
            {"rank": 1, "product": "Dock", "revenue": D("600.000000"), "units": D("2.000000")},
            {"rank": 1, "product": "Laptop", "revenue": D("600.000000"), "units": D("1.000000")},
            {"rank": 3, "product": "Cable", "revenue": D("34.500000"), "units": D("7.500000")},
            {"rank": 4, "product": "Huge", "revenue": HUGE, "units": D("1.000000")}],
        "shipping_breakdown": [
            {"shipping_company": "DHL", "revenue": D("1000.500000"), "line_count": 6,
             "revenue_share": D("0.810450")},
            {"shipping_company": "UNKNOWN", "revenue": D("234.000000"), "line_count": 2,
             "revenue_share": D("0.189550")}],
        "data_quality": [quality],
    }


PREVIOUS = {"week_start": date(2026, 2, 23), "week_end": date(2026, 3, 1),
            "revenue": D("1000.000000"), "units": D("12.000000"), "line_count": 8}


def report(previous: dict | None = PREVIOUS, **kw) -> WeeklyReport:
    return WeeklyReport(START, rows(**kw), COLUMNS, previous)


def test_summary_states_figures_changes_leaders_and_quality() -> None:
    text = summary_markdown(report())
    assert text.splitlines() == [
        "# Weekly sales report 2026-03-02 to 2026-03-08",
        "",
        # 1234.50 - 1000 = +234.50; 234.5 / 1000 = 23.45 % → 23.5 (half away from zero)
        "- Revenue: 1234.50 (previous week 1000.00; change +234.50, +23.5%)",
        # 10.5 - 12 = -1.5; -1.5 / 12 = -12.5 %
        "- Units: 10.5 (previous week 12; change -1.5, -12.5%)",
        "- Lines: 8 (previous week 8; change 0, 0.0%)",
        "- Top seller: Zoë, revenue 700.25",
        "- Top product: Dock, Laptop (tied), revenue 600.00",
        "- Data quality: warn (mismatched totals 2, non-positive units 0, negative amounts 0, "
        "missing shipping company 3, rejected rows 1; price tolerance 0.01)",
    ]


def test_change_is_not_available_when_the_previous_week_had_nothing() -> None:
    lines = summary_markdown(report(previous=None)).splitlines()
    assert lines[2] == "- Revenue: 1234.50 (previous week 0.00; change +1234.50, n/a)"
    assert lines[4] == "- Lines: 8 (previous week 0; change +8, n/a)"


def test_an_empty_week_says_so() -> None:
    lines = summary_markdown(report(empty=True)).splitlines()
    assert lines[2] == "- Revenue: 0.00 (previous week 1000.00; change -1000.00, -100.0%)"
    assert lines[5] == "- Top seller: none (no sales this week)"
    assert lines[7].startswith("- Data quality: ok (mismatched totals 2")


def test_names_written_like_markdown_are_inert_in_the_summary() -> None:
    hostile = report()
    hostile.rows["seller_ranking"][0]["seller"] = "[Reset password](https://evil.example)"
    hostile.rows["top_products"][0]["product"] = "<b>Dock</b>\n# Pwned"
    lines = summary_markdown(hostile).splitlines()
    assert lines[5] == r"- Top seller: \[Reset password\](https://evil.example), revenue 700.25"
    assert lines[6] == r"- Top product: \<b\>Dock\</b\> # Pwned, Laptop (tied), revenue 600.00"
    assert len(lines) == 8  # the line break in the name started no line of its own


def _book(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def _values(sheet) -> list[tuple]:
    return list(sheet.iter_rows(values_only=True))


def test_workbook_has_a_sheet_per_report_with_exact_values() -> None:
    book = _book(workbook_bytes(report()))
    assert book.sheetnames == ["Summary", "Seller ranking", "Top products",
                               "Shipping breakdown", "Data quality"]
    assert _values(book["Summary"]) == [
        ("figure", "this_week", "previous_week", "change", "change_ratio"),
        ("week_start", datetime(2026, 3, 2), datetime(2026, 2, 23), None, None),
        ("week_end", datetime(2026, 3, 8), datetime(2026, 3, 1), None, None),
        ("revenue", 1234.5, 1000, 234.5, 0.2345),
        ("units", 10.5, 12, -1.5, -0.125),
        ("line_count", 8, 8, 0, 0)]
    assert _values(book["Seller ranking"]) == [
        ("rank", "seller", "revenue", "units", "line_count"),
        (1, "Zoë", 700.25, 6, 5), (2, "Ada", 534.25, 4.5, 3)]
    products = _values(book["Top products"])
    assert products[1:4] == [(1, "Dock", 600, 2), (1, "Laptop", 600, 1), (3, "Cable", 34.5, 7.5)]
    assert products[4] == (4, "Huge", "12345678901234567.123456", 1)
    assert _values(book["Shipping breakdown"])[1:] == [("DHL", 1000.5, 6, 0.81045),
                                                      ("UNKNOWN", 234, 2, 0.18955)]
    assert _values(book["Data quality"]) == [
        ("week_start", "status", "mismatched_total_count", "nonpositive_units_count",
         "negative_amount_count", "missing_shipping_company_count", "rejected_row_count",
         "tolerance"),
        (datetime(2026, 3, 2), "warn", 2, 0, 0, 3, 1, 0.01)]


def _shown(value: object) -> int:
    """Characters a cell shows: dates as yyyy-mm-dd, anything else as its text."""
    if isinstance(value, datetime):
        return 10
    return len(str(value if value is not None else ""))


def test_workbook_formats_widths_and_frozen_bold_header() -> None:
    book = _book(workbook_bytes(report()))
    summary = book["Summary"]
    assert [summary.cell(4, c).number_format for c in range(2, 5)] == [MONEY_XLSX_FORMAT] * 3
    assert [summary.cell(5, c).number_format for c in range(2, 5)] == [UNITS_XLSX_FORMAT] * 3
    assert summary.cell(4, 5).number_format == "0.0000%"
    assert summary.cell(2, 2).number_format == "yyyy-mm-dd"
    sellers = book["Seller ranking"]
    assert sellers["C2"].number_format == MONEY_XLSX_FORMAT
    assert sellers["D2"].number_format == UNITS_XLSX_FORMAT
    assert sellers["E2"].number_format == "0"
    assert book["Shipping breakdown"]["D2"].number_format == "0.0000%"
    assert book["Data quality"]["H2"].number_format == MONEY_XLSX_FORMAT
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert all(cell.font.bold for cell in sheet[1]), sheet.title
        for column in range(1, sheet.max_column + 1):
            letter = openpyxl.utils.get_column_letter(column)
            width = sheet.column_dimensions[letter].width
            longest = max(_shown(c.value) for c in sheet[letter])
            assert width >= min(longest, 60), (sheet.title, letter)
    # The exact text of the huge amount fits its column.
    assert book["Top products"].column_dimensions["C"].width >= len(str(HUGE))

"""Date and time in two columns: the header rule (columns.split_sold_at), the reading of each
part (cells.combine, to_date_part, to_time_part), the readers and the column map."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook

from salesops_pipeline.core.extract.formats.csv_tables import open_csv_table
from salesops_pipeline.core.extract.formats.workbook_tables import open_workbook_tables
from salesops_pipeline.core.extract.header.columns import (
    default_column_map,
    find_header,
    load_column_map,
)
from salesops_pipeline.core.extract.rows.cells import (
    InvalidCell,
    SplitMoment,
    combine,
    to_date_part,
    to_time_part,
)
from salesops_pipeline.core.extract.rows.date_order import TableDates
from salesops_pipeline.core.extract.rows.sales_line import RejectedRow, SalesLine, parse_row
from salesops_pipeline.errors import AmbiguousColumns, ConfigError

REST = ("Product", "Seller", "Unit Price", "Units", "Total Price")


def _header(*cells: str, column_map=None):
    return find_header([(1, (*cells, *REST))], column_map=column_map or default_column_map(),
                       sheet=None)


@pytest.mark.parametrize("date_header, time_header", [
    ("Date", "Time"), ("Datum", "Uhrzeit"), ("Sale date", "Sale time"),
    ("Order date", "Order time"), ("DATE", "time (local)"),
])
def test_a_date_and_a_time_column_are_one_sale_time(date_header: str, time_header: str) -> None:
    for cells, date_at, time_at in (((date_header, time_header), 0, 1),
                                    ((time_header, date_header), 1, 0)):
        match = _header(*cells)
        assert match is not None and match.split is not None
        assert match.columns["sold_at"] == date_at
        assert match.split.time_column == time_at
        assert match.split.date_label == f"{date_header!r} ({'AB'[date_at]})"


@pytest.mark.parametrize("alone", ["Time", "Date", "Uhrzeit", "Datum", "Timestamp"])
def test_one_column_is_the_whole_timestamp(alone: str) -> None:
    match = _header(alone)
    assert match is not None and match.split is None and match.columns["sold_at"] == 0


@pytest.mark.parametrize("pair", [("Date", "Timestamp"), ("Date", "Datum"), ("Time", "Uhrzeit")])
def test_other_pairs_stay_ambiguous(pair: tuple[str, str]) -> None:
    with pytest.raises(AmbiguousColumns):
        _header(*pair)


@pytest.mark.parametrize("value, expected", [
    ("14:05", time(14, 5)), ("2:05 PM", time(14, 5)), ("2:05pm", time(14, 5)),
    ("12:30 am", time(0, 30)), ("14:05:09", time(14, 5, 9)),
    (" 09:00:00.250 ", time(9, 0, 0, 250000)),
    (0.5, time(12)), (0, time(0)), (0.25 + 1 / 86_400, time(6, 0, 1)),
    (time(14, 5), time(14, 5)), (datetime(1899, 12, 30, 14, 5), time(14, 5)),
    (datetime(1899, 12, 31, 14, 5), time(14, 5)), (timedelta(hours=14, minutes=5), time(14, 5)),
])
def test_time_parts(value: object, expected: time) -> None:
    assert to_time_part(value) == expected


@pytest.mark.parametrize("value, reason", [
    (None, "missing"), ("", "missing"), ("  ", "missing"), ("25:00", "unreadable time '25:00'"),
    ("13:05 PM", "unreadable time '13:05 PM'"), ("noon", "unreadable time 'noon'"),
    (1.5, "number '1.5' is not a time of day (Excel times run 0..1)"),
    (-0.1, "number '-0.1' is not a time of day (Excel times run 0..1)"),
    (datetime(2026, 11, 13, 14, 5), "a date, not a time of day '2026-11-13 14:05:00'"),
    (True, "true/false is not a time of day 'True'"),
])
def test_unreadable_time_parts(value: object, reason: str) -> None:
    with pytest.raises(InvalidCell) as caught:
        to_time_part(value)
    assert str(caught.value) == reason


@pytest.mark.parametrize("value", [
    "2026-11-13", "13.11.2026", "Nov 13, 2026", date(2026, 11, 13), datetime(2026, 11, 13),
    46339, 46339.0,
])
def test_date_parts(value: object) -> None:
    assert to_date_part(value) == date(2026, 11, 13)


@pytest.mark.parametrize("value", ["2026-11-13 14:05", 46339.5, datetime(1899, 12, 30, 14, 5)])
def test_a_date_part_holding_a_time_is_refused(value: object) -> None:
    with pytest.raises(InvalidCell):
        to_date_part(value)


def test_the_table_date_order_applies_to_the_date_part() -> None:
    us = TableDates(scan=lambda: ["11/13/2026", "11/01/2026"])
    moment = SplitMoment("11/01/2026", "2:05 PM", "'Date' (A)", "'Time' (B)")
    assert combine(moment, us) == datetime(2026, 11, 1, 14, 5)


def test_every_bad_part_is_named() -> None:
    moment = SplitMoment("", "25:00", "'Datum' (A)", "'Uhrzeit' (B)")
    with pytest.raises(InvalidCell) as caught:
        combine(moment)
    assert str(caught.value) == ("date column 'Datum' (A): missing; time column 'Uhrzeit' (B): "
                                 "unreadable time '25:00'")


def test_parse_row_reads_and_quarantines_split_times() -> None:
    rest = ("Widget", "Ada", "2.50", "2", "5.00", "")
    good = parse_row(2, (SplitMoment("2026-11-13", "14:05", "'Date' (A)", "'Time' (B)"), *rest))
    assert isinstance(good, SalesLine) and good.sold_at == datetime(2026, 11, 13, 14, 5)
    bad = parse_row(3, (SplitMoment("2026-11-13", None, "'Date' (A)", "'Time' (B)"), *rest))
    assert isinstance(bad, RejectedRow)
    assert bad.reasons == ("sold_at: time column 'Time' (B): missing",)
    assert bad.raw["sold_at"] == {"date": "2026-11-13", "time": None}


def test_the_csv_reader_yields_both_parts_and_the_dates_as_evidence(tmp_path: Path) -> None:
    path = tmp_path / "pos.csv"
    path.write_text("Product,Time,Seller,Unit Price,Units,Total Price,Date\r\n"
                    "Widget,2:05 PM,Ada,1,1,1,11/13/2026\r\n", encoding="utf-8")
    with open_csv_table(path) as table:
        ((row, cells),) = list(table.iter_rows())
        assert (row, cells[0]) == (2, SplitMoment("11/13/2026", "2:05 PM", "'Date' (G)",
                                                  "'Time' (B)"))
        assert list(table.sold_at_values()) == ["11/13/2026"]


def test_the_workbook_reader_yields_both_parts(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([None, None])  # the table starts at B3
    sheet.append([None, "Datum", "Uhrzeit", *REST])
    sheet.append([None, date(2026, 11, 13), time(14, 5), "Widget", "Ada", 1, 1, 1])
    book.save(tmp_path / "pos.xlsx")
    with open_workbook_tables(tmp_path / "pos.xlsx") as found:
        (table,) = found.tables
        ((row, cells),) = list(table.iter_rows())
    assert row == 3
    assert combine(cells[0]) == datetime(2026, 11, 13, 14, 5)
    assert cells[0].date_label == "'Datum' (B)"


def test_the_column_map_adds_spellings_for_the_parts(tmp_path: Path) -> None:
    path = tmp_path / "column_map.toml"
    path.write_text('[columns]\nsold_at_date = ["Buchungstag"]\n'
                    'sold_at_time = ["Buchungszeit", "Timestamp"]\n', encoding="utf-8")
    cmap = load_column_map(path, explicit=True)
    match = _header("Buchungstag", "Buchungszeit", column_map=cmap)
    assert match is not None and match.split is not None and match.split.time_column == 1
    assert _header("Date", "Timestamp", column_map=cmap).split is not None  # type: ignore[union-attr]
    alone = _header("Buchungszeit", column_map=cmap)  # a part alone names sold_at
    assert alone is not None and alone.split is None and alone.columns["sold_at"] == 0


def test_a_part_spelling_of_another_column_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "column_map.toml"
    path.write_text('[columns]\nsold_at_time = ["Units"]\nsold_at_dat = ["Tag"]\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_column_map(path, explicit=True)
    message = str(caught.value)
    assert "'Units' is claimed by units (built-in) and sold_at_time" in message
    assert "unknown column 'sold_at_dat' (did you mean sold_at_date?)" in message

"""Whole files through staging's parser (parse_to_copy): month-first and day-first CSV files and
text-date workbooks, with and without a value that decides, contradicting values, 12-hour
times, and each configured order. Expected lines come from exports_dates.py's chosen values."""

from __future__ import annotations

import importlib.util
import io
import json
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType

import pytest

from salesops_pipeline.core.extract.copy_lines import ParsedFile, parse_to_copy
from salesops_pipeline.core.extract.header.columns import default_column_map
from salesops_pipeline.core.extract.rows.date_order import ConfiguredOrder, DateOrder
from salesops_pipeline.errors import WorkbookTooLarge
from salesops_pipeline_tests.exports import ExpectedLine
from salesops_pipeline_tests.exports_dates import (
    STYLES,
    dated_lines,
    write_dated_csv,
    write_dated_workbook,
)

DMY, MDY, AUTO = DateOrder.DMY, DateOrder.MDY, DateOrder.AUTO
DECIDING = range(1, 29)  # November 2026: days above 12 decide
UNDECIDED = range(1, 13)  # only days up to 12: every value reads two ways (but 11/11)


class Staged:
    """What parse_to_copy made of a file: sold_at and total by (sheet, row), the quarantined
    rows' reasons by row (tests quarantine rows of one sheet only), the ParsedFile."""

    def __init__(self, tmp_path: Path, path: Path, order: DateOrder = AUTO) -> None:
        out = io.BytesIO()
        self.result: ParsedFile = parse_to_copy(
            out, path, 7, default_column_map(), 100_000, tmp_path / "rejects",
            tmp_path / "skipped", 100_000, ConfiguredOrder(order))
        self.loaded: dict[tuple[str | None, int], tuple[datetime, Decimal]] = {}
        for line in out.getvalue().decode().splitlines():
            _, sheet, row, sold_at, *_, total = line.split("\t")
            self.loaded[(sheet or None, int(row))] = (datetime.fromisoformat(sold_at),
                                                      Decimal(total))
        self.rejected = {r.source_row_number: r.reasons for r in self.result.sample_rejections}
        self.tables = json.loads(self.result.sheets_json())


def want(lines: list[ExpectedLine]) -> dict[tuple[str | None, int], tuple[datetime, Decimal]]:
    return {(x.sheet, x.row): (x.sold_at, x.total_price) for x in lines}


def deciding(lines: list[ExpectedLine]) -> int:
    """How many lines show a day above 12 (the values that decide the order)."""
    return sum(x.sold_at.day > 12 for x in lines)


@pytest.mark.parametrize("style", ["us-excel", "us-excel-12h", "us-crm", "us-dotted-pm"])
def test_a_month_first_csv_loads_every_line_in_its_month(tmp_path: Path, style: str) -> None:
    path = tmp_path / "us.csv"
    expected = write_dated_csv(path, dated_lines(1, 60, DECIDING), style)
    staged = Staged(tmp_path, path)
    assert staged.loaded == want(expected) and not staged.rejected
    first = next(x.sold_at for x in expected if x.sold_at.day > 12)
    assert staged.tables[0]["date_order"] == "mdy"
    assert staged.tables[0]["date_order_reason"] == (
        f"month-first: {deciding(expected)} values like {STYLES[style](first).split()[0]!r}")


@pytest.mark.parametrize("style", ["eu-slash", "eu-dot"])
def test_a_day_first_csv_loads_every_line(tmp_path: Path, style: str) -> None:
    path = tmp_path / "eu.csv"
    expected = write_dated_csv(path, dated_lines(2, 60, DECIDING), style)
    staged = Staged(tmp_path, path, MDY)  # the file's own values overrule the setting
    assert staged.loaded == want(expected) and not staged.rejected
    assert staged.tables[0]["date_order"] == "dmy"
    assert staged.tables[0]["date_order_reason"].endswith(
        "; the file overrules SALESOPS_DATE_ORDER=mdy")


@pytest.mark.parametrize(("style", "order"), [("us-excel-12h", MDY), ("eu-slash", DMY)])
def test_without_a_deciding_value_the_setting_orders_the_file(tmp_path: Path, style: str,
                                                              order: DateOrder) -> None:
    path = tmp_path / "early.csv"
    expected = write_dated_csv(path, dated_lines(3, 40, UNDECIDED), style)
    staged = Staged(tmp_path, path, order)
    assert staged.loaded == want(expected) and not staged.rejected
    assert (staged.tables[0]["date_order"], staged.tables[0]["date_order_reason"]) == (
        order.value, f"{order.words}: SALESOPS_DATE_ORDER={order.value}")


def test_without_a_deciding_value_or_setting_nothing_is_guessed(tmp_path: Path) -> None:
    """The issue's file: 11/01/2026 used to load as 11 January. Now only 11/11 loads."""
    path = tmp_path / "early.csv"
    expected = write_dated_csv(path, dated_lines(4, 40, UNDECIDED), "us-crm")
    staged = Staged(tmp_path, path)
    same = [x for x in expected if x.sold_at.day == 11]  # 11/11/2026 reads one way
    assert same and staged.loaded == want(same)
    assert sorted(staged.rejected) == sorted(
        x.row for x in expected if x.sold_at.day != 11)
    for reasons in staged.rejected.values():
        (reason,) = reasons
        assert reason.startswith("sold_at: ambiguous date ")
        assert "set SALESOPS_DATE_ORDER=dmy or mdy" in reason
    assert staged.tables[0]["date_order"] is None
    assert staged.tables[0]["date_order_reason"].startswith(
        f"undecided: {len(expected) - len(same)} values like ")


def test_the_minority_order_is_quarantined_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "mixed.csv"
    lines = dated_lines(5, 50, DECIDING)
    late = [i for i, line in enumerate(lines) if line.sold_at.day > 12][:3]
    # three lines written day-first (13/11/2026 …) in a month-first file
    expected = write_dated_csv(path, lines, "us-crm", overrides={
        i: STYLES["eu-slash"](lines[i].sold_at) for i in late})
    staged = Staged(tmp_path, path)
    bad = {expected[i].row for i in late}
    assert staged.loaded == want([x for x in expected if x.row not in bad])
    assert set(staged.rejected) == bad
    for reasons in staged.rejected.values():
        assert reasons[0].startswith("sold_at: date '")
        assert "can only be read day-first, but this table's dates are month-first (" in (
            reasons[0])
    assert staged.tables[0]["date_order_reason"].endswith(
        "; 3 values readable only day-first (like "
        f"{STYLES['eu-slash'](lines[late[0]].sold_at).split()[0]!r}) quarantined")


def test_a_table_without_numeric_text_dates_needs_no_decision(tmp_path: Path) -> None:
    path = tmp_path / "iso.csv"
    lines = dated_lines(6, 20, UNDECIDED)
    expected = write_dated_csv(path, lines, "iso", overrides={0: "11/11/2026 2:05 PM"})
    staged = Staged(tmp_path, path)
    expected[0] = replace(expected[0], sold_at=datetime(2026, 11, 11, 14, 5))
    assert staged.loaded == want(expected)
    assert (staged.tables[0]["date_order"], staged.tables[0]["date_order_reason"]) == (
        None, "none needed")


def test_workbook_sheets_decide_each_on_their_own(tmp_path: Path) -> None:
    """Text Time cells (openpyxl writes str as text): a US sheet, a European sheet, one that
    cannot decide and one whose dates need no decision, in one file."""
    us, eu = dated_lines(7, 30, DECIDING), dated_lines(8, 30, DECIDING)
    early, iso = dated_lines(9, 20, UNDECIDED), dated_lines(10, 5, UNDECIDED)
    path = tmp_path / "regions.xlsx"
    expected = write_dated_workbook(path, {"US": (us, "us-excel-12h"), "EU": (eu, "eu-dot"),
                                           "Early": (early, "us-excel"), "ISO": (iso, "iso")})
    staged = Staged(tmp_path, path)
    good = [x for x in expected if x.sheet != "Early" or x.sold_at.day == 11]
    assert staged.loaded == want(good)
    assert len(staged.rejected) == len(expected) - len(good) > 0
    orders = {t["sheet"]: (t["date_order"], t["date_order_reason"]) for t in staged.tables}
    assert orders["US"][0] == "mdy" and orders["EU"][0] == "dmy"
    assert orders["Early"][0] is None and orders["Early"][1].startswith("undecided: ")
    assert orders["ISO"] == (None, "none needed")


def test_a_text_date_workbook_follows_the_setting(tmp_path: Path) -> None:
    path = tmp_path / "early.xlsx"
    expected = write_dated_workbook(path, {"Sales": (dated_lines(11, 25, UNDECIDED),
                                                     "us-crm")})
    staged = Staged(tmp_path, path, MDY)
    assert staged.loaded == want(expected) and not staged.rejected
    assert staged.tables[0]["date_order_reason"] == "month-first: SALESOPS_DATE_ORDER=mdy"


def test_a_file_the_date_scan_cannot_read_to_its_end_is_refused(tmp_path: Path) -> None:
    """The scan runs inside a row's parsing: its error must refuse the file, not quarantine
    rows one by one (and not scan again for each)."""
    path = tmp_path / "broken.csv"
    write_dated_csv(path, dated_lines(12, 30, UNDECIDED), "us-crm")
    with path.open("a", encoding="utf-8") as handle:
        handle.write("11/13/2026," + "x," * 1200 + "\r\n")  # more than MAX_FIELDS fields
    with pytest.raises(WorkbookTooLarge, match="row 32 has 1202 fields; the limit is 1000"):
        Staged(tmp_path, path)


LIBREOFFICE = Path(__file__).parents[2] / "fixtures" / "csv"


def _fixtures() -> ModuleType:
    """fixtures/csv/make_fixtures.py, which holds the rows it gave LibreOffice."""
    spec = importlib.util.spec_from_file_location("make_fixtures", LIBREOFFICE / "make_fixtures.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _expected(name: str) -> dict[tuple[str | None, int], tuple[datetime, Decimal]]:
    rows = _fixtures().DATED_ROWS[name]
    return {(None, number): (sold_at, Decimal(str(total)))
            for number, (sold_at, *_, total) in enumerate(rows, start=2)}


def test_libreoffice_us_dates_as_shown_are_month_first_by_the_files_own_days(
        tmp_path: Path) -> None:
    """LibreOffice (en-US, "as shown") writes `11/13/2026 12:30 AM`: the days above 12 decide,
    so `11/01/2026 2:05 PM` is 1 November at 14:05, with no setting."""
    staged = Staged(tmp_path, LIBREOFFICE / "libreoffice_us_month_first.csv")
    assert staged.loaded == _expected("libreoffice_us_month_first.csv")
    assert not staged.rejected
    assert staged.tables[0]["date_order_reason"] == "month-first: 2 values like '11/13/2026'"


def test_libreoffice_german_dates_wait_for_the_setting(tmp_path: Path) -> None:
    """LibreOffice (de-DE) writes `01.11.2026 14:05`; no day is above 12, so the file does not
    decide: quarantined under auto, read day-first with SALESOPS_DATE_ORDER=dmy."""
    path = LIBREOFFICE / "libreoffice_de_day_first.csv"
    for folder in ("auto", "dmy"):
        (tmp_path / folder).mkdir()
    undecided = Staged(tmp_path / "auto", path)
    assert not undecided.loaded and sorted(undecided.rejected) == [2, 3, 4]
    assert all("set SALESOPS_DATE_ORDER=dmy or mdy" in reason
               for reasons in undecided.rejected.values() for reason in reasons)
    configured = Staged(tmp_path / "dmy", path, DMY)
    assert configured.loaded == _expected("libreoffice_de_day_first.csv")
    assert not configured.rejected


def test_libreoffice_date_and_time_in_two_columns_are_one_sale_time(tmp_path: Path) -> None:
    """LibreOffice (de-DE) writes a point-of-sale export's date cells and time cells as
    `13.11.2026;14:05`: one sale time, day-first decided by the file's own days above 12."""
    fixtures = _fixtures()
    staged = Staged(tmp_path, LIBREOFFICE / fixtures.SPLIT_NAME)
    assert not staged.rejected
    assert staged.loaded == {
        (None, number): (datetime.combine(day.date(), at), Decimal(str(total)))
        for number, (day, at, *_, total) in enumerate(fixtures.SPLIT_ROWS, start=2)}
    assert staged.tables[0]["date_order"] == "dmy"

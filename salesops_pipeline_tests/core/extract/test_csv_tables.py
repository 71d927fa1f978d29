"""CSV/TSV drops: encodings, delimiters, quoting, row numbers, decimal commas and every bound."""

from __future__ import annotations

import csv
import os
import tempfile
import time
import tracemalloc
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from salesops_pipeline.core.extract.formats.csv_tables import (
    MAX_FIELDS,
    MAX_RECORD_CHARS,
    CsvTable,
    _records,
    open_csv_table,
)
from salesops_pipeline.core.extract.formats.csv_text import MAX_CSV_BYTES, refuse_non_text
from salesops_pipeline.core.extract.rows.cells import MONEY_LIMIT, InvalidCell, to_decimal_comma
from salesops_pipeline.core.extract.rows.date_order import ConfiguredOrder, DateOrder, TableDates
from salesops_pipeline.core.extract.rows.sales_line import RejectedRow, RowParser, SalesLine
from salesops_pipeline.errors import (
    MissingColumns,
    NoSalesSheet,
    UnreadableCsv,
    WorkbookTooLarge,
)

FIXTURES = Path(__file__).parents[2] / "fixtures" / "csv"
HEADER = "Time,Product,Seller,Unit Price,Units,Total Price,Shipping Company"
ALL_COLUMNS = {"sold_at": 0, "product": 1, "seller": 2, "unit_price": 3, "units": 4,
               "total_price": 5, "shipping_company": 6}
# The four rows of every fixture (fixtures/csv/make_fixtures.py), by offset below the header.
FIXTURE_LINES = [
    (1, datetime(2026, 3, 2, 14, 5), "Crème brûlée, 6-pack", "Jürgen Müller", "DHL",
     Decimal("1234.50"), Decimal("2"), Decimal("2469.00")),
    (2, datetime(2026, 3, 3, 9, 30), 'Widget 5" "Pro"', "Zoë O'Neil", "UPS",
     Decimal("12.50"), Decimal("3"), Decimal("37.50")),
    (3, datetime(2026, 3, 4), "Gift box with ribbon", "Ana Peña", None,
     Decimal("0.99"), Decimal("10"), Decimal("9.90")),
    (4, datetime(2026, 3, 5, 16, 45), "Espresso € machine", "Åsa Ström", "Hermes",
     Decimal("1234567.89"), Decimal("1"), Decimal("1234567.89")),
]


def write(tmp_path: Path, text: str | bytes, name: str = "sales.csv",
          encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def rows(path: Path, **kwargs: object) -> list[tuple[int, tuple[object, ...]]]:
    with open_csv_table(path, **kwargs) as table:  # type: ignore[arg-type]
        return list(table.iter_rows())


def parsed(path: Path, order: DateOrder = DateOrder.AUTO) -> list[SalesLine | RejectedRow]:
    """The file's rows parsed as staging parses them (its date order decided from its values,
    else ``order``)."""
    with open_csv_table(path) as table:
        dates = TableDates(ConfiguredOrder(order), table.sold_at_values)
        parse = RowParser(decimal_comma=table.decimal_comma, dates=dates)
        return [parse(number, cells) for number, cells in table.iter_rows()]


def as_tuples(lines: list[SalesLine | RejectedRow]) -> list[tuple[object, ...]]:
    out = []
    for line in lines:
        assert isinstance(line, SalesLine), line
        out.append((line.source_row_number, line.sold_at, line.product, line.seller,
                    line.shipping_company, line.unit_price, line.units, line.total_price))
    return out


# ---- real files -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "header_row", "delimiter", "encoding", "decimal_comma"),
    [
        ("libreoffice_semicolon_utf8.csv", 1, ";", "utf-8-sig", True),
        ("libreoffice_semicolon_cp1252.csv", 1, ";", "cp1252", True),
        ("libreoffice_comma_default.csv", 1, ",", "cp1252", False),
        ("libreoffice_title_lines.csv", 3, ",", "utf-8-sig", False),
        ("libreoffice_tab_utf8.tsv", 1, "\t", "utf-8-sig", False),
        ("excel_utf8_bom_crlf.csv", 1, ",", "utf-8-sig", False),
    ],
)
def test_fixture_files_read_exactly(name: str, header_row: int, delimiter: str, encoding: str,
                                    decimal_comma: bool) -> None:
    path = FIXTURES / name
    with open_csv_table(path) as table:
        assert (table.delimiter, table.encoding, table.decimal_comma) == (
            delimiter, encoding, decimal_comma)
        assert table.layout.sheet_name is None
        assert table.layout.header_row == header_row
        assert table.layout.columns == ALL_COLUMNS
        assert table.layout.header_cells == tuple(HEADER.split(","))
    expected = [(header_row + offset, *rest) for offset, *rest in FIXTURE_LINES]
    # excel_utf8_bom_crlf.csv writes 02/03/2026: only the configured order can place it
    assert as_tuples(parsed(path, DateOrder.DMY)) == expected


def test_a_file_whose_dates_all_read_two_ways_needs_a_configured_order() -> None:
    lines = parsed(FIXTURES / "excel_utf8_bom_crlf.csv")  # 02/03/2026 … 05/03/2026, auto
    # 03/03/2026 reads the same either way; the others are quarantined, never guessed
    assert [type(x) for x in lines] == [RejectedRow, SalesLine, RejectedRow, RejectedRow]
    assert all(x.reasons[0].startswith("sold_at: ambiguous date ")
               and "SALESOPS_DATE_ORDER=dmy or mdy" in x.reasons[0]
               for x in lines if isinstance(x, RejectedRow))


def test_excel_style_file_keeps_the_crlf_inside_a_quoted_name(tmp_path: Path) -> None:
    path = FIXTURES / "excel_utf8_bom_crlf.csv"
    assert path.read_bytes().startswith(b"\xef\xbb\xbfTime,")
    raw = dict(rows(path))
    assert raw[4][1] == "Gift box\r\nwith ribbon"
    assert raw[4][6] == ""


# ---- header, delimiter, row numbers -----------------------------------------------------------


def test_the_source_system_header_exactly(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n2026-03-02 14:05,Widget,Ada,12.50,2,25.00,DHL\n")
    with open_csv_table(path) as table:
        assert table.layout.header_row == 1
        assert table.layout.columns == ALL_COLUMNS
        assert table.decimal_comma is False
        assert list(table.iter_rows()) == [
            (2, ("2026-03-02 14:05", "Widget", "Ada", "12.50", "2", "25.00", "DHL"))]
        assert table.rows_outside_columns == 0


def test_quoted_fields_do_not_shift_row_numbers(tmp_path: Path) -> None:
    text = (f"{HEADER}\r\n"
            '2026-03-02,"Widget, ""large""\r\nsecond line\nthird",Ada,1,2,2,DHL\r\n'
            "\r\n"
            "2026-03-03,Gadget,Bob,1,1,1,UPS\r\n"
            '   \r\n,,,,,,\r\n'
            "2026-03-04,Thing,Cy,2,2,4,\r\n")
    assert rows(write(tmp_path, text)) == [
        (2, ("2026-03-02", 'Widget, "large"\r\nsecond line\nthird', "Ada", "1", "2", "2", "DHL")),
        (4, ("2026-03-03", "Gadget", "Bob", "1", "1", "1", "UPS")),
        (7, ("2026-03-04", "Thing", "Cy", "2", "2", "4", "")),
    ]


def test_title_lines_above_the_header(tmp_path: Path) -> None:
    text = f"Sales report, March\n\nExported by: shop\n{HEADER}\n2026-03-02,W,Ada,1,1,1,DHL\n"
    with open_csv_table(write(tmp_path, text)) as table:
        assert table.layout.header_row == 4
        assert [number for number, _ in table.iter_rows()] == [5]


def test_tsv_reads_tabs_and_names_holding_commas_and_semicolons(tmp_path: Path) -> None:
    text = (HEADER.replace(",", "\t")
            + "\n2026-03-02\tWidget, red; big\tAda\t1,234.50\t1\t1,234.50\t\n")
    path = write(tmp_path, text, name="sales.tsv")
    with open_csv_table(path) as table:
        assert table.delimiter == "\t"
        assert table.decimal_comma is False
    assert as_tuples(parsed(path)) == [
        (2, datetime(2026, 3, 2), "Widget, red; big", "Ada", None,
         Decimal("1234.50"), Decimal("1"), Decimal("1234.50"))]


def test_tab_separated_file_named_csv_is_sniffed(tmp_path: Path) -> None:
    text = HEADER.replace(",", "\t") + "\n2026-03-02\tWidget\tAda\t1\t1\t1\tDHL\n"
    with open_csv_table(write(tmp_path, text)) as table:
        assert table.delimiter == "\t"


def test_absent_optional_column_yields_none_and_notes_rows_are_counted(tmp_path: Path) -> None:
    text = ("Time,Product,Seller,Unit Price,Units,Total Price,Notes\n"
            "2026-03-02,Widget,Ada,1,2,2,call back\n"
            ",,,,,,only a note\n"
            ",,,,,,\n"
            "2026-03-03,Gadget,Bob,1,1,1,\n")
    with open_csv_table(write(tmp_path, text)) as table:
        assert "shipping_company" not in table.layout.columns
        assert list(table.iter_rows()) == [
            (2, ("2026-03-02", "Widget", "Ada", "1", "2", "2", None)),
            (5, ("2026-03-03", "Gadget", "Bob", "1", "1", "1", None)),
        ]
        assert table.rows_outside_columns == 1


def test_short_rows_are_quarantined_and_long_rows_cut_at_the_header(tmp_path: Path) -> None:
    text = (f"{HEADER}\n"
            "2026-03-02,Widget,Ada,1\n"
            "2026-03-03,Gadget,Bob,1,2,2,DHL,extra,more\n")
    result = parsed(write(tmp_path, text))
    short, long = result
    assert isinstance(short, RejectedRow)
    assert short.source_row_number == 2
    assert short.reasons == ("units: missing", "total_price: missing")
    assert isinstance(long, SalesLine)
    assert (long.source_row_number, long.total_price, long.shipping_company) == (
        3, Decimal("2"), "DHL")


def test_missing_required_column_is_named(tmp_path: Path) -> None:
    text = "Time,Product,Seller,Units,Total Price\n2026-03-02,W,A,1,1\n"
    with pytest.raises(MissingColumns, match=r"header on line 1: .*unit_price"):
        open_csv_table(write(tmp_path, text))


def test_no_header_says_what_was_read_and_what_is_needed(tmp_path: Path) -> None:
    """The reason only: the file's own text never goes into the error (it is stored, shown)."""
    path = write(tmp_path, "\n\nname,amount\nAda,12\n")
    with pytest.raises(NoSalesSheet) as caught:
        open_csv_table(path)
    message = str(caught.value)
    assert "first 50 lines" in message
    assert "name" not in message and "amount" not in message and "Ada" not in message
    assert "Time, Product, Seller, Unit Price, Units, Total Price" in message
    assert "Shipping Company" in message


def test_header_only_file_has_no_rows(tmp_path: Path) -> None:
    assert rows(write(tmp_path, HEADER)) == []
    assert rows(write(tmp_path, HEADER + "\r\n\r\n", name="blank_tail.csv")) == []


def test_closed_table_refuses_to_iterate(tmp_path: Path) -> None:
    table: CsvTable = open_csv_table(write(tmp_path, HEADER + "\n"))
    table.close()
    with pytest.raises(ValueError, match="closed"):
        list(table.iter_rows())


# ---- encodings --------------------------------------------------------------------------------


def test_cp1252_semicolon_decimal_commas(tmp_path: Path) -> None:
    text = ("Time;Product;Seller;Unit Price;Units;Total Price;Shipping Company\r\n"
            "02.03.2026 14:05;Crème brûlée;Jürgen Müller;€ 1.234,50;2;2.469,00 €;Großhandel\r\n"
            "03.03.2026;Äpfel;Zoë;0,99;10,5;10,40;\r\n")
    path = write(tmp_path, text, encoding="cp1252")
    assert b"\xe9" in path.read_bytes()  # é as one Windows-1252 byte
    with open_csv_table(path) as table:
        assert (table.encoding, table.decimal_comma) == ("cp1252", True)
    assert as_tuples(parsed(path, DateOrder.DMY)) == [
        (2, datetime(2026, 3, 2, 14, 5), "Crème brûlée", "Jürgen Müller", "Großhandel",
         Decimal("1234.50"), Decimal("2"), Decimal("2469.00")),
        (3, datetime(2026, 3, 3), "Äpfel", "Zoë", None,
         Decimal("0.99"), Decimal("10.5"), Decimal("10.40")),
    ]


def test_utf8_bom_is_not_part_of_the_header(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeff" + HEADER + "\n2026-03-02,W,Zoë,1,1,1,\n")
    with open_csv_table(path) as table:
        assert table.layout.header_cells[0] == "Time"
        assert table.encoding == "utf-8-sig"
        assert list(table.iter_rows())[0][1][2] == "Zoë"


def test_bytes_neither_utf8_nor_cp1252_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.encode() + b"\n2026-03-02,W\x81,A,1,1,1,\n")
    with pytest.raises(UnreadableCsv, match="neither UTF-8 nor Windows-1252"):
        open_csv_table(path)


# ---- decimal commas ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234,50", Decimal("1234.50")),
        ("12,5", Decimal("12.5")),
        ("1.234.567,89", Decimal("1234567.89")),
        ("-1.234,50", Decimal("-1234.50")),
        ("(12,50)", Decimal("-12.50")),
        ("€ 1.234,50", Decimal("1234.50")),
        ("1.234,50 €", Decimal("1234.50")),
        ("1 234,50", Decimal("1234.50")),
        ("1\u00a0234,50", Decimal("1234.50")),
        ("EUR 12,00-", Decimal("-12.00")),
        ("1.234.567", Decimal("1234567")),
        ("1,234.50", Decimal("1234.50")),
        ("12.5", Decimal("12.5")),
        ("0.250", Decimal("0.250")),
        ("1234,567891", Decimal("1234.567891")),
        ("12", Decimal("12")),
        ("-0,00", Decimal("0")),
    ],
)
def test_decimal_comma_forms(text: str, expected: Decimal) -> None:
    assert to_decimal_comma(text, MONEY_LIMIT) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.234", "ambiguous number '1.234'"),
        ("-12.500 €", "ambiguous number '-12.500 €'"),
        ("1,234,567", "unreadable number"),
        ("1.23,4", "unreadable number"),
        ("1.234,5.6", "unreadable number"),
        ("12,3456789", "more than 6 decimal places"),
        ("10.000.000.000.000,00", "out of range"),
        ("", "missing"),
    ],
)
def test_decimal_comma_refusals(text: str, reason: str) -> None:
    with pytest.raises(InvalidCell, match=reason.replace("(", r"\(")):
        to_decimal_comma(text, MONEY_LIMIT)


def test_ambiguous_values_are_quarantined_with_the_reason(tmp_path: Path) -> None:
    text = ("Time;Product;Seller;Unit Price;Units;Total Price\n"
            "2026-03-02;Widget;Ada;1.234;1;1.234,00\n"
            "2026-03-03;Gadget;Bob;12,50;2;25,00\n")
    first, second = parsed(write(tmp_path, text))
    assert isinstance(first, RejectedRow)
    assert first.source_row_number == 2
    assert first.reasons == (
        "unit_price: ambiguous number '1.234': '.' may group thousands or mark decimals in a "
        "decimal-comma file; write '1234' or '1,234'",)
    assert first.raw["unit_price"] == "1.234"
    assert isinstance(second, SalesLine)
    assert (second.unit_price, second.total_price) == (Decimal("12.50"), Decimal("25.00"))


def test_comma_files_keep_todays_rules() -> None:
    parse = RowParser()
    cells = ("2026-03-02", "W", "A", "1,234.50", "2", "12,50", "")
    result = parse(2, cells)
    assert isinstance(result, RejectedRow)
    assert result.reasons == ("total_price: unreadable number '12,50'",)
    comma = RowParser(decimal_comma=True)(2, cells)
    assert isinstance(comma, SalesLine)
    assert (comma.unit_price, comma.total_price) == (Decimal("1234.50"), Decimal("12.50"))


def test_decimal_comma_parser_remembers_only_valid_text() -> None:
    parse = RowParser(decimal_comma=True, max_entries=2)
    for _ in range(3):
        bad = parse(2, ("2026-03-02", "W", "A", "1.234", "1", "1", ""))
        assert isinstance(bad, RejectedRow)
        good = parse(3, ("2026-03-02", "W", "A", "1.234,5", "1", "1", ""))
        assert isinstance(good, SalesLine)
        assert good.unit_price == Decimal("1234.5")


# ---- what is not CSV text (the format's guard, refuse_non_text, runs before the opener) -------


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(UnreadableCsv, match=r"the file is empty \(0 bytes\)"):
        refuse_non_text(write(tmp_path, b""))


def test_binary_garbage_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, bytes(range(256)) * 8)
    with pytest.raises(UnreadableCsv, match="NUL byte at byte 1; this is a binary file"):
        open_csv_table(path)


def test_xlsx_named_csv_is_named(tmp_path: Path) -> None:
    book = Workbook()
    book.active.append(HEADER.split(","))
    path = tmp_path / "sales.csv"
    book.save(path)
    with pytest.raises(UnreadableCsv, match=r"Excel workbook \(\.xlsx.*named \.csv"):
        refuse_non_text(path)


def test_xls_named_csv_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504)
    with pytest.raises(UnreadableCsv, match=r"Excel 97-2003 workbook \(\.xls\) named \.csv"):
        refuse_non_text(path)


def test_utf16_text_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, HEADER.replace(",", "\t"), encoding="utf-16")
    with pytest.raises(UnreadableCsv, match="UTF-16"):
        refuse_non_text(path)


def test_quote_left_open_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f'{HEADER}\n2026-03-02,"Widget,Ada,1,1,1,\n2026-03-03,W,A,1,1,1,\n')
    with open_csv_table(path) as table, pytest.raises(UnreadableCsv, match="row 2: a quoted"):
        list(table.iter_rows())


def test_text_after_a_closing_quote_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f'{HEADER}\n2026-03-02,"Widget"x,Ada,1,1,1,\n')
    with open_csv_table(path) as table, pytest.raises(UnreadableCsv, match="row 2: text follows"):
        list(table.iter_rows())


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_records_are_split_as_csv_reader_splits_them(tmp_path: Path, delimiter: str) -> None:
    """Lines without a quote are split without csv.reader (a fast path): the same fields."""
    path = write(tmp_path, "".join([
        "a,b;c\td\n", "\n", "\r\n", "\r", " \r\n", ",\n", ";;\r", "\t\t\n", "x\ry\n",
        'q,"u\nv"\n', '"w"\r\n', "é, \x0bf\x0c;\u2028g\x85\n", '5" tall\n', "last, no break"]))
    with path.open(newline="") as handle:
        expected = list(enumerate(csv.reader(handle, delimiter=delimiter, strict=True), 1))
        assert list(_records(handle, delimiter)) == expected
    assert len(expected) == (15 if delimiter == "," else 16)  # "u\nv" is one field for ","


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet='ab ,;\t"\n\ré', max_size=120),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_any_text_reads_as_csv_reader_reads_it(text: str, delimiter: str) -> None:
    """Differential: on any text of delimiters, quotes and line breaks, the records (and their
    numbers) are csv.reader's, and where csv.reader refuses the text, so does the reader."""
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), text)
        with path.open(newline="") as handle:
            try:
                expected: list | type = list(
                    enumerate(csv.reader(handle, delimiter=delimiter, strict=True), 1))
            except csv.Error:
                expected = UnreadableCsv
            handle.seek(0)
            if expected is UnreadableCsv:
                with pytest.raises(UnreadableCsv):
                    list(_records(handle, delimiter))
            else:
                assert list(_records(handle, delimiter)) == expected


# ---- bounds -----------------------------------------------------------------------------------


def test_a_10_mb_line_is_refused_quickly_in_little_memory(tmp_path: Path) -> None:
    path = write(tmp_path, f"{HEADER}\n2026-03-02,W,A,1,1,1,\n" + "x" * 10_000_000 + "\n")
    started = time.perf_counter()
    tracemalloc.start()
    try:
        with open_csv_table(path) as table, pytest.raises(
                WorkbookTooLarge, match=f"row 3 is longer than {MAX_RECORD_CHARS} characters"):
            list(table.iter_rows())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 5
    assert peak < 8 << 20  # the whole line as text would be 10 MB


def test_a_long_first_line_is_refused_at_open(tmp_path: Path) -> None:
    path = write(tmp_path, "y" * (MAX_RECORD_CHARS + 1) + f"\n{HEADER}\n")
    with pytest.raises(WorkbookTooLarge, match="row 1 is longer than"):
        open_csv_table(path)


def test_a_record_spanning_lines_is_bounded_too(tmp_path: Path) -> None:
    field = '"' + "x" * 1199 + '\n"'  # 900 fields of 1202 characters, each one breaking a line
    path = write(tmp_path, f"{HEADER}\n2026-03-02,W,A,1,1,1,," + ",".join([field] * 900) + "\n")
    with open_csv_table(path) as table, pytest.raises(WorkbookTooLarge, match="row 2 is longer"):
        list(table.iter_rows())


def test_a_long_record_within_the_limits_is_read(tmp_path: Path) -> None:
    notes = ",".join(['"' + "n" * 104_842 + '\n"'] * 10)  # ~1 MB over 10 lines, 10 fields
    line = f"2026-03-02,W,A,1,1,1,,{notes}\n"
    assert MAX_RECORD_CHARS - 100 < len(line) < MAX_RECORD_CHARS
    (number, cells), = rows(write(tmp_path, f"{HEADER}\n{line}2026-03-03,X,B,1,1,1,\n"))[:1]
    assert (number, cells[1]) == (2, "W")


def _record(length: int, breaks: bool) -> str:
    """A sales record of exactly ``length`` characters (its line break included): notes fields
    of 2000 characters, each quoted around a line break when ``breaks``."""
    start, field = "2026-03-02,W,A,1,1,1,", ('"' + "n" * 1996 + '\n"' if breaks else "n" * 2000)
    count, rest = divmod(length - len(start) - 1, len(field) + 1)
    return start + f",{field}" * count + "," + "n" * (rest - 1) + "\n"


@pytest.mark.parametrize("breaks", [False, True], ids=["one line", "quoted line breaks"])
def test_a_record_at_the_limit_is_read_and_one_character_more_is_refused(
        tmp_path: Path, breaks: bool) -> None:
    at_limit, over = _record(MAX_RECORD_CHARS, breaks), _record(MAX_RECORD_CHARS + 1, breaks)
    assert (len(at_limit), len(over)) == (MAX_RECORD_CHARS, MAX_RECORD_CHARS + 1)
    path = write(tmp_path, f"{HEADER}\n{at_limit}2026-03-03,X,B,1,1,1,\n{over}")
    read = []
    with open_csv_table(path) as table, pytest.raises(WorkbookTooLarge, match="row 4 is longer"):
        read.extend((n, cells[1]) for n, cells in table.iter_rows())
    assert read == [(2, "W"), (3, "X")]


def test_each_record_spanning_lines_counts_from_its_own_start(tmp_path: Path) -> None:
    half = _record(MAX_RECORD_CHARS // 2 + 1000, breaks=True)  # two of them are over the limit
    numbers = [n for n, _ in rows(write(tmp_path, f"{HEADER}\n{half}{half}\n{half}"))]
    assert numbers == [2, 3, 5]


def test_a_field_past_the_csv_field_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, f'{HEADER}\n2026-03-02,"{"z" * 200_000}",A,1,1,1,\n')
    with open_csv_table(path) as table, pytest.raises(UnreadableCsv, match="row 2 has a field"):
        list(table.iter_rows())


def test_too_many_fields(tmp_path: Path) -> None:
    at_limit = "2026-03-02,W,A,1,1,1," + "," * (MAX_FIELDS - 7) + "\n"
    over = "2026-03-02,W,A,1,1,1," + "," * (MAX_FIELDS - 6) + "\n"
    assert [n for n, _ in rows(write(tmp_path, f"{HEADER}\n{at_limit}"))] == [2]
    path = write(tmp_path, f"{HEADER}\n{at_limit}{over}", name="over.csv")
    message = f"row 3 has {MAX_FIELDS + 1} fields; the limit is {MAX_FIELDS}"
    with open_csv_table(path) as table, pytest.raises(WorkbookTooLarge, match=message):
        list(table.iter_rows())


def test_more_rows_than_max_rows(tmp_path: Path) -> None:
    body = "".join(f"2026-03-02,W{i},A,1,1,1,\n" for i in range(4))
    path = write(tmp_path, f"{HEADER}\n{body}")
    assert len(rows(path, max_rows=4)) == 4
    with open_csv_table(path, max_rows=3) as table, pytest.raises(
            WorkbookTooLarge, match="more than 3 rows below the header on row 1"):
        list(table.iter_rows())


def test_a_file_past_the_size_limit_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    with path.open("wb") as handle:
        handle.write(HEADER.encode())
    os.truncate(path, MAX_CSV_BYTES + 1)  # sparse: no disk used
    with pytest.raises(WorkbookTooLarge, match=f"limited to {MAX_CSV_BYTES} bytes"):
        refuse_non_text(path)

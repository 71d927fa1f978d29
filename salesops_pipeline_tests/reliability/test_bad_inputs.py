"""Bad and extreme inputs, each imported next to a good file that was loaded first.

Every case asserts three things: the import log's status and an error text specific to the
problem (or, when the file loads, its exact values); the good file's facts, its log entry and
the report tables unchanged; nothing left in staging.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from salesops_pipeline_tests.ingest_support import checks_by_name, fact_rows
from salesops_pipeline_tests.reliability import corpus
from salesops_pipeline_tests.reliability.corpus import CANONICAL_HEADER, ExcelSerial
from salesops_pipeline_tests.reliability.harness import (
    GOOD_ROWS,
    Bench,
    Outcome,
    peak_memory_growth,
    sale,
)
from salesops_pipeline_tests.workbooks import Formula, write_clean_workbook

reliability = pytest.mark.reliability
GENERIC = ("internal error", "Traceback", "see its logs")  # never good enough for a user
MiB = 1 << 20


def expect_rejected(outcome: Outcome, fragments: list[str], record: Callable[[str], None],
                    not_fragments: tuple[str, ...] = ()) -> None:
    """Rejected as a whole, recorded (the run did not crash), the error says what is wrong."""
    record(f"rejected: {outcome.error}")
    assert outcome.run.success, "a bad file must be recorded, not crash the run"
    assert (outcome.status, outcome.rows_read, outcome.rows_loaded) == ("rejected", 0, 0)
    assert outcome.error
    for fragment in fragments:
        assert fragment in outcome.error
    for fragment in (*GENERIC, *not_fragments):
        assert fragment not in outcome.error
    check = checks_by_name(outcome.run)["file_is_readable_workbook"]
    assert check.passed is False and check.metadata["detail"].value == outcome.error


# ---- files that cannot be imported at all ------------------------------------------------------

WRONG_FORMAT = [
    pytest.param("noise.xlsx", corpus.random_bytes,
                 ["not a readable Excel workbook", "Cannot detect file format"],
                 ("zip", "plain text", "Office"),
                 marks=reliability(case="random bytes named .xlsx"), id="random-bytes"),
    pytest.param("archive.xlsx", corpus.zip_without_workbook,
                 ["not a readable Excel workbook", "a zip archive without a workbook inside"], (),
                 marks=reliability(case="a zip archive that is not a workbook"), id="zip"),
    pytest.param("export.xlsx", corpus.csv_export,
                 ["the file is plain text (CSV or HTML?), not a workbook"], (),
                 marks=reliability(case="a CSV file renamed .xlsx"), id="csv"),
    pytest.param("web-export.xlsx", corpus.html_table_export,
                 ["the file is plain text (CSV or HTML?), not a workbook"], (),
                 marks=reliability(case="an HTML \"xls\" export renamed .xlsx"), id="html-xls"),
    pytest.param("locked.xlsx", corpus.encrypted_ooxml,
                 ["password-protected", "save it without a password"], ("not a readable",),
                 marks=reliability(case="a password-protected .xlsx (encrypted OLE2 package)"),
                 id="encrypted-xlsx"),
    pytest.param("locked.xls", corpus.encrypted_xls,
                 ["password-protected", "save it without a password"], (),
                 marks=reliability(case="a password-protected .xls (FILEPASS record)"),
                 id="encrypted-xls"),
    pytest.param("memo.xlsx", corpus.ole2_not_a_spreadsheet,
                 ["an old-style Office file", "not a spreadsheet"], (),
                 marks=reliability(case="a Word document (OLE2) renamed .xlsx"), id="ole2-word"),
    pytest.param("nothing.xlsx", lambda p: (p.write_bytes(b""), p)[1],
                 ["the file is empty (0 bytes)"], (),
                 marks=reliability(case="an empty file (0 bytes)"), id="zero-bytes"),
    pytest.param("half.xlsx", lambda p: corpus.truncated_copy(p, GOOD_ROWS * 20),
                 ["not a readable Excel workbook", "incomplete"], (),
                 marks=reliability(case="a workbook truncated by an interrupted copy"),
                 id="truncated"),
]


@pytest.mark.parametrize(("name", "make", "fragments", "not_fragments"), WRONG_FORMAT)
def test_a_file_that_is_no_workbook_is_rejected_with_its_reason(
        shared_bench: Bench, record_happened, name: str, make: Callable[[Path], Path],
        fragments: list[str], not_fragments: tuple[str, ...]) -> None:
    """Rejected with a reason naming the problem; nothing else changed."""
    bench = shared_bench
    make(bench.folder / name)
    outcome = bench.run(name)
    expect_rejected(outcome, fragments, record_happened, not_fragments)
    bench.assert_untouched(loaded=False)


@reliability(case="a workbook with no cell at all")
def test_an_empty_workbook_is_rejected_naming_the_sheets_searched(
        shared_bench: Bench, record_happened) -> None:
    """Rejected: no header row found, the sheets searched are named."""
    bench = shared_bench
    corpus.blank_workbook(bench.folder / "blank.xlsx")
    outcome = bench.run("blank.xlsx")
    expect_rejected(outcome, [
        "no sheet has a header row", "'Sheet1'",
        "the header needs Time (sold_at), Product (product), Seller (seller)"], record_happened)
    bench.assert_untouched(loaded=False)


@reliability(case="a header naming one column twice (Units in E and H)")
def test_a_duplicated_column_is_rejected_naming_it(
        shared_bench: Bench, record_happened) -> None:
    """Rejected: the log names the column and both cells."""
    bench = shared_bench
    corpus.duplicated_column(bench.folder / "twice.xlsx")
    outcome = bench.run("twice.xlsx")
    expect_rejected(outcome, ["more than one column means 'units'", "'Units' in E",
                              "'Units' in H", "header on row 1"], record_happened)
    bench.assert_untouched(loaded=False)


@reliability(case="one stray value in XFD1048576 (a 17-billion-cell sheet)")
def test_a_stray_cell_far_away_is_refused_quickly(
        shared_bench: Bench, record_happened) -> None:
    """Rejected before loading the grid, in bounded time and memory."""
    bench = shared_bench
    corpus.stray_cell_far_away(bench.folder / "stray.xlsx", GOOD_ROWS)
    with peak_memory_growth() as memory:
        outcome = bench.run("stray.xlsx")
    expect_rejected(outcome, ["spans 17,179,869,184 cells", "delete stray cells"],
                    record_happened)
    assert outcome.cpu_seconds < 5 and memory["bytes"] < 200 * MiB
    bench.assert_untouched(loaded=False)


# ---- decompression bombs: a few MB on disk, a gigabyte or more once inflated --------------------

BOMBS = [
    pytest.param(corpus.huge_shared_string,
                 ["part xl/sharedStrings.xml inflates to 1,073,742,", "limit 100:1",
                  "decompression bomb", "save it again"],
                 marks=reliability(case="a 4 MB workbook holding one 1 GiB shared string"),
                 id="huge-shared-string"),
    pytest.param(corpus.whitespace_inflated_sheet,
                 ["part xl/worksheets/sheet1.xml inflates to 1,073,743,", "limit 100:1",
                  "decompression bomb", "save it again"],
                 marks=reliability(case="sheet XML inflated with 1 GiB of whitespace"),
                 id="whitespace-sheet"),
    pytest.param(corpus.many_parts,
                 ["the workbook holds 50,010 parts (limit 10,000", "not a normal export"],
                 marks=reliability(case="a workbook padded with 50,000 extra parts"),
                 id="many-parts"),
    pytest.param(corpus.lying_central_directory,
                 ["part xl/worksheets/sheet1.xml declares 1,073,743,", "local header",
                  "16,777,216", "central directory", "one of them is false"],
                 marks=reliability(case="the whitespace bomb whose central directory claims "
                                        "16 MiB (local header says 1 GiB)"),
                 id="lying-central-directory"),
    pytest.param(lambda path, rows: corpus.lying_central_directory(path, rows, claim=1 << 20),
                 ["part xl/worksheets/sheet1.xml declares 1,048,576 bytes inflated but holds",
                  "compressed bytes", "its declared size is false"],
                 marks=reliability(case="the whitespace bomb declaring 1 MiB, less than its "
                                        "compressed data"),
                 id="size-below-compressed"),
]


@pytest.mark.parametrize(("make", "fragments"), BOMBS)
def test_a_decompression_bomb_is_refused_from_its_directory(
        shared_bench: Bench, record_happened, request: pytest.FixtureRequest,
        make: Callable[[Path, list], Path], fragments: list[str]) -> None:
    """Rejected before anything inflates: in seconds, with memory far below the inflated size."""
    bench = shared_bench
    name = f"bomb-{request.node.callspec.id}.xlsx"
    path = make(bench.folder / name, GOOD_ROWS)
    assert path.stat().st_size < 8 * MiB
    with peak_memory_growth() as memory:
        outcome = bench.run(name)
    expect_rejected(outcome, fragments, record_happened)
    record_happened(f"within the bounds (< 5 s CPU, < 30 s, < 200 MiB more memory) for a "
                    f"{path.stat().st_size // MiB} MiB file")
    assert outcome.cpu_seconds < 5 and outcome.seconds < 30 and memory["bytes"] < 200 * MiB
    bench.assert_untouched(loaded=False)
    path.unlink()  # 1 GiB each once inflated by a careless tool: not left lying around


# ---- files that load, exactly ------------------------------------------------------------------


def expect_loaded(bench: Bench, outcome: Outcome, key: str, read: int, loaded: int,
                  record: Callable[[str], None]) -> dict[int, tuple]:
    """Loaded with these counts; returns the file's facts by Excel row number."""
    record(f"loaded {loaded} of {read} rows, {read - loaded} quarantined")
    assert outcome.run.success and outcome.refresh.success
    assert (outcome.status, outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected,
            outcome.error) == ("loaded", read, loaded, read - loaded, None)
    facts = {row: values for (_file, row), values in fact_rows(bench.sql, key).items()}
    assert len(facts) == loaded
    return facts


def quarantined(bench: Bench, key: str, record: Callable[[str], None] | None = None
                ) -> dict[int, list[str]]:
    """Quarantined rows of ``key`` by Excel row number (and into the table, with ``record``)."""
    rows = dict(bench.sql("SELECT source_row_number, reasons FROM salesops.rejected_row"
                          " WHERE source_file = %s ORDER BY 1", (key,)))
    if record:
        record("; ".join(f"row {n}: {', '.join(reasons)}" for n, reasons in rows.items()))
    return rows


def as_line(values: tuple) -> tuple:
    """(sold_at, product, seller, shipper, unit_price, units, total) with exact Decimals."""
    return (*values[:4], *(Decimal(v) for v in values[4:]))


@reliability(case="a sheet with only the header row")
def test_a_header_only_sheet_loads_zero_rows(bench, record_happened) -> None:
    """Loaded with 0 rows: an empty export is not an error."""
    write_clean_workbook(bench.folder / "empty-month.xlsx", [], columns=CANONICAL_HEADER)
    outcome = bench.run("empty-month.xlsx")
    expect_loaded(bench, outcome, "empty-month.xlsx", 0, 0, record_happened)
    assert quarantined(bench, "empty-month.xlsx") == {}
    bench.assert_untouched(loaded=True)


@reliability(case="a sheet declaring the dimension A1:XFD1048576")
def test_a_huge_declared_dimension_costs_nothing(bench, record_happened) -> None:
    """Loaded exactly, in bounded time and memory: the declaration is not trusted."""
    rows = [sale(20, "Cable", price="3.33", units=7), sale(21, "Pen", price="1.25")]
    corpus.huge_declared_dimension(bench.folder / "declared.xlsx", rows)
    with peak_memory_growth() as memory:
        outcome = bench.run("declared.xlsx")
    facts = expect_loaded(bench, outcome, "declared.xlsx", 2, 2, record_happened)
    assert as_line(facts[2]) == (datetime(2025, 1, 20, 10), "Cable", "Ada", "DHL",
                                 Decimal("3.33"), Decimal(7), Decimal("23.31"))
    assert as_line(facts[3])[1] == "Pen"
    assert outcome.cpu_seconds < 5 and memory["bytes"] < 200 * MiB
    bench.assert_untouched(loaded=True)


@reliability(case="a million formatted but empty rows below the data")
def test_a_million_styled_empty_rows_stay_bounded(bench, record_happened) -> None:
    """Loaded exactly, in bounded time and memory: empty styled rows are skipped."""
    rows = [sale(22, "Cable", price="3.33", units=2)]
    path = corpus.styled_empty_rows(bench.folder / "styled.xlsx", rows, count=1_000_000)
    with peak_memory_growth() as memory:
        outcome = bench.run("styled.xlsx")
    facts = expect_loaded(bench, outcome, "styled.xlsx", 1, 1, record_happened)
    assert as_line(facts[2]) == (datetime(2025, 1, 22, 10), "Cable", "Ada", "DHL",
                                 Decimal("3.33"), Decimal(2), Decimal("6.66"))
    record_happened(f"within the bounds (< 10 s CPU, < 300 MiB more memory) for a "
                    f"{path.stat().st_size // MiB} MiB file")
    assert outcome.cpu_seconds < 10 and memory["bytes"] < 300 * MiB
    bench.assert_untouched(loaded=True)


@reliability(case="formulas without a cached value")
def test_formulas_without_cached_values_quarantine_their_rows(bench, record_happened) -> None:
    """Loaded; the rows whose formula has no saved value are quarantined with the reason."""
    rows = [
        {**sale(23), "total_price": Formula("=D2*E2", 999)},
        sale(23, "Mouse", price="24.95", units=2),
        {**sale(24, "Dock", price="189.90"), "total_price": Formula("=D4*E4", 189.9)},
        sale(24, "Cable", price="3.33", units=3),
    ]
    path = write_clean_workbook(bench.folder / "formulas.xlsx", rows)
    corpus.drop_cached_formula_values(path)
    outcome = bench.run("formulas.xlsx")
    facts = expect_loaded(bench, outcome, "formulas.xlsx", 4, 2, record_happened)
    assert sorted(facts) == [3, 5]
    assert as_line(facts[3]) == (datetime(2025, 1, 23, 10), "Mouse", "Ada", "DHL",
                                 Decimal("24.95"), Decimal(2), Decimal("49.90"))
    assert quarantined(bench, "formulas.xlsx", record_happened) == {2: ["total_price: missing"],
                                                   4: ["total_price: missing"]}
    bench.assert_untouched(loaded=True)


EXTREME_ROWS = [
    CANONICAL_HEADER,
    # row 2: the first Excel day, the smallest price, the largest units below the limit
    [ExcelSerial(1), "Grain", "Ada", 0.000001, 999_999_999_999_999, 999_999_999.999999, "DHL"],
    # row 3: the day after Excel's fictitious 29 Feb 1900; six decimals as text
    [ExcelSerial(61.5), "Gold", "Ada", "$1,234.567891", 3, 3703.703673, "DHL"],
    # row 4: the last second Excel can show; the largest price below the limit
    [ExcelSerial(2958465 + 86399 / 86400), "Yacht", "Ada", 9_999_999_999_999.99, 1,
     9_999_999_999_999.99, "DHL"],
    # row 5: the last millisecond of 9999 as text; six-decimal units
    ["9999-12-31 23:59:59.999", "Dust", "Ada", 0.5, 0.000001, 0.000001, None],
    # rows 6-9: one step beyond each limit
    [ExcelSerial(45000), "Grain", "Ada", 1, 1e15, 1, "DHL"],
    [ExcelSerial(45000), "Grain", "Ada", 0.1234567, 1, 0.12, "DHL"],
    ["1899-12-31", "Grain", "Ada", 1, 1, 1, "DHL"],
    [ExcelSerial(45000), "Grain", "Ada", 1, 1, 1e13, "DHL"],
]


@reliability(case="extreme values: units 1e15, 6-decimal prices, years 1900 and 9999")
def test_extreme_values_load_exactly_or_are_quarantined_with_the_limit(
        bench, record_happened) -> None:
    """Values at each limit load exactly; one step beyond is quarantined naming the limit."""
    corpus.write_cells(bench.folder / "extremes.xlsx", EXTREME_ROWS)
    outcome = bench.run("extremes.xlsx")
    facts = expect_loaded(bench, outcome, "extremes.xlsx", 8, 4, record_happened)
    assert {row: as_line(values) for row, values in facts.items()} == {
        2: (datetime(1900, 1, 1), "Grain", "Ada", "DHL", Decimal("0.000001"),
            Decimal("999999999999999"), Decimal("999999999.999999")),
        3: (datetime(1900, 3, 1, 12), "Gold", "Ada", "DHL", Decimal("1234.567891"), Decimal(3),
            Decimal("3703.703673")),
        4: (datetime(9999, 12, 31, 23, 59, 59), "Yacht", "Ada", "DHL",
            Decimal("9999999999999.99"), Decimal(1), Decimal("9999999999999.99")),
        5: (datetime(9999, 12, 31, 23, 59, 59, 999000), "Dust", "Ada", None, Decimal("0.5"),
            Decimal("0.000001"), Decimal("0.000001")),
    }
    assert quarantined(bench, "extremes.xlsx", record_happened) == {
        6: ["units: out of range '1000000000000000.0' (size must stay below 1e15)"],
        7: ["unit_price: more than 6 decimal places '0.1234567'"],
        8: ["sold_at: year 1899 is before 1900 '1899-12-31'"],
        9: ["total_price: out of range '10000000000000.0' (size must stay below 1e13)"],
    }
    # The reports reach both ends of the calendar, to the last decimal.
    daily = dict(bench.sql("SELECT day, revenue FROM salesops.report_daily_sales"
                           " WHERE day < '1901-01-01' OR day > '9999-01-01'"))
    assert daily == {date(1900, 1, 1): Decimal("999999999.999999"),
                     date(1900, 3, 1): Decimal("3703.703673"),
                     date(9999, 12, 31): Decimal("9999999999999.990001")}
    bench.assert_untouched(loaded=True)


NAMES = [
    ("王小明的笔记本电脑", "王小明", "顺丰速运"),
    ("Ноутбук", "Мария Иванова", "Почта России"),
    ("حاسوب محمول", "محمد الأحمد", "أرامكس"),
    ("Λάπτοπ", "Ζωή", "ΕΛΤΑ"),
    ("लैपटॉप", "अनन्या", "डाक"),
    ("Laptop 💻", "👩\u200d💻 Dev Shop", "🇫🇷 Transport"),
    ("𝔘𝔫𝔦𝔠𝔬𝔡𝔢 Widget", "Zoë", "La Poste"),  # NFC ë
    ("Widget", "Zoe\u0308", "La Poste"),  # NFD e + combining diaeresis: the same Zoë
    ("C:\\temp\\N", "\\N", "O'Brien & \"Sons\" | Ltd"),  # COPY escapes and its NULL marker
]


@reliability(case="non-Latin, emoji, combining and backslash names")
def test_names_in_any_script_are_stored_exactly(bench, record_happened) -> None:
    """Loaded; every name is stored as written, in its one spelling: Unicode NFC, so the Zoë
    a Mac decomposes (e + combining diaeresis) is the Zoë Windows types, one seller."""
    rows = [sale(25, product, seller, shipper=shipper) for product, seller, shipper in NAMES]
    write_clean_workbook(bench.folder / "world.xlsx", rows)
    outcome = bench.run("world.xlsx")
    facts = expect_loaded(bench, outcome, "world.xlsx", len(NAMES), len(NAMES), record_happened)
    stored = [(p, "Zo\u00eb" if s == "Zoe\u0308" else s, c) for p, s, c in NAMES]
    assert [facts[n][1:4] for n in sorted(facts)] == stored
    sellers = {r[0] for r in bench.sql("SELECT name FROM salesops.dim_seller")}
    assert {"Zo\u00eb", "\\N"} <= sellers and "Zoe\u0308" not in sellers
    bench.assert_untouched(loaded=True)


@reliability(case='a file named "Q1 ..report ñ 😀.xlsx"')
def test_a_file_name_with_spaces_unicode_and_two_dots_imports(bench, record_happened) -> None:
    """Loaded under its exact name: two dots in a name are not a path traversal."""
    name = "Q1 ..report ñ 😀.xlsx"
    write_clean_workbook(bench.folder / name, [sale(27, "Pen", price="1.25", units=4)])
    outcome = bench.run(name)
    facts = expect_loaded(bench, outcome, name, 1, 1, record_happened)
    assert as_line(facts[2]) == (datetime(2025, 1, 27, 10), "Pen", "Ada", "DHL",
                                 Decimal("1.25"), Decimal(4), Decimal("5.00"))
    assert bench.sql("SELECT DISTINCT source_file FROM salesops.fact_sales_line"
                     " WHERE source_file <> 'good.xlsx'") == [(name,)]
    bench.assert_untouched(loaded=True)


@reliability(case="a genuine old .xls workbook renamed .xlsx")
def test_an_old_xls_renamed_xlsx_is_read_by_its_content(bench, record_happened) -> None:
    """Loaded exactly: the format is sniffed from the bytes, not trusted from the name."""
    rows = [CANONICAL_HEADER,
            ["2025-01-28 09:30", "Laptop", "Søren", 999, 2, 1998, "DHL"],
            [45685.75, "Mouse", "Søren", 24.95, 1, 24.95, None]]  # an Excel day number
    (bench.folder / "legacy.xlsx").write_bytes(corpus.xls_workbook(rows))
    outcome = bench.run("legacy.xlsx")
    facts = expect_loaded(bench, outcome, "legacy.xlsx", 2, 2, record_happened)
    assert as_line(facts[2]) == (datetime(2025, 1, 28, 9, 30), "Laptop", "Søren", "DHL",
                                 Decimal(999), Decimal(2), Decimal(1998))
    assert as_line(facts[3]) == (datetime(2025, 1, 28, 18), "Mouse", "Søren", None,
                                 Decimal("24.95"), Decimal(1), Decimal("24.95"))
    bench.assert_untouched(loaded=True)


# ---- CSV drops (core/extract/formats/csv_tables.py) ----------------------------------------------

BAD_CSV = [
    pytest.param("garbage.csv", corpus.csv_binary_garbage,
                 ["not readable as CSV", "a NUL byte at byte 1", "binary file, not text"],
                 marks=reliability(case="binary garbage named .csv"), id="csv-garbage"),
    pytest.param("empty.csv", lambda p: (p.write_bytes(b""), p)[1],
                 ["not readable as CSV: the file is empty (0 bytes)"],
                 marks=reliability(case="an empty CSV file (0 bytes)"), id="csv-empty"),
    pytest.param("one-line.csv", corpus.csv_long_line,
                 ["row 2 is longer than 1048576 characters", "quote left open"],
                 marks=reliability(case="a CSV whose second line is 10 MB long"),
                 id="csv-long-line"),
]


@pytest.mark.parametrize(("name", "make", "fragments"), BAD_CSV)
def test_a_bad_csv_is_rejected_with_its_reason(
        shared_bench: Bench, record_happened, name: str, make: Callable[[Path], Path],
        fragments: list[str]) -> None:
    """Rejected with a reason naming the problem, in bounded time and memory; nothing changed."""
    bench = shared_bench
    make(bench.folder / name)
    with peak_memory_growth() as memory:
        outcome = bench.run(name)
    expect_rejected(outcome, fragments, record_happened)
    assert outcome.cpu_seconds < 5 and memory["bytes"] < 200 * MiB
    bench.assert_untouched(loaded=False)


@reliability(case="a CSV with only the header line")
def test_a_header_only_csv_loads_zero_rows(bench, record_happened) -> None:
    """Loaded with 0 rows: an empty export is not an error."""
    (bench.folder / "empty-month.csv").write_text(",".join(CANONICAL_HEADER) + "\n",
                                                  encoding="utf-8")
    outcome = bench.run("empty-month.csv")
    expect_loaded(bench, outcome, "empty-month.csv", 0, 0, record_happened)
    assert quarantined(bench, "empty-month.csv") == {}
    bench.assert_untouched(loaded=True)


@reliability(case="a CSV whose rows have 7, 4 and 9 fields under a 7-column header")
def test_a_csv_with_ragged_rows_quarantines_the_short_one(bench, record_happened) -> None:
    """Loaded; the short row is quarantined naming its missing cells, extra fields are ignored."""
    corpus.csv_ragged_rows(bench.folder / "ragged.csv")
    outcome = bench.run("ragged.csv")
    facts = expect_loaded(bench, outcome, "ragged.csv", 3, 2, record_happened)
    assert {row: as_line(values) for row, values in facts.items()} == {
        2: (datetime(2025, 2, 3, 10), "Laptop", "Ada", "DHL", Decimal("999.00"), Decimal(1),
            Decimal("999.00")),
        4: (datetime(2025, 2, 5, 10), "Dock", "Ada", "DHL", Decimal("189.90"), Decimal(1),
            Decimal("189.90")),
    }
    assert quarantined(bench, "ragged.csv", record_happened) == {
        3: ["units: missing", "total_price: missing"]}
    bench.assert_untouched(loaded=True)

"""The known-cells fast path (rows/known_cells.py) against the row parser: the same staged lines,
quarantined and skipped rows with the same reasons, control totals and table facts, on every CSV
fixture (as is, and doubled so its rows repeat) and on generated CSV files and workbooks with
planted bad values."""

from __future__ import annotations

import tempfile
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from salesops_pipeline.core.extract.copy_lines import ParsedFile, parse_to_copy
from salesops_pipeline.core.extract.header.columns import default_column_map
from salesops_pipeline.core.extract.rows.known_cells import KnownCells
from salesops_pipeline.core.extract.rows.sales_line import RowParser, SalesLine
from salesops_pipeline.errors import WorkbookError

FIXTURES = Path(__file__).parents[2] / "fixtures" / "csv"
CSV_FIXTURES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".csv", ".tsv"))
HEADER = ["Time", "Product", "Seller", "Unit Price", "Units", "Total Price", "Shipping Company"]

Outcome = tuple[bytes, bytes, bytes, ParsedFile | str, set[tuple[str, str]]]
DIMENSION_FIELDS = {"product": 4, "seller": 5, "shipping_company": 6}  # in a staged COPY line


def parse(path: Path, known_cells: bool) -> Outcome:
    """Everything parse_to_copy writes and returns (timings and memory aside), or its error;
    the names spool as a set (a name may be spooled twice after a map starts afresh)."""
    work = path.parent
    copy, rejects, skipped = work / "copy", work / "rejects", work / "skipped"
    names = work / "names"
    names.unlink(missing_ok=True)
    try:
        with copy.open("wb") as out:
            result: ParsedFile | str = parse_to_copy(
                out, path, 7, default_column_map(), 1_000_000, rejects, skipped,
                sample_size=1000, known_cells=known_cells, names_path=names)
    except WorkbookError as exc:
        result = f"{type(exc).__name__}: {exc}"
    if isinstance(result, ParsedFile):
        result = replace(result, seconds=0.0, parser_peak_rss_mb=0.0)
    files = tuple(p.read_bytes() if p.exists() else b"" for p in (copy, rejects, skipped))
    spooled = set()
    for line in (names.read_text().splitlines() if names.exists() else []):
        import_id, dimension, name = line.split("\t")
        assert import_id == "7"
        spooled.add((dimension, name))
    return (*files, result, spooled)  # type: ignore[return-value]


def staged_names(copy: bytes) -> set[tuple[str, str]]:
    """The distinct names of the staged COPY lines, per dimension (NULL is no name)."""
    lines = [line.split("\t") for line in copy.decode().splitlines()]
    return {(dimension, fields[i]) for fields in lines
            for dimension, i in DIMENSION_FIELDS.items() if fields[i] != "\\N"}


def assert_same(path: Path) -> Outcome:
    fast = parse(path, known_cells=True)
    assert fast == parse(path, known_cells=False)
    # The spooled names are exactly the staged lines' names, each under its own dimension.
    assert fast[4] == staged_names(fast[0])
    return fast


@pytest.mark.parametrize("fixture", CSV_FIXTURES, ids=lambda p: p.name)
def test_fixtures_read_the_same(fixture: Path, tmp_path: Path) -> None:
    path = tmp_path / fixture.name
    path.write_bytes(fixture.read_bytes())
    assert_same(path)
    # Doubled, so every row comes back with known cells, after a title, a repeated header
    # and the notes above it: the second copy's rows must take the fast path and agree.
    body = fixture.read_bytes().removeprefix(b"\xef\xbb\xbf")
    path.write_bytes(fixture.read_bytes() + (b"" if body.endswith(b"\n") else b"\r\n") + body)
    assert_same(path)


def test_repeated_rows_take_the_fast_path(tmp_path: Path) -> None:
    """A repeated good row is written from known cells (the parser is not called for it)."""
    line = ["2026-03-02 14:05:09", "Crème brûlée", "Ana", "12.50", "3", "37.50", "DHL"]
    known = KnownCells()
    assert known.line(tuple(line)) is None
    parsed = RowParser()(2, tuple(line))
    assert isinstance(parsed, SalesLine)
    known.learn(tuple(line), parsed)
    assert known.line(tuple(line)) == (
        "2026-03-02T14:05:09\tCrème brûlée\tAna\tDHL\t12.50\t3\t37.50\n")
    other_day = ("2026-03-02T14:05:09", *line[1:6], "")
    assert known.line(other_day) == "2026-03-02T14:05:09\tCrème brûlée\tAna\t\\N\t12.50\t3\t37.50\n"
    short = ("2026-03-02 14:05", *line[1:])  # LibreOffice's form, without seconds
    assert known.line(short) is None  # 14:05 is not known yet
    parsed = RowParser()(3, short)
    assert isinstance(parsed, SalesLine)
    known.learn(short, parsed)
    assert known.line(("2026-03-02T14:05", *line[1:])) == (
        "2026-03-02T14:05:00\tCrème brûlée\tAna\tDHL\t12.50\t3\t37.50\n")
    path = tmp_path / "sales.csv"
    path.write_text("\n".join([",".join(HEADER)] + [",".join(line)] * 50) + "\n")
    copy, _, _, result, _ = assert_same(path)
    assert isinstance(result, ParsedFile) and result.rows_staged == 50
    assert copy.count(b"\t2026-03-02T14:05:09\t") == 50


# Cells that read (some only once: "0.00" is "0", "007" is "7") and cells that do not, or not
# as written: every one must come out of the fast path exactly as out of the parser.
SOLD_AT = ["2026-03-02 14:05:09", "2026-03-02T14:05:09", "2026-03-03 14:05:09",
           "2026-02-29 10:00:00", "2024-02-29 10:00:00", "1899-12-31 10:00:00",
           "2026-03-02 24:00:00", " 2026-03-02 14:05:09", "2026-03-02  14:05:09",
           "2026-03-02 14:05", "02/03/2026 14:05:09", "2026-03-02 14:05:09Z",
           "2026-03-02 14:05:09.5", "45000.5", "", "Total", "Grand Total", "Sum"]
NAMES = ["Widget", "Widget Pro", " Widget", "Widget  Pro", "Zoë", "Zoe\u0301", "a\\b", "",
         " ", "Total", "Ana Total", "Sub total", "x" * 1001, "Crème, brûlée", 'say "hi"',
         "line\nbreak", "tab\there", "\u200bWidget", "123"]
AMOUNTS = ["12.50", "12.5", "0", "0.00", "-0", "-3", "007", "1,234.50", "1.234,50", "12,5",
           "1.234", "1e3", "abc", "", "1234567890123", "12345678901234", "0.000001",
           "0.0000001", "1.5000000", "(12.50)", "$12.50", "12.50-", "９"]
CARRIERS = ["", "DHL", " ", "La Poste", "Total", "\u00a0UPS"]

rows_strategy = st.lists(
    st.tuples(st.sampled_from(SOLD_AT), st.sampled_from(NAMES), st.sampled_from(NAMES),
              st.sampled_from(AMOUNTS), st.sampled_from(AMOUNTS), st.sampled_from(AMOUNTS),
              st.sampled_from(CARRIERS), st.booleans()),
    min_size=1, max_size=40)


def csv_field(value: str, delimiter: str) -> str:
    if any(ch in value for ch in (delimiter, '"', "\n", "\r")):
        return '"' + value.replace('"', '""') + '"'
    return value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=rows_strategy, delimiter=st.sampled_from([",", ";", "\t"]),
       repeat=st.integers(1, 3))
def test_generated_files_read_the_same(rows: list[tuple[str, ...]], delimiter: str,
                                       repeat: int) -> None:
    lines = [delimiter.join(HEADER)]
    for *cells, blank_after in rows * repeat:
        lines.append(delimiter.join(csv_field(str(c), delimiter) for c in cells))
        if blank_after:
            lines.append("")
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / ("sales.tsv" if delimiter == "\t" else "sales.csv")
        path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
        assert_same(path)


# Workbook cells: typed values, where a number key may equal a bool (True == 1.0) or an int.
WHEN = [datetime(2026, 3, 2, 14, 5), datetime(2026, 3, 2, 14, 5, 9, 500000),
        datetime(1899, 12, 31, 10, 0), date(2026, 3, 2), time(14, 5), "2026-03-02 14:05:09",
        "02/03/2026", 46083.5, 5, None, "Total"]
WORKBOOK_NAMES = ["Widget", " Widget", "Zoë", 123.0, 7, True, None, "", "Total", "a\\b"]
WORKBOOK_AMOUNTS = [12.5, 1.0, 1, True, False, 0.0, 0.1 + 0.2, 1e15, 1e13, -3.0, "12.50",
                    "1,234.50", "abc", None, 1.0000001]
WORKBOOK_CARRIERS = [None, "", "DHL", " ", 5.0, True]

GOOD_WORKBOOK_ROWS = [
    (datetime(2026, 3, 2, 14, 5), "Widget", "Ana", 12.5, 1.0, 12.5, "DHL"),
    (datetime(2026, 3, 3, 9, 30), "Zoë", "Bob", 1.0, 2.0, 2.0, None),
]


def planted(good: list[tuple[object, ...]], pools: list[list[object]]
            ) -> st.SearchStrategy[tuple[object, ...]]:
    """Rows of good values with at most one cell replaced from its column's pool: most cells
    are known after a few rows, so a planted cell meets the fast path's lookups."""
    return st.tuples(st.sampled_from(good), st.integers(-1, 6)).flatmap(
        lambda pair: st.tuples(
            st.just(pair[0]), st.just(pair[1]),
            st.sampled_from(pools[pair[1]]) if pair[1] >= 0 else st.none())).map(plant)


def plant(drawn: tuple[tuple[object, ...], int, object]) -> tuple[object, ...]:
    row, column, value = drawn
    return row if column < 0 else (*row[:column], value, *row[column + 1:])


workbook_rows = st.lists(
    planted(GOOD_WORKBOOK_ROWS, [WHEN, WORKBOOK_NAMES, WORKBOOK_NAMES, WORKBOOK_AMOUNTS,
                                 WORKBOOK_AMOUNTS, WORKBOOK_AMOUNTS, WORKBOOK_CARRIERS]
            ),
    min_size=1, max_size=25)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=workbook_rows, repeat=st.integers(1, 3))
def test_generated_workbooks_read_the_same(rows: list[tuple[object, ...]], repeat: int) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows * repeat:
        sheet.append(list(row))
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "sales.xlsx"
        book.save(path)
        assert_same(path)


@pytest.mark.parametrize("column, value", [(3, True), (4, True), (5, 1), (1, 123.0), (6, 5.0),
                                           (0, date(2026, 3, 3)), (0, 46083.5)])
def test_workbook_cells_equal_to_known_ones_are_not_taken_for_them(
        column: int, value: object, tmp_path: Path) -> None:
    """1.0 is known; True and 1 compare equal to it but read otherwise (or not at all)."""
    good = (datetime(2026, 3, 3, 9, 30), "123", "Bob", 1.0, 1.0, 1.0, "5")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(list(good))
    sheet.append(list(plant((good, column, value))))
    book.save(tmp_path / "sales.xlsx")
    assert_same(tmp_path / "sales.xlsx")


def test_memory_is_bounded_and_starts_afresh_in_place() -> None:
    known = KnownCells(max_entries=3)
    carriers, products = known.carriers, known.products
    parse_row = RowParser()
    for i in range(10):
        cells = (f"2026-03-{i + 1:02d} 14:05:09", f"P{i}", f"S{i}", f"{i + 1}.5", str(i + 1),
                 f"{i + 1}.5", f"C{i}")
        line = parse_row(i + 2, cells)
        assert isinstance(line, SalesLine)
        known.learn(cells, line)
        assert known.line(cells) is not None
    assert known.carriers is carriers and known.products is products
    assert len(carriers) <= 3 and len(products) <= 3 and len(known.sellers) <= 3
    assert len(known.days) <= 3
    assert carriers[None] == carriers[""] == "\\N"


def test_a_name_read_in_one_column_is_spooled_for_the_other(tmp_path: Path) -> None:
    """A seller's name met later as a product is a new product: its row goes to the parser and
    the name is spooled under ``product`` too (the dimension upserts read the spool)."""
    rows = ["2026-03-02 14:05:09,Widget,Ana,1.00,1,1.00,DHL",
            "2026-03-02 14:05:09,Ana,Widget,1.00,1,1.00,DHL"]
    path = tmp_path / "sales.csv"
    path.write_text("\n".join([",".join(HEADER), *rows]) + "\n")
    *_, names = assert_same(path)
    assert names == {("product", "Widget"), ("product", "Ana"), ("seller", "Ana"),
                     ("seller", "Widget"), ("shipping_company", "DHL")}

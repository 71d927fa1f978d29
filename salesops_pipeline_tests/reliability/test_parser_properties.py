"""Properties of the row parser: any cell parses to the right value or yields a reason.

test_sales_line.py already shows parse_row never raises on arbitrary cells and that 2-decimal
money survives float cells and "$1,234.50" text. Added here: every decimal the warehouse holds
(≤ 6 places) in every documented text form, datetimes through ISO text, day-first text and Excel
day numbers, one bad cell blaming only its own column, and whole workbooks of arbitrary cells
imported through the real Dagster job.
"""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from dagster import DagsterInstance
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from salesops_pipeline.core.db.schema import reset
from salesops_pipeline.core.extract.header.columns import CANONICAL_ORDER
from salesops_pipeline.core.extract.rows.date_order import ConfiguredOrder, DateOrder, TableDates
from salesops_pipeline.core.extract.rows.sales_line import (
    MAX_DECIMAL_PLACES,
    MONEY_LIMIT,
    UNITS_LIMIT,
    RejectedRow,
    RowParser,
    SalesLine,
    parse_row,
)
from salesops_pipeline_tests.ingest_support import Ingestor, fact_rows
from salesops_pipeline_tests.reliability.harness import open_sql
from salesops_pipeline_tests.workbooks import Formula, write_clean_workbook

reliability = pytest.mark.reliability
GOOD = {"sold_at": datetime(2026, 3, 2, 14, 5), "product": "Widget", "seller": "Ada",
        "unit_price": 12.5, "units": 2.0, "total_price": 25.0, "shipping_company": "DHL"}
EXCEL_EPOCH = datetime(1899, 12, 30)


def parse(**changes: object) -> SalesLine | RejectedRow:
    row = {**GOOD, **changes}
    return parse_row(9, tuple(row[name] for name in CANONICAL_ORDER))


def in_table(parser: RowParser, sold_at: str) -> SalesLine:
    """A row with this sold_at in a table whose date order ``parser`` holds."""
    row = {**GOOD, "sold_at": sold_at}
    result = parser(9, tuple(row[name] for name in CANONICAL_ORDER))
    assert isinstance(result, SalesLine), result
    return result


def parsed(**changes: object) -> SalesLine:
    result = parse(**changes)
    assert isinstance(result, SalesLine), result
    return result


@st.composite
def decimals(draw: st.DrawFn, limit: float, max_digits: int = 19) -> Decimal:
    """A decimal the warehouse can hold: ≤ 6 places, below ``limit``, ≤ max_digits digits."""
    places = draw(st.integers(0, MAX_DECIMAL_PLACES))
    bound = min(10 ** max_digits, int(limit) * 10 ** places) - 1
    return Decimal(draw(st.integers(-bound, bound))).scaleb(-places)


def money_text(amount: Decimal, style: int) -> str:
    """``amount`` written the way exports and people write money (the module docstring's forms)."""
    magnitude = abs(amount)
    negative = amount < 0
    plain, grouped = f"{magnitude:f}", f"{magnitude:,f}"
    spaced = grouped.replace(",", "\u00a0")
    forms = [
        ("-" if negative else "") + plain,
        ("-" if negative else "") + f"${grouped}",
        f"({grouped})" if negative else grouped,
        ("-" if negative else "") + f"€ {spaced}",
        ("-" if negative else "") + f"{plain} EUR",
        f"USD {grouped}-" if negative else f"USD {grouped}",
        ("\u2212" if negative else "+") + f"£{plain}",
    ]
    return forms[style % len(forms)]


@reliability(case="any decimal with ≤ 6 places, as money text in 7 styles")
@settings(max_examples=400, deadline=None)
@given(decimals(MONEY_LIMIT), st.integers(0, 6))
def test_money_text_parses_back_to_the_same_decimal(amount: Decimal, style: int) -> None:
    """Every text form parses back to exactly the amount written."""
    text = money_text(amount, style)
    line = parsed(unit_price=text, total_price=text)
    assert line.unit_price == amount and line.total_price == amount, text


@reliability(case="any decimal with ≤ 6 places and ≤ 15 digits, as a number cell")
@settings(max_examples=400, deadline=None)
@given(decimals(MONEY_LIMIT, max_digits=15), decimals(UNITS_LIMIT, max_digits=15))
def test_float_cells_parse_back_to_the_decimal_excel_shows(price: Decimal, units: Decimal
                                                         ) -> None:
    """A float cell holding a ≤ 15-digit decimal parses to that decimal, not its binary noise."""
    line = parsed(unit_price=float(price), units=float(units))
    assert (line.unit_price, line.units) == (price, units)


@reliability(case="a decimal one step beyond a limit (7 places, or ≥ the column's size)")
@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**12), st.integers(1, 9), st.sampled_from(["unit_price", "units"]))
def test_beyond_the_limits_is_a_reason_never_a_rounding(whole: int, digit: int, column: str
                                                         ) -> None:
    """Quarantined naming the column and the limit; a value is never silently rounded."""
    seven_places = f"{whole}.{'0' * 6}{digit}"
    result = parse(**{column: seven_places})
    assert isinstance(result, RejectedRow)
    assert result.reasons == (f"{column}: more than 6 decimal places {seven_places!r}",)
    limit = UNITS_LIMIT if column == "units" else MONEY_LIMIT
    too_big = str(int(limit) + whole)
    result = parse(**{column: too_big})
    assert isinstance(result, RejectedRow) and result.reasons[0].startswith(
        f"{column}: out of range {too_big!r}")


moments = st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
                       ).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))


@reliability(case="any date 1900-03-01..9999-12-31 as ISO text, day-/month-first text (24- and "
               "12-hour) or Excel day")
@settings(max_examples=400, deadline=None)
@given(moments)
def test_datetimes_parse_back_from_every_form(moment: datetime) -> None:
    """ISO text, day-first and month-first text in a table of that order (24- and 12-hour clock,
    AM/PM and a.m./p.m.) and Excel day numbers all give back the same moment (to the ms)."""
    assert parsed(sold_at=moment.isoformat(sep=" ", timespec="milliseconds")).sold_at == moment
    assert parsed(sold_at=moment.isoformat(timespec="milliseconds")).sold_at == moment
    whole_seconds = moment.replace(microsecond=0)
    day_first, month_first = (RowParser(dates=TableDates(ConfiguredOrder(order)))
                              for order in (DateOrder.DMY, DateOrder.MDY))
    for text in (f"{moment:%d/%m/%Y %H:%M:%S}", f"{moment:%d.%m.%Y %H:%M:%S}",
                 f"{moment:%d-%m-%Y %I:%M:%S %p}"):
        assert in_table(day_first, text).sold_at == whole_seconds
    for text in (f"{moment:%m/%d/%Y %H:%M:%S}", f"{moment:%m/%d/%Y %I:%M:%S %p}",
                 f"{moment:%m/%d/%Y %I:%M:%S %p}".lower().replace("m", ".m.")):
        assert in_table(month_first, text).sold_at == whole_seconds
    if moment.day != moment.month:  # a row alone never guesses
        one_way = parse(sold_at=f"{moment:%d/%m/%Y}")
        assert isinstance(one_way, SalesLine) == (moment.day > 12), one_way
    serial = (moment - EXCEL_EPOCH) / timedelta(days=1)
    assert parsed(sold_at=serial).sold_at == moment
    midnight = datetime.combine(moment.date(), datetime.min.time())
    assert parsed(sold_at=moment.date()).sold_at == midnight


cell = st.one_of(
    st.none(), st.text(max_size=30), st.booleans(), st.integers(),
    st.floats(allow_nan=True, allow_infinity=True), st.decimals(),
    st.datetimes(), st.dates(), st.times(), st.timedeltas(),
    st.from_regex(r"\(?-?[$€]?[0-9 ,.]{0,14}(EUR)?\)?", fullmatch=True),
)


@reliability(case="one arbitrary cell in an otherwise good row")
@settings(max_examples=1000, deadline=None)
@given(st.sampled_from(CANONICAL_ORDER), cell)
def test_a_bad_cell_blames_only_its_own_column(column: str, value: object) -> None:
    """Either the row parses with the other six values intact, or every reason names that column."""
    result = parse(**{column: value})
    if isinstance(result, RejectedRow):
        assert result.reasons
        assert all(reason.startswith(f"{column}: ") for reason in result.reasons), result.reasons
        return
    good = parsed()
    for name in CANONICAL_ORDER:
        if name != column:
            assert getattr(result, name) == getattr(good, name), name


# ---- whole files through the real job ----------------------------------------------------------

sheet_cell = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=["Cs"]), max_size=40),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(9999, 12, 31)),
    st.dates(min_value=date(1900, 3, 1)),
    st.builds(Formula, st.just("=1+1"), st.one_of(st.none(), st.floats(-1e6, 1e6), st.text(
        st.characters(exclude_categories=["Cs"]), max_size=10))),
    st.from_regex(r"\(?-?[$€]?[0-9 ,.]{0,14}(EUR)?\)?", fullmatch=True),
)
good_line = st.builds(
    lambda day, cents, units, who: {
        "sold_at": datetime(2025, 2, day, 9), "product": f"P{cents % 7}", "seller": who,
        "unit_price": Decimal(cents) / 100, "units": units,
        "total_price": Decimal(cents) / 100 * units, "shipping_company": "DHL"},
    st.integers(1, 28), st.integers(1, 10**6), st.integers(1, 50),
    st.sampled_from(["Ada", "Zoë", "王小明"]))
any_line = st.fixed_dictionaries(dict.fromkeys(CANONICAL_ORDER, sheet_cell))
_counter = itertools.count(1)


@pytest.fixture
def whole_file_ingest(database_url: str, tmp_path: Path):
    folder = tmp_path / "incoming"
    folder.mkdir()
    with DagsterInstance.ephemeral() as instance:
        yield Ingestor(database_url, folder, instance), folder


@reliability(case="a workbook of arbitrary cells (15 generated files)")
@settings(max_examples=15, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(st.lists(st.one_of(good_line, any_line), min_size=1, max_size=25))
def test_any_workbook_imports_and_every_row_is_accounted_for(whole_file_ingest, database_url,
                                                              rows) -> None:
    """Imported without a failed run; rows read = loaded + quarantined; planted good rows exact."""
    ingest, folder = whole_file_ingest
    reset(database_url)
    name = f"fuzz-{next(_counter)}.xlsx"
    write_clean_workbook(folder / name, rows, columns=list(CANONICAL_ORDER))
    result = ingest.run(name, raise_on_error=False)
    assert result.success
    with open_sql(database_url) as sql:
        [(status, read, loaded, rejected, error)] = sql(
            "SELECT status, rows_read, rows_loaded, rows_rejected, error FROM salesops.import_log")
        assert (status, error) == ("loaded", None)
        assert read == loaded + rejected and read <= len(rows)
        assert sql("SELECT count(*) FROM salesops.fact_sales_line") == [(loaded,)]
        assert sql("SELECT count(*) FROM salesops.rejected_row") == [(rejected,)]
        facts = fact_rows(sql, name)
        for number, row in enumerate(rows, start=2):
            if isinstance(row["unit_price"], Decimal):  # a planted good line
                assert facts[(name, number)] == (
                    row["sold_at"], row["product"], row["seller"], "DHL", row["unit_price"],
                    Decimal(row["units"]), row["total_price"])
        assert sql("SELECT count(*) FROM salesops.stage_sales_line") == [(0,)]


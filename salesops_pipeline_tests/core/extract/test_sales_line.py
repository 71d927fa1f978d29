"""parse_row: every readable form, every reason, and never an exception."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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

GOOD = {
    "sold_at": datetime(2026, 3, 2, 14, 5),
    "product": "Widget",
    "seller": "Ada",
    "unit_price": 12.5,
    "units": 2.0,
    "total_price": 25.0,
    "shipping_company": "DHL",
}


def cells(**changes: object) -> tuple[object, ...]:
    """A good row in CANONICAL_ORDER with some cells replaced."""
    row = {**GOOD, **changes}
    return tuple(row[name] for name in CANONICAL_ORDER)


def line(**changes: object) -> SalesLine:
    result = parse_row(9, cells(**changes))
    assert isinstance(result, SalesLine), result
    return result


def reasons(**changes: object) -> tuple[str, ...]:
    result = parse_row(9, cells(**changes))
    assert isinstance(result, RejectedRow), result
    return result.reasons


def test_a_typed_row_becomes_a_sales_line() -> None:
    assert parse_row(9, cells()) == SalesLine(
        source_row_number=9,
        sold_at=datetime(2026, 3, 2, 14, 5),
        product="Widget",
        seller="Ada",
        shipping_company="DHL",
        unit_price=Decimal("12.5"),
        units=Decimal("2"),
        total_price=Decimal("25"),
    )


# ---- names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("  Seller   Ada ", "Seller Ada"),
        ("Ada\tLovelace\n", "Ada Lovelace"),
        ("\u00a0Zoë\u00a0 Ng", "Zoë Ng"),
        ("Ada\u200bLovelace", "AdaLovelace"),
        ("Ada\x00", "Ada"),
        (123.0, "123"),
        (12.5, "12.5"),
        (42, "42"),
    ],
)
def test_names_are_trimmed_collapsed_and_numbers_become_text(raw: object, name: str) -> None:
    assert line(seller=raw).seller == name


@pytest.mark.parametrize("raw", [None, "", "   ", "\u200b"])
def test_missing_product_and_seller_are_reasons(raw: object) -> None:
    assert reasons(product=raw, seller=raw) == ("product: missing", "seller: missing")


@pytest.mark.parametrize("raw", [None, "", "  \t"])
def test_missing_shipping_company_is_allowed(raw: object) -> None:
    assert line(shipping_company=raw).shipping_company is None


@pytest.mark.parametrize("raw", [True, datetime(2026, 1, 1), float("nan"), "x" * 1001])
def test_values_that_are_not_names(raw: object) -> None:
    (reason,) = reasons(product=raw)
    assert reason.startswith("product: ")


# ---- sold_at ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (datetime(2026, 3, 2, 14, 5, 9, 250000), datetime(2026, 3, 2, 14, 5, 9, 250000)),
        (date(2026, 3, 2), datetime(2026, 3, 2)),
        (45000.5, datetime(2023, 3, 15, 12, 0)),
        (46083, datetime(2026, 3, 2)),
        (46083.586805555556, datetime(2026, 3, 2, 14, 5)),
        ("2026-03-02", datetime(2026, 3, 2)),
        ("2026-03-02T14:05:00", datetime(2026, 3, 2, 14, 5)),
        ("2026-03-02 14:05", datetime(2026, 3, 2, 14, 5)),
        (" 2026-03-02 14:05:09.5 ", datetime(2026, 3, 2, 14, 5, 9, 500000)),
        ("02/03/2026", datetime(2026, 3, 2)),
        ("02/03/2026 14:05", datetime(2026, 3, 2, 14, 5)),
        ("2.3.2026 14:05:09", datetime(2026, 3, 2, 14, 5, 9)),
        ("02-03-2026", datetime(2026, 3, 2)),
        ("13/03/2026", datetime(2026, 3, 13)),
        ("2026/03/02", datetime(2026, 3, 2)),
        ("2026/3/2 2:05 PM", datetime(2026, 3, 2, 14, 5)),
        ("02/03/2026 12:30 am", datetime(2026, 3, 2, 0, 30)),
        ("02/03/2026 12:30 PM", datetime(2026, 3, 2, 12, 30)),
        ("02/03/2026 2:05 p.m.", datetime(2026, 3, 2, 14, 5)),
        ("02/03/2026 2:05PM", datetime(2026, 3, 2, 14, 5)),
        ("02/03/2026 11:59:58 P.M.", datetime(2026, 3, 2, 23, 59, 58)),
        ("02/03/2026 12:00 a.m.", datetime(2026, 3, 2, 0, 0)),
        ("Mar 2, 2026", datetime(2026, 3, 2)),
        ("March 2 2026 14:05", datetime(2026, 3, 2, 14, 5)),
        ("2 March 2026", datetime(2026, 3, 2)),
        ("2nd March, 2026", datetime(2026, 3, 2)),
        ("02-Mar-2026", datetime(2026, 3, 2)),
        ("sept 2, 2026", datetime(2026, 9, 2)),
    ],
)
def test_readable_dates(raw: object, expected: datetime) -> None:
    """In a table configured day-first (SALESOPS_DATE_ORDER=dmy) with nothing to contradict it."""
    day_first = RowParser(dates=TableDates(ConfiguredOrder(DateOrder.DMY)))
    result = day_first(9, cells(sold_at=raw))
    assert isinstance(result, SalesLine), result
    assert result.sold_at == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13/03/2026", datetime(2026, 3, 13)),  # day-first is its only reading
        ("03/13/2026 2:05 PM", datetime(2026, 3, 13, 14, 5)),  # month-first is
        ("11/13/2026 2:05 p.m.", datetime(2026, 11, 13, 14, 5)),
        ("04/04/2026 12:30 am", datetime(2026, 4, 4, 0, 30)),  # day = month: either way
        ("2026-03-02", datetime(2026, 3, 2)),
    ],
)
def test_a_row_alone_reads_dates_with_one_reading(raw: str, expected: datetime) -> None:
    assert line(sold_at=raw).sold_at == expected


def test_a_row_alone_refuses_a_date_that_reads_two_ways() -> None:
    (reason,) = reasons(sold_at="04/05/2026 2:05 PM")
    assert reason.startswith("sold_at: ambiguous date '04/05/2026 2:05 PM': 4 May 2026 "
                             "day-first, 5 April 2026 month-first")
    assert "SALESOPS_DATE_ORDER=dmy or mdy" in reason


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (None, "missing"),
        ("  ", "missing"),
        ("yesterday", "unreadable date/time 'yesterday'"),
        ("31/02/2026", "unreadable date/time"),
        ("13/13/2026", "unreadable date/time"),  # neither day-first nor month-first
        ("02/30/2026", "unreadable date/time"),  # no 30 February, no month 30
        ("02/02/2026 13:05 PM", "unreadable date/time"),  # a 12-hour clock has no 13
        ("02/03/26", "unreadable date/time"),  # two-digit year
        ("2026-03-02T14:05:00Z", "timezone-aware times are not supported"),
        ("2026-03-02 14:05+01:00", "timezone-aware times are not supported"),
        (datetime(2026, 3, 2, tzinfo=UTC), "timezone-aware times are not supported"),
        ("1899-12-31", "year 1899 is before 1900"),
        (date(1850, 1, 1), "year 1850 is before 1900"),
        (time(14, 5), "a time of day without a date"),
        (timedelta(hours=3), "a duration, not a date"),
        (True, "true/false is not a date"),
        (5.0, "is not a date"),
        (20260302, "is not a date"),
        (float("nan"), "is not a date"),
        (2958465.9999999995, "past the year 9999"),
    ],
)
def test_unreadable_dates(raw: object, fragment: str) -> None:
    (reason,) = reasons(sold_at=raw)
    assert reason.startswith("sold_at: ") and fragment in reason


# ---- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (12.3, "12.3"),
        (0.1 + 0.2, "0.3"),  # a cached formula's binary noise, read at Excel's 15 digits
        (36.900000000000006, "36.9"),
        (3, "3"),
        (-0.0, "0"),
        (1e-06, "0.000001"),
        ("12.50", "12.50"),
        ("3", "3"),
        ("$1,234.50", "1234.50"),
        ("1 234.50", "1234.50"),
        ("1\u00a0234.50", "1234.50"),
        ("1\u202f234.50", "1234.50"),
        ("€ 1,234", "1234"),
        ("£12", "12"),
        ("¥1,000,000", "1000000"),
        ("USD 12.50", "12.50"),
        ("12.50 EUR", "12.50"),
        ("12.50eur", "12.50"),
        ("US$5", "5"),
        ("(12.50)", "-12.50"),
        ("($1,234.50)", "-1234.50"),
        ("-12.50", "-12.50"),
        ("12.50-", "-12.50"),
        ("-$12.50", "-12.50"),
        ("$-12.50", "-12.50"),
        ("\u221212.5", "-12.5"),
        ("+7", "7"),
        (".5", "0.5"),
        ("1.5000000", "1.500000"),
    ],
)
def test_readable_numbers(raw: object, expected: str) -> None:
    parsed = line(unit_price=raw).unit_price
    assert parsed == Decimal(expected)
    assert str(parsed) == expected  # no float noise, no exponent: COPY writes it as is


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (None, "missing"),
        ("", "missing"),
        (" ", "missing"),
        ("abc", "unreadable number 'abc'"),
        ("12,50", "unreadable number"),  # decimal comma is not guessed
        ("1.234,50", "unreadable number"),
        ("1,23,456", "unreadable number"),
        ("1 234,5", "unreadable number"),
        ("--2", "unreadable number"),
        ("(-2)", "unreadable number"),
        ("(2", "unreadable number"),
        ("$", "unreadable number"),
        ("1e5", "unreadable number"),
        ("NaN", "unreadable number"),
        (True, "true/false is not a number"),
        (False, "true/false is not a number"),
        (datetime(2026, 1, 1), "a date/time is not a number"),
        (float("nan"), "not a finite number"),
        (float("inf"), "not a finite number"),
        (1.2345678, f"more than {MAX_DECIMAL_PLACES} decimal places"),
        ("0.0000001", f"more than {MAX_DECIMAL_PLACES} decimal places"),
        (1e13, "out of range"),
        ("-10,000,000,000,000", "out of range"),
    ],
)
def test_unreadable_money(raw: object, fragment: str) -> None:
    (reason,) = reasons(unit_price=raw)
    assert reason.startswith("unit_price: ") and fragment in reason


def test_units_may_be_fractional_and_larger_than_money() -> None:
    assert line(units=2.5).units == Decimal("2.5")
    assert line(units=1e14).units == Decimal("100000000000000")
    assert "units: out of range" in reasons(units=UNITS_LIMIT)[0]
    assert "total_price: out of range" in reasons(total_price=-MONEY_LIMIT)[0]


# ---- whole rows -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"total_price": 999.0},  # total ≠ price × units
        {"units": 0.0, "total_price": 0.0},
        {"units": -2.0, "total_price": -25.0},
        {"unit_price": "(12.50)", "total_price": -25.0},
        {"shipping_company": None},
    ],
)
def test_business_wrong_but_readable_rows_are_sales_lines(changes: dict[str, object]) -> None:
    assert isinstance(parse_row(9, cells(**changes)), SalesLine)


def test_every_reason_is_reported_with_the_row_number() -> None:
    result = parse_row(
        42,
        ("yesterday", "", None, "abc", True, float("nan"), False),
    )
    assert isinstance(result, RejectedRow)
    assert result.source_row_number == 42
    assert result.reasons == (
        "sold_at: unreadable date/time 'yesterday'",
        "product: missing",
        "seller: missing",
        "unit_price: unreadable number 'abc'",
        "units: true/false is not a number 'True'",
        "total_price: not a finite number 'nan'",
        "shipping_company: true/false is not a name 'False'",
    )


def test_raw_values_are_json_safe_and_keyed_by_column() -> None:
    result = parse_row(
        3, (datetime(2026, 3, 2, 14, 5), "a\x00b", "\ud800", float("inf"), 2.5, "x" * 5000, True)
    )
    assert isinstance(result, RejectedRow)
    assert list(result.raw) == list(CANONICAL_ORDER)
    assert result.raw["sold_at"] == "2026-03-02T14:05:00"
    assert result.raw["units"] == 2.5
    assert result.raw["unit_price"] == "inf"
    assert "\x00" not in json.dumps(result.raw, ensure_ascii=False, allow_nan=False)
    json.dumps(result.raw, ensure_ascii=False, allow_nan=False).encode("utf-8")
    assert len(str(result.raw["total_price"])) <= 1001


@pytest.mark.parametrize("bad", [(), (1, 2, 3), tuple(range(9))])
def test_wrong_number_of_cells_is_a_rejection(bad: tuple[object, ...]) -> None:
    result = parse_row(5, bad)
    assert isinstance(result, RejectedRow) and result.reasons[0].startswith("row: expected 7")


# ---- properties -------------------------------------------------------------------------------

numberish = st.from_regex(
    r"\(?[-+]?[$€£]?\s?[0-9]{0,4}([, \u00a0][0-9]{3})?(\.[0-9]{0,8})?\s?(EUR|usd)?-?\)?",
    fullmatch=True,
)
dateish = st.from_regex(
    r"[0-9]{1,4}[-/. ][0-9A-Za-z]{1,9}[-/., ]{1,2}[0-9]{1,4}"
    r"( [0-9]{1,2}:[0-9]{2}(:[0-9]{2})?( ?[AP]M)?)?",
    fullmatch=True,
)
any_cell = st.one_of(
    st.none(),
    st.text(),
    numberish,
    dateish,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.datetimes(timezones=st.one_of(st.none(), st.just(UTC))),
    st.dates(),
    st.times(),
    st.timedeltas(),
    st.decimals(allow_nan=True, allow_infinity=True),
)


def check_loadable(result: SalesLine | RejectedRow, row_number: int) -> None:
    """What the loader relies on: naive sane times, clean names, bounded exact numbers, JSON raw."""
    assert result.source_row_number == row_number
    if isinstance(result, SalesLine):
        assert result.sold_at.tzinfo is None and result.sold_at.year >= 1900
        for name in (result.product, result.seller, result.shipping_company):
            if name is not None:
                assert name and name == " ".join(name.split())
                name.encode("utf-8")
                assert "\x00" not in name
        for number, limit in (
            (result.unit_price, MONEY_LIMIT),
            (result.units, UNITS_LIMIT),
            (result.total_price, MONEY_LIMIT),
        ):
            assert number.is_finite() and abs(number) < limit
            assert -number.as_tuple().exponent <= MAX_DECIMAL_PLACES  # type: ignore[operator]
            assert "E" not in str(number)
    else:
        assert isinstance(result, RejectedRow) and result.reasons
        assert all(reason.split(": ", 1)[0] in CANONICAL_ORDER for reason in result.reasons)
        json.dumps(result.raw, ensure_ascii=False, allow_nan=False).encode("utf-8")


@settings(max_examples=1500, deadline=None)
@given(st.tuples(*([any_cell] * len(CANONICAL_ORDER))), st.integers(1, 1_048_576))
def test_parse_row_never_raises_on_arbitrary_cells(
    row: tuple[object, ...], row_number: int
) -> None:
    check_loadable(parse_row(row_number, row), row_number)


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2))
def test_money_round_trips_through_float_cells_and_formatted_text(amount: Decimal) -> None:
    assert line(unit_price=float(amount)).unit_price == amount
    text = f"({abs(amount):,f})" if amount < 0 else f"${amount:,f}"
    assert line(unit_price=text).unit_price == amount


DATE_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y",
    "%Y/%m/%d",
    "%b %d, %Y",
    "%d %B %Y %H:%M",
    "%d-%b-%Y",
    "%d/%m/%Y %I:%M %p",
]
plausible_date = st.one_of(
    st.datetimes(min_value=datetime(1900, 1, 1)),
    st.dates(min_value=date(1900, 1, 1)),
    st.floats(min_value=0, max_value=3_000_000),
    st.builds(
        lambda d, f: d.strftime(f),
        st.datetimes(min_value=datetime(1000, 1, 1)),
        st.sampled_from(DATE_FORMATS),
    ),
    any_cell,
)
plausible_number = st.one_of(
    st.floats(),
    st.floats(-1e6, 1e6).map(lambda x: round(x, 2)),
    st.integers(-(10**16), 10**16),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(lambda d: f"${d:,f}"),
    numberish,
    any_cell,
)
plausible_name = st.one_of(
    st.text(min_size=1), st.sampled_from(["Ada", " Zoë  Ng ", 12.0]), any_cell
)


plausible_row = st.tuples(  # in CANONICAL_ORDER
    plausible_date,
    plausible_name,
    plausible_name,
    plausible_number,
    plausible_number,
    plausible_number,
    plausible_name,
)


@settings(max_examples=1500, deadline=None)
@given(plausible_row)
def test_plausible_rows_never_raise_and_lines_are_loadable(row: tuple[object, ...]) -> None:
    check_loadable(parse_row(7, row), 7)


REMEMBERING = RowParser(max_entries=16)  # shared by the examples: small, so it starts afresh often


@settings(max_examples=1500, deadline=None)
@given(plausible_row)
def test_the_remembering_parser_reads_exactly_what_parse_row_reads(row: tuple[object, ...]) -> None:
    """Same result, down to the Decimal's digits, the first time and when remembered."""
    expected = repr(parse_row(9, row))
    assert repr(REMEMBERING(9, row)) == expected
    assert repr(REMEMBERING(9, row)) == expected


def test_the_remembering_parser_stays_bounded() -> None:
    parser = RowParser(max_entries=100)
    for n in range(1000):
        assert parser(9, cells(product=f"P{n}", unit_price=n + 0.25)) == line(
            product=f"P{n}", unit_price=Decimal(n) + Decimal("0.25"))
    assert len(parser._names) <= 100 and len(parser._numbers) <= 100
